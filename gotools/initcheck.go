package main

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/tools/go/types/typeutil"
)

// An initEffect is something a package's initialisation does to the
// process that a test binary of the package cannot survive.
type initEffect struct {
	// Kind is "parses_flags" (the command line is go test's, whose flags
	// the package does not define) or "exits" (the process ends before
	// any test runs).
	Kind string `json:"kind"`
	Call string `json:"call"` // the function called, as "flag.Parse"
	Pos  string `json:"pos"`  // file:line:column of the call
	// Via is the chain of the package's own functions from the
	// initialisation to the call: "init", "init > setup", "var cfg".
	Via string `json:"via"`

	file      string
	line, col int
}

// flagParsers parse the process's command line. A call of any of them
// during initialisation meets go test's flags (-test.v, ...) before the
// testing package has defined them, and stops the binary.
var flagParsers = setOf(
	"flag.Parse",
	"github.com/spf13/pflag.Parse",
	"github.com/alecthomas/kingpin/v2.Parse",
	"gopkg.in/alecthomas/kingpin.v2.Parse",
)

// exiters end the process.
var exiters = setOf(
	"os.Exit", "syscall.Exit",
	"log.Fatal", "log.Fatalf", "log.Fatalln",
	"(*log.Logger).Fatal", "(*log.Logger).Fatalf", "(*log.Logger).Fatalln",
)

// initEffects finds the calls that the package's initialisation makes, in
// init functions and package-level variable initialisers, and through the
// package's own functions and methods that those call (statically
// resolved), to a function that parses the command line, wherever it is,
// or to one that exits, where nothing decides whether it runs: not inside
// an if, a loop, a switch or select, nor a go statement. Function literals
// count only where they are called on the spot. What imported packages do
// in their own initialisation is not looked at.
func initEffects(fset *token.FileSet, info *types.Info, pkg *types.Package, files []*ast.File) []initEffect {
	w := &initWalker{
		fset:  fset,
		info:  info,
		pkg:   pkg,
		decls: make(map[*types.Func]*ast.FuncDecl),
		seen:  make(map[walkKey]bool),
		found: make(map[string]bool),
	}
	for _, f := range files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				if fn, ok := info.Defs[fd.Name].(*types.Func); ok {
					w.decls[fn] = fd
				}
			}
		}
	}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.Name == "init" && d.Body != nil {
					w.walk(d.Body, false, "init")
				}
			case *ast.GenDecl:
				if d.Tok != token.VAR {
					continue
				}
				for _, s := range d.Specs {
					vs := s.(*ast.ValueSpec)
					for _, v := range vs.Values {
						w.walk(v, false, "var "+vs.Names[0].Name)
					}
				}
			}
		}
	}
	slices.SortFunc(w.effects, func(a, b initEffect) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.file, b.file),
			cmp.Compare(a.line, b.line), cmp.Compare(a.col, b.col))
	})
	return w.effects
}

type walkKey struct {
	fn          *types.Func
	conditional bool
}

type initWalker struct {
	fset    *token.FileSet
	info    *types.Info
	pkg     *types.Package
	decls   map[*types.Func]*ast.FuncDecl
	seen    map[walkKey]bool
	found   map[string]bool // kind and position, so a call is reported once
	effects []initEffect
}

// walk visits the calls under n; conditional says whether something
// between the initialisation and n decides whether n runs.
func (w *initWalker) walk(n ast.Node, conditional bool, via string) {
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false // a literal's body runs only where it is called
		case *ast.IfStmt:
			w.walkAll(false, conditional, via, n.Init, n.Cond)
			w.walkAll(true, conditional, via, n.Body, n.Else)
			return false
		case *ast.ForStmt:
			w.walkAll(false, conditional, via, n.Init, n.Cond)
			w.walkAll(true, conditional, via, n.Post, n.Body)
			return false
		case *ast.RangeStmt:
			w.walkAll(false, conditional, via, n.X)
			w.walkAll(true, conditional, via, n.Body)
			return false
		case *ast.SwitchStmt:
			w.walkAll(false, conditional, via, n.Init, n.Tag)
			w.walkAll(true, conditional, via, n.Body)
			return false
		case *ast.TypeSwitchStmt:
			w.walkAll(false, conditional, via, n.Init, n.Assign)
			w.walkAll(true, conditional, via, n.Body)
			return false
		case *ast.SelectStmt:
			w.walk(n.Body, true, via)
			return false
		case *ast.GoStmt:
			w.walk(n.Call, true, via) // it may run after the tests have begun
			return false
		case *ast.BinaryExpr:
			if n.Op == token.LAND || n.Op == token.LOR {
				w.walkAll(false, conditional, via, n.X)
				w.walkAll(true, conditional, via, n.Y)
				return false
			}
		case *ast.CallExpr:
			if lit, ok := ast.Unparen(n.Fun).(*ast.FuncLit); ok {
				w.walk(lit.Body, conditional, via)
			}
			w.call(n, conditional, via)
		}
		return true
	})
}

// walkAll walks each node that is there, conditionally if cond or
// conditional.
func (w *initWalker) walkAll(cond, conditional bool, via string, nodes ...ast.Node) {
	for _, n := range nodes {
		if n != nil {
			w.walk(n, cond || conditional, via)
		}
	}
}

// call records a call to a flag parser or an exit, and follows a call to
// the package's own function into its body.
func (w *initWalker) call(call *ast.CallExpr, conditional bool, via string) {
	fn := typeutil.StaticCallee(w.info, call)
	if fn == nil {
		return
	}
	fn = fn.Origin()
	name := fn.FullName()
	kind := ""
	switch {
	case flagParsers[name] || name == "(*flag.FlagSet).Parse" && w.isCommandLine(call):
		kind = "parses_flags"
	case exiters[name] && !conditional:
		kind = "exits"
	}
	if kind != "" {
		pos := w.fset.PositionFor(call.Pos(), false)
		file := filepath.Base(pos.Filename)
		at := fmt.Sprintf("%s:%d:%d", file, pos.Line, pos.Column)
		if !w.found[kind+at] {
			w.found[kind+at] = true
			w.effects = append(w.effects, initEffect{
				Kind: kind, Call: shortName(fn), Pos: at, Via: via,
				file: file, line: pos.Line, col: pos.Column,
			})
		}
		return
	}
	decl := w.decls[fn]
	key := walkKey{fn, conditional}
	// What was walked unconditionally holds everything a conditional walk
	// would find.
	if fn.Pkg() != w.pkg || decl == nil || decl.Body == nil || w.seen[key] || w.seen[walkKey{fn, false}] {
		return
	}
	w.seen[key] = true
	w.walk(decl.Body, conditional, via+" > "+funcName(decl))
}

// isCommandLine reports whether call is flag.CommandLine.Parse(...): the
// process's own flag set, which is what flag.Parse parses.
func (w *initWalker) isCommandLine(call *ast.CallExpr) bool {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	var id *ast.Ident
	switch x := ast.Unparen(sel.X).(type) {
	case *ast.SelectorExpr:
		id = x.Sel
	case *ast.Ident:
		id = x
	}
	v, ok := w.info.Uses[id].(*types.Var)
	return ok && v.Pkg() != nil && v.Pkg().Path() == "flag" && v.Name() == "CommandLine"
}

// shortName names fn as its package's name and its own, as a call of it
// reads in source: "flag.Parse", "log.Logger.Fatal".
func shortName(fn *types.Func) string {
	name := fn.Name()
	if recv := fn.Signature().Recv(); recv != nil {
		t := recv.Type()
		if p, ok := t.(*types.Pointer); ok {
			t = p.Elem()
		}
		if named, ok := t.(*types.Named); ok {
			name = named.Obj().Name() + "." + name
		}
	}
	if fn.Pkg() != nil {
		name = fn.Pkg().Name() + "." + name
	}
	return name
}
