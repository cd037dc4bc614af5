// Package initok defines flags and may exit, but its initialisation
// neither parses the command line nor exits unconditionally.
package initok

import (
	"errors"
	"flag"
	"log"
	"os"
)

var limit = flag.Int("limit", 10, "how many")

var parse = func() { flag.Parse() } // a value, not a call

var table = build()

func build() map[string]int {
	m, err := fill()
	if err != nil {
		log.Fatalf("initok: %v", err)
	}
	return m
}

func fill() (map[string]int, error) {
	if len(os.Args) == 0 {
		return nil, errors.New("no arguments")
	}
	return map[string]int{"one": 1}, nil
}

func init() {
	for _, arg := range os.Args {
		if arg == "--initok-exit" {
			os.Exit(1)
		}
	}
	switch {
	case *limit < 0:
		flagUsage()
	}
}

func flagUsage() { os.Exit(2) }

// Lookup returns the value of name, or -1.
func Lookup(name string) int {
	if v, ok := table[name]; ok {
		return v
	}
	return -1
}

// Parse parses the command line when a caller asks for it.
func Parse() { parse() }
