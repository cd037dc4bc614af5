// Command semverbump prints the next version: semverbump 1.4.2 minor.
package main

import (
	"fmt"
	"os"

	"github.com/gotest-sample/semver"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: semverbump VERSION major|minor|patch")
		os.Exit(2)
	}
	v, err := semver.Parse(os.Args[1])
	if err == nil {
		v, err = v.Bump(os.Args[2])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(v)
}
