// Package initrun takes over the process during its initialisation in
// ways that are only found by following calls.
package initrun

import (
	"flag"
	"log"
	"os"
)

// settings is read from the command line by a function that a variable's
// initialiser calls.
var settings = load()

func load() map[string]string {
	flag.CommandLine.Parse(os.Args[1:])
	return map[string]string{"mode": "plain"}
}

var logger = log.New(os.Stderr, "initrun: ", 0)

func init() {
	check()
	if len(os.Args) > 100 {
		os.Exit(3) // decided by an if: not counted
	}
	stop := func() { os.Exit(4) } // never called here: not counted
	_ = stop
	func() {
		defer logger.Fatalln("called on the spot")
	}()
}

func check() { must() }

func must() {
	log.Fatal("always")
}

// Mode is the mode read at start.
func Mode() string { return settings["mode"] }
