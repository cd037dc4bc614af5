package typeerr

// Config is well typed.
type Config struct{ Name string }

// Broken uses an undefined name and a wrong type, but parses.
func Broken(c Config) int {
	return c.Name + undefined
}

// Fine still has its dependencies.
func Fine() Config { return Config{Name: "x"} }
