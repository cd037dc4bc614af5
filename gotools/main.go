package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// A command is one subcommand. The same table drives flag parsing on the
// command line and argument checking in serve mode, so that both accept
// exactly the same names.
type command struct {
	name     string
	synopsis string
	args     []string // accepted arguments, as flags and as serve args
	required []string
	// serveOnly lists arguments that only serve accepts (there is no point
	// in passing a file's text on a command line).
	serveOnly []string
	do        func(a arguments) (any, error)
}

// arguments holds the arguments that were given, by name; a name that is
// absent was not given.
type arguments map[string]string

func (a arguments) has(name string) bool {
	_, ok := a[name]
	return ok
}

var argHelp = map[string]string{
	"dir":         "package directory",
	"file":        "restrict to this file of the package (base name)",
	"files":       "the package's files to instrument, base names, comma-separated",
	"func":        `restrict to this function ("Func" or "Type.Method")`,
	"import_path": "import path of the package under test",
	"max":         "most mutants to list (default 24; 0 lists all)",
	"memory":      "the prefix that instrument gave the package",
	"mutants":     "the JSON written by gotools mutants",
	"name":        "file name the source is treated as (default: base name of -src)",
	"out":         "folder for the instrumented files",
	"package":     "name of the package under test",
	"prefix":      "secret prefix of the names it adds (default: a fresh one)",
	"profile":     "cover profile written by go test -coverprofile",
	"selector":    "Go expression of type uint32 that holds the mutant id at run time",
	"src":         "Go source file",
	"src_text":    "Go source text (serve only)",
}

var commands = []*command{
	{
		name:     "funcs",
		synopsis: "gotools funcs -dir PKGDIR",
		args:     []string{"dir"},
		required: []string{"dir"},
		do: func(a arguments) (any, error) {
			return loadFuncs(a["dir"])
		},
	},
	{
		name:     "cover",
		synopsis: "gotools cover -profile FILE -dir PKGDIR [-file F.go] [-func NAME]",
		args:     []string{"profile", "dir", "file", "func"},
		required: []string{"profile", "dir"},
		do: func(a arguments) (any, error) {
			return coverage(a["profile"], a["dir"], a["file"], a["func"])
		},
	},
	{
		name:      "imports",
		synopsis:  "gotools imports -dir PKGDIR -src FILE [-name NAME.go]",
		args:      []string{"dir", "src", "name"},
		serveOnly: []string{"src_text"},
		required:  []string{"dir"},
		do: func(a arguments) (any, error) {
			src, name, err := source(a)
			if err != nil {
				return nil, err
			}
			return fixImports(a["dir"], name, src)
		},
	},
	{
		name:     "facts",
		synopsis: "gotools facts -dir DIR",
		args:     []string{"dir"},
		required: []string{"dir"},
		do: func(a arguments) (any, error) {
			return dirFacts(a["dir"])
		},
	},
	sourceCommand("assertions", countAssertions),
	sourceCommand("strip-assertions", stripAssertions),
	sourceCommand("wrong-expectation", wrongExpectation),
	{
		name:     "mutants",
		synopsis: "gotools mutants -dir PKGDIR [-file F.go] [-func NAME] [-max N]",
		args:     []string{"dir", "file", "func", "max"},
		required: []string{"dir"},
		do:       mutantsArgs,
	},
	{
		name:      "schemata",
		synopsis:  "gotools schemata -dir PKGDIR -file F.go -src INSTRUMENTED.go -mutants MUTANTS.json -selector EXPR [-prefix P]",
		args:      []string{"dir", "file", "src", "mutants", "selector", "prefix"},
		serveOnly: []string{"src_text", "mutants_text"},
		required:  []string{"dir", "file", "selector"},
		do:        schemataArgs,
	},
	{
		name:     "instrument",
		synopsis: "gotools instrument -dir PKGDIR -files A.go,B.go -out DIR [-prefix P]",
		args:     []string{"dir", "files", "out", "prefix"},
		required: []string{"dir", "files", "out"},
		do: func(a arguments) (any, error) {
			return instrument(a["dir"], a["files"], a["out"], a["prefix"])
		},
	},
	{
		name:      "harness",
		synopsis:  "gotools harness -src FILE -package NAME -memory P [-import_path PATH] [-name NAME.go] [-prefix P]",
		args:      []string{"src", "name", "package", "import_path", "memory", "prefix"},
		serveOnly: []string{"src_text"},
		required:  []string{"package", "memory"},
		do: func(a arguments) (any, error) {
			src, name, err := source(a)
			if err != nil {
				return nil, err
			}
			return harness(name, src, a["package"], a["import_path"], a["memory"], a["prefix"])
		},
	},
	{
		name:     "testcalls",
		synopsis: "gotools testcalls -dir PKGDIR [-func NAME]",
		args:     []string{"dir", "func"},
		required: []string{"dir"},
		do: func(a arguments) (any, error) {
			return loadTestCalls(a["dir"], a["func"])
		},
	},
	{
		name:     "serve",
		synopsis: "gotools serve",
	},
}

// sourceCommand is a command that reads one Go source file, given as -src
// or as serve's src_text, and reports on it alone.
func sourceCommand[R any](name string, analyse func(filename string, src []byte) R) *command {
	return &command{
		name:      name,
		synopsis:  "gotools " + name + " -src FILE",
		args:      []string{"src"},
		serveOnly: []string{"src_text", "name"},
		do: func(a arguments) (any, error) {
			src, filename, err := source(a)
			if err != nil {
				return nil, err
			}
			return analyse(filename, src), nil
		},
	}
}

func lookupCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// source returns the Go source named by the src or src_text argument, and
// the file name it should be treated as.
func source(a arguments) ([]byte, string, error) {
	switch {
	case a.has("src") && a.has("src_text"):
		return nil, "", usageError{errors.New("give either src or src_text, not both")}
	case a.has("src_text"):
		name := a["name"]
		if name == "" {
			// Without a name, a test file is the common case for this toolkit.
			name = "generated_test.go"
		}
		return []byte(a["src_text"]), name, nil
	case a.has("src"):
		src, err := os.ReadFile(a["src"])
		if err != nil {
			return nil, "", fmt.Errorf("reading source: %w", err)
		}
		name := a["name"]
		if name == "" {
			name = filepath.Base(a["src"])
		}
		return src, name, nil
	}
	return nil, "", usageError{errors.New("missing -src")}
}

// execute checks a's names against c and runs it. It is the single entry
// point for both the command line and serve.
func (c *command) execute(a arguments) (any, error) {
	for name := range a {
		if !slices.Contains(c.args, name) && !slices.Contains(c.serveOnly, name) {
			return nil, usageError{fmt.Errorf("%s: unknown argument %q", c.name, name)}
		}
	}
	for _, name := range c.required {
		if a[name] == "" {
			return nil, usageError{fmt.Errorf("%s: missing -%s", c.name, name)}
		}
	}
	result, err := c.do(a)
	var uerr usageError
	if errors.As(err, &uerr) {
		return nil, usageError{fmt.Errorf("%s: %w", c.name, uerr.err)}
	}
	return result, err
}

// usageError marks an error that is the caller's fault; main exits with
// status 2 and prints the usage for it.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usage is the usage message for the subcommand args[0] if there is one,
// else for all of them.
func usage(args []string) string {
	var b strings.Builder
	cmds := commands
	if len(args) > 0 {
		if c := lookupCommand(args[0]); c != nil {
			cmds = []*command{c}
		}
	}
	for i, c := range cmds {
		if i == 0 {
			b.WriteString("usage: ")
		} else {
			b.WriteString("       ")
		}
		b.WriteString(c.synopsis + "\n")
	}
	if len(cmds) == 1 {
		for _, name := range cmds[0].args {
			fmt.Fprintf(&b, "  -%-8s %s\n", name, argHelp[name])
		}
	}
	b.WriteString("Run 'go doc github.com/gotest-rl/gotools' for details.\n")
	return b.String()
}

func main() {
	log.SetPrefix("gotools: ")
	log.SetFlags(0)
	err := run(os.Stdout, os.Args[1:])
	if err == nil {
		return
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(os.Stderr, usage(os.Args[1:]))
		return
	}
	var uerr usageError
	if errors.As(err, &uerr) {
		log.Print(err)
		fmt.Fprint(os.Stderr, usage(os.Args[1:]))
		os.Exit(2)
	}
	log.Fatal(err)
}

// run executes the subcommand named by args[0] and writes its JSON result
// to out.
func run(out io.Writer, args []string) error {
	if len(args) == 0 {
		return usageError{errors.New("missing subcommand")}
	}
	c := lookupCommand(args[0])
	if c == nil {
		return usageError{fmt.Errorf("unknown subcommand %q", args[0])}
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	// The flag package's own message would be printed in addition to ours.
	fs.SetOutput(io.Discard)
	values := make(map[string]*string)
	for _, name := range c.args {
		values[name] = fs.String(name, "", argHelp[name])
	}
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{fmt.Errorf("%s: %w", c.name, err)}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("%s: unexpected argument %q", c.name, fs.Arg(0))}
	}
	if c.name == "serve" {
		return serve(os.Stdin, out)
	}
	a := make(arguments)
	fs.Visit(func(f *flag.Flag) { a[f.Name] = *values[f.Name] })
	result, err := c.execute(a)
	if err != nil {
		return err
	}
	return writeJSON(out, result)
}

// writeJSON writes v as one line of JSON. HTML escaping is off because
// results carry Go source, which is full of < and &.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing result: %w", err)
	}
	return nil
}
