package main

import (
	"go/ast"
	"strings"
	"unicode"
	"unicode/utf8"
)

// testFuncs lists the top-level tests that go test would run from file f,
// in source order, by the rule cmd/go applies to a test file's syntax: a
// function declaration without receiver or type parameters, named Test or
// TestXxx where Xxx does not start with a lower-case letter, with no
// results and exactly one parameter of type *T or *pkg.T. (go test only
// checks the type's name, since it cannot know how testing was imported;
// a TestXxx of another shape is a build error, and TestMain(*testing.M) is
// no test.)
func testFuncs(f *ast.File) []string {
	tests := []string{}
	for _, fd := range runnable(f, "Test", "T") {
		tests = append(tests, fd.Name.Name)
	}
	return tests
}

// runnable returns the functions of f that go test runs with the given
// name prefix (Test, Fuzz) and parameter type (T, F), in source order.
func runnable(f *ast.File, prefix, param string) []*ast.FuncDecl {
	var fns []*ast.FuncDecl
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv != nil || fd.Type.TypeParams != nil {
			continue
		}
		if isTest(fd.Name.Name, prefix) && takesPointerTo(fd.Type, param) {
			fns = append(fns, fd)
		}
	}
	return fns
}

// isTest reports whether name is prefix alone or prefix followed by
// anything but a lower-case letter (TestX, Test_x, but not Testify).
func isTest(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !unicode.IsLower(r)
}

// takesPointerTo reports whether ft is func(x *Name) or func(x *pkg.Name)
// with no results.
func takesPointerTo(ft *ast.FuncType, name string) bool {
	if ft.Results != nil && len(ft.Results.List) > 0 {
		return false
	}
	if ft.Params == nil || len(ft.Params.List) != 1 || len(ft.Params.List[0].Names) > 1 {
		return false
	}
	star, ok := ft.Params.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	switch x := star.X.(type) {
	case *ast.Ident:
		return x.Name == name
	case *ast.SelectorExpr:
		return x.Sel.Name == name
	}
	return false
}
