package main

import (
	"bytes"
	"cmp"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/imports"
)

type testCallsResult struct {
	Package    string           `json:"package"`
	ImportPath string           `json:"import_path"`
	Tests      []testCalls      `json:"tests"`
	Targets    []testCallTarget `json:"targets"`
}

// testCalls is one top-level test of the package's test files and the
// functions and methods of the package it calls directly.
type testCalls struct {
	Name     string   `json:"name"`
	File     string   `json:"file"`
	External bool     `json:"external"`
	Calls    []string `json:"calls"`
}

// testCallTarget is one function of the package with the tests that call
// it, as one test file that builds on its own beside the package.
type testCallTarget struct {
	Function string   `json:"function"`
	Tests    []string `json:"tests"`
	External bool     `json:"external"`
	Source   string   `json:"source"`
}

const testCallsLoadMode = packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
	packages.NeedTypes | packages.NeedTypesInfo | packages.NeedForTest

// loadTestCalls maps the package's tests to the package's functions they
// call, and each called function to a test file made of its tests.
func loadTestCalls(dir, funcName string) (*testCallsResult, error) {
	abs, err := packageDir(dir)
	if err != nil {
		return nil, fmt.Errorf("testcalls: %w", err)
	}
	cfg := &packages.Config{Mode: testCallsLoadMode, Dir: abs, Tests: true}
	pkgs, err := packages.Load(cfg, ".")
	if err != nil {
		return nil, fmt.Errorf("loading package in %s: %w", dir, err)
	}
	// With Tests, go list gives the package, the package compiled with its
	// in-package test files, the external test package and the test main;
	// the two middle ones hold the tests.
	var plain, internal, external *packages.Package
	for _, p := range pkgs {
		switch {
		case p.ForTest == "" && !strings.HasSuffix(p.PkgPath, ".test"):
			plain = p
		case p.ForTest != "" && p.PkgPath == p.ForTest:
			internal = p
		case p.ForTest != "" && strings.HasSuffix(p.PkgPath, "_test"):
			external = p
		}
	}
	if plain == nil {
		return nil, fmt.Errorf("loading package in %s: found no package (is the directory inside a module?)", dir)
	}
	if err := fatalLoadError(plain); err != nil {
		return nil, fmt.Errorf("loading package in %s: %w", dir, err)
	}
	res := &testCallsResult{Package: plain.Name, ImportPath: plain.PkgPath, Tests: []testCalls{}, Targets: []testCallTarget{}}
	var groups []*testGroup
	for _, p := range []*packages.Package{internal, external} {
		// A test package that does not type-check cannot give a test that
		// builds alone; its tests are left out.
		if p == nil || len(p.Errors) > 0 {
			continue
		}
		g := newTestGroup(p, plain.PkgPath, p == external)
		res.Tests = append(res.Tests, g.tests...)
		groups = append(groups, g)
	}

	// A function's tests come from one test package (one file cannot be
	// both): the in-package tests when there are any, else the external.
	chosen := map[string]*testGroup{}
	var names []string
	for _, g := range groups {
		for _, tc := range g.tests {
			for _, fn := range tc.Calls {
				if _, ok := chosen[fn]; !ok {
					chosen[fn] = g
					names = append(names, fn)
				}
			}
		}
	}
	slices.Sort(names)
	for _, fn := range names {
		if funcName != "" && fn != funcName {
			continue
		}
		g := chosen[fn]
		target := testCallTarget{Function: fn, Tests: []string{}, External: g.external}
		var roots []*ast.FuncDecl
		for i, tc := range g.tests {
			if slices.Contains(tc.Calls, fn) {
				target.Tests = append(target.Tests, tc.Name)
				roots = append(roots, g.decls[i])
			}
		}
		src, err := g.file(roots)
		if err != nil {
			return nil, fmt.Errorf("testcalls: tests of %s: %w", fn, err)
		}
		target.Source = src
		res.Targets = append(res.Targets, target)
	}
	return res, nil
}

// A testGroup is the tests of one test package (in-package or external)
// and the declarations of its test files.
type testGroup struct {
	pkg      *packages.Package
	external bool
	tests    []testCalls
	decls    []*ast.FuncDecl // the tests' declarations, parallel to tests
	// declOf maps each package-level object declared in a test file to
	// its declaration; methodsOf maps a type to its methods' declarations.
	declOf    map[types.Object]ast.Decl
	methodsOf map[*types.TypeName][]ast.Decl
	fileOf    map[ast.Decl]*ast.File
	texts     map[*ast.File][]byte
}

func newTestGroup(p *packages.Package, underTest string, external bool) *testGroup {
	g := &testGroup{
		pkg: p, external: external,
		declOf:    map[types.Object]ast.Decl{},
		methodsOf: map[*types.TypeName][]ast.Decl{},
		fileOf:    map[ast.Decl]*ast.File{},
		texts:     map[*ast.File][]byte{},
	}
	for _, f := range p.Syntax {
		name := p.Fset.File(f.Pos()).Name()
		if !strings.HasSuffix(name, "_test.go") {
			continue
		}
		for _, d := range f.Decls {
			g.fileOf[d] = f
			g.index(d)
		}
		for _, fd := range runnable(f, "Test", "T") {
			g.decls = append(g.decls, fd)
			g.tests = append(g.tests, testCalls{
				Name: fd.Name.Name, File: filepath.Base(name), External: external,
				Calls: directCalls(p.Fset, p.TypesInfo, fd, underTest),
			})
		}
	}
	return g
}

// index records the objects that d declares.
func (g *testGroup) index(d ast.Decl) {
	info := g.pkg.TypesInfo
	switch d := d.(type) {
	case *ast.FuncDecl:
		obj := info.Defs[d.Name]
		if obj == nil {
			return
		}
		g.declOf[obj] = d
		if d.Recv != nil && len(d.Recv.List) == 1 {
			if tn := receiverTypeName(obj.(*types.Func)); tn != nil {
				g.methodsOf[tn] = append(g.methodsOf[tn], d)
			}
		}
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				if obj := info.Defs[s.Name]; obj != nil {
					g.declOf[obj] = d
				}
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if obj := info.Defs[n]; obj != nil && n.Name != "_" {
						g.declOf[obj] = d
					}
				}
			}
		}
	}
}

// directCalls lists, sorted and once each, the functions and methods of
// the package underTest, declared in its non-test files, that fd's body
// calls itself (function literals in it included, the helpers it calls
// not): "Func" or "Type.Method".
func directCalls(fset *token.FileSet, info *types.Info, fd *ast.FuncDecl, underTest string) []string {
	seen := map[string]bool{}
	ast.Inspect(fd, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		var id *ast.Ident
		switch fun := ast.Unparen(call.Fun).(type) {
		case *ast.Ident:
			id = fun
		case *ast.SelectorExpr:
			id = fun.Sel
		case *ast.IndexExpr: // an explicit instantiation, F[int](x)
			id = identOf(fun.X)
		case *ast.IndexListExpr:
			id = identOf(fun.X)
		}
		if id == nil {
			return true
		}
		fn, ok := info.Uses[id].(*types.Func)
		if !ok || fn.Pkg() == nil || fn.Pkg().Path() != underTest {
			return true
		}
		fn = fn.Origin()
		if strings.HasSuffix(fset.Position(fn.Pos()).Filename, "_test.go") {
			return true // a helper of the tests, not code under test
		}
		name := fn.Name()
		sig := fn.Type().(*types.Signature)
		if sig.Recv() != nil {
			tn := receiverTypeName(fn)
			if tn == nil {
				return true // an interface's method: the call reaches no one function
			}
			name = tn.Name() + "." + name
		}
		seen[name] = true
		return true
	})
	calls := []string{}
	for name := range seen {
		calls = append(calls, name)
	}
	slices.Sort(calls)
	return calls
}

func identOf(e ast.Expr) *ast.Ident {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return e
	case *ast.SelectorExpr:
		return e.Sel
	}
	return nil
}

// receiverTypeName is the named type whose method fn is, nil for an
// interface method.
func receiverTypeName(fn *types.Func) *types.TypeName {
	recv := fn.Type().(*types.Signature).Recv()
	if recv == nil {
		return nil
	}
	t := recv.Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := t.(*types.Named)
	if !ok || types.IsInterface(named) {
		return nil
	}
	return named.Origin().Obj()
}

// file is a test file of the roots and every declaration of the test files
// they need, transitively (a type brings its methods), in source order,
// with the imports their files declare, the unused ones removed.
func (g *testGroup) file(roots []*ast.FuncDecl) (string, error) {
	keep := map[ast.Decl]bool{}
	var queue []ast.Decl
	add := func(d ast.Decl) {
		if d != nil && !keep[d] {
			keep[d] = true
			queue = append(queue, d)
		}
	}
	for _, r := range roots {
		add(r)
	}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		ast.Inspect(d, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok {
				return true
			}
			obj := g.pkg.TypesInfo.Uses[id]
			if obj == nil {
				return true
			}
			if fn, ok := obj.(*types.Func); ok {
				obj = fn.Origin()
			}
			add(g.declOf[obj])
			if tn, ok := obj.(*types.TypeName); ok {
				for _, m := range g.methodsOf[tn] {
					add(m)
				}
			}
			return true
		})
	}

	fset := g.pkg.Fset
	var decls []ast.Decl
	for d := range keep {
		decls = append(decls, d)
	}
	slices.SortFunc(decls, func(a, b ast.Decl) int {
		pa, pb := fset.Position(a.Pos()), fset.Position(b.Pos())
		return cmp.Or(strings.Compare(pa.Filename, pb.Filename), cmp.Compare(pa.Offset, pb.Offset))
	})

	var buf bytes.Buffer
	fmt.Fprintf(&buf, "package %s\n\n", g.pkg.Name)
	seenImport := map[string]bool{}
	var files []*ast.File
	for _, d := range decls {
		if f := g.fileOf[d]; !slices.Contains(files, f) {
			files = append(files, f)
		}
	}
	buf.WriteString("import (\n")
	for _, f := range files {
		src := g.source(f)
		for _, is := range f.Imports {
			spec := string(src[fset.Position(is.Pos()).Offset:fset.Position(is.End()).Offset])
			if !seenImport[spec] {
				seenImport[spec] = true
				buf.WriteString("\t" + spec + "\n")
			}
		}
	}
	buf.WriteString(")\n")
	for _, d := range decls {
		src := g.source(g.fileOf[d])
		start := d.Pos()
		if doc := declDoc(d); doc != nil {
			start = doc.Pos()
		}
		buf.WriteString("\n")
		buf.Write(src[fset.Position(start).Offset:fset.Position(d.End()).Offset])
		buf.WriteString("\n")
	}
	// Only unused imports are removed: every name the declarations use
	// comes from their own files' imports.
	opt := &imports.Options{Comments: true, TabIndent: true, TabWidth: 8, FormatOnly: false}
	out, err := imports.Process(filepath.Join(g.pkg.Dir, "testcalls_test.go"), buf.Bytes(), opt)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// source is the text of f, read once.
func (g *testGroup) source(f *ast.File) []byte {
	if src, ok := g.texts[f]; ok {
		return src
	}
	name := g.pkg.Fset.File(f.Pos()).Name()
	src, err := os.ReadFile(name)
	if err != nil {
		// The file was read moments ago to parse it.
		panic(fmt.Sprintf("testcalls: rereading %s: %v", name, err))
	}
	g.texts[f] = src
	return src
}

func declDoc(d ast.Decl) *ast.CommentGroup {
	switch d := d.(type) {
	case *ast.FuncDecl:
		return d.Doc
	case *ast.GenDecl:
		return d.Doc
	}
	return nil
}
