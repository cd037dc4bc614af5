// Command initflags reads its flags in init, as some small commands do:
// a test binary of it stops on go test's own flags.
package main

import (
	"flag"
	"fmt"
	"os"
)

var verbose bool

func init() {
	flag.BoolVar(&verbose, "verbose", false, "say more")
	flag.Usage = usage
	flag.Parse()
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: initflags [-verbose] NAME")
	os.Exit(2)
}

func greeting(name string) string {
	if verbose {
		return "Hello there, " + name + "!"
	}
	return "Hi " + name
}

func main() {
	if flag.NArg() != 1 {
		usage()
	}
	fmt.Println(greeting(flag.Arg(0)))
}
