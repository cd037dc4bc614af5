// Package imp is the context for the imports golden tests.
package imp

// Greeting greets name.
func Greeting(name string) string { return "hello, " + name }
