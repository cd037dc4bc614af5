package main

import (
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

type factsResult struct {
	Dir   string     `json:"dir"`
	Files []fileFact `json:"files"`
}

type fileFact struct {
	File            string  `json:"file"`
	Package         string  `json:"package"`
	Test            bool    `json:"test"`
	Generated       bool    `json:"generated"`
	BuildConstraint bool    `json:"build_constraint"`
	ParseError      *string `json:"parse_error"`
	Functions       int     `json:"functions"`
	MainOnly        bool    `json:"main_only"`
}

// dirFacts describes every .go file directly in dir.
func dirFacts(dir string) (*factsResult, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	res := &factsResult{Dir: abs, Files: []fileFact{}}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		res.Files = append(res.Files, fileFacts(fset, abs, e.Name()))
	}
	return res, nil
}

// fileFacts describes one file. A file that does not parse is described
// as far as the parser got, which usually includes the package clause.
func fileFacts(fset *token.FileSet, dir, name string) fileFact {
	ff := fileFact{
		File:            name,
		Test:            strings.HasSuffix(name, "_test.go"),
		BuildConstraint: constrainedName(name),
	}
	f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil,
		parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), dir+string(filepath.Separator))
		ff.ParseError = &msg
	}
	if f == nil {
		return ff
	}
	if f.Name != nil && f.Name.Name != "_" {
		ff.Package = f.Name.Name
	}
	ff.Generated = ast.IsGenerated(f)
	ff.BuildConstraint = ff.BuildConstraint || hasConstraintLine(f)
	mainFunc := false
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok {
			ff.Functions++
			mainFunc = mainFunc || fd.Recv == nil && fd.Name.Name == "main"
		}
	}
	ff.MainOnly = ff.Package == "main" && ff.Functions == 1 && mainFunc
	return ff
}

// hasConstraintLine reports whether a //go:build or // +build line comes
// before the package clause.
func hasConstraintLine(f *ast.File) bool {
	for _, g := range f.Comments {
		if !f.Package.IsValid() || g.Pos() >= f.Package {
			break
		}
		for _, c := range g.List {
			if constraint.IsGoBuild(c.Text) || constraint.IsPlusBuild(c.Text) {
				return true
			}
		}
	}
	return false
}

// constrainedName reports whether go/build would build the file only for
// some GOOS or GOARCH because of its name (x_linux.go, x_arm64_test.go,
// x_windows_amd64.go). As in go/build, the part before the first
// underscore never counts, so linux.go is not constrained.
func constrainedName(name string) bool {
	name, _, _ = strings.Cut(name, ".")
	i := strings.Index(name, "_")
	if i < 0 {
		return false
	}
	parts := strings.Split(name[i:], "_")
	if n := len(parts); parts[n-1] == "test" {
		parts = parts[:n-1]
	}
	n := len(parts)
	if n >= 2 && knownOS[parts[n-2]] && knownArch[parts[n-1]] {
		return true
	}
	return n >= 1 && (knownOS[parts[n-1]] || knownArch[parts[n-1]])
}

// knownOS and knownArch are the GOOS and GOARCH values that go/build
// recognizes in file names (its internal/syslist as of Go 1.27), including
// ones no longer or not yet supported.
var knownOS = setOf("aix", "android", "darwin", "dragonfly", "freebsd",
	"hurd", "illumos", "ios", "js", "linux", "nacl", "netbsd", "openbsd",
	"plan9", "solaris", "wasip1", "windows", "zos")

var knownArch = setOf("386", "amd64", "amd64p32", "arm", "armbe", "arm64",
	"arm64be", "loong64", "mips", "mipsle", "mips64", "mips64le",
	"mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv",
	"riscv64", "s390", "s390x", "sparc", "sparc64", "wasm")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
