package lib

import (
	"sort"
	"strings"
)

type (
	// Registry maps names to handlers.
	Registry struct{ m map[string]Handler }

	// Handler handles a name.
	Handler func(string) string
)

// registry is initialised by a function.
var registry = newRegistry()

func newRegistry() *Registry {
	r := &Registry{m: map[string]Handler{}}
	r.m["upper"] = strings.ToUpper
	return r
}

// Lookup finds a handler in the default registry.
func Lookup(name string) (Handler, bool) {
	h, ok := registry.m[name]
	return h, ok
}

// Names lists the registered names, sorted with a func literal.
func Names() []string {
	var names []string
	for n := range registry.m {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		return less(names[i], names[j])
	})
	return names
}

func less(a, b string) bool { return a < b }

// Each calls f for every handler; its statements include those of the
// literal.
func Each(f func(string, Handler)) {
	visit := func(name string) {
		switch {
		case name == "":
			return
		default:
			f(name, registry.m[name])
		}
	}
	for n := range registry.m {
		visit(n)
	}
}
