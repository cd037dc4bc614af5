package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
)

type assertionsResult struct {
	Assertions *int `json:"assertions"`
	// Tests is null, not [], when the file does not parse.
	Tests []string `json:"tests"`
	// Imports are the import paths the file declares, in source order:
	// what the scorer may have to fetch, read from the syntax and never
	// from compiler output that the file's own strings could imitate.
	Imports    []string `json:"imports"`
	ParseError string   `json:"parse_error,omitempty"`
}

const (
	testingPath = "testing"
	assertPath  = "github.com/stretchr/testify/assert"
	requirePath = "github.com/stretchr/testify/require"
)

// failMethods are the testing.TB methods that record a failed check.
var failMethods = setOf("Error", "Errorf", "Fatal", "Fatalf", "Fail", "FailNow")

// testifyNonChecks are the package-level functions of assert and require
// that check nothing: a constructor and helpers that return values.
var testifyNonChecks = setOf("New", "CallerInfo", "HTTPBody", "ObjectsAreEqual",
	"ObjectsAreEqualValues", "ObjectsExportedFieldsAreEqual")

// countAssertions counts the checks in one test file. It works on the
// syntax alone, because a generated test is scored before (and whether
// or not) it compiles, so identifiers are resolved by walking scopes.
func countAssertions(filename string, src []byte) *assertionsResult {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.SkipObjectResolution)
	if err != nil {
		return &assertionsResult{ParseError: err.Error()}
	}
	c := &counter{}
	c.file(f)
	return &assertionsResult{Assertions: &c.n, Tests: testFuncs(f), Imports: importPaths(f)}
}

// file walks every declaration of f, counting its checks.
func (c *counter) file(f *ast.File) {
	file := c.fileScope(f)
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			fs := file.inner()
			c.declareFields(fs, d.Recv)
			c.declareSignature(fs, d.Type)
			if d.Body != nil {
				c.walk(fs, d.Body)
			}
		case *ast.GenDecl:
			// Initializers of package-level variables may hold function
			// literals with checks.
			for _, s := range d.Specs {
				if vs, ok := s.(*ast.ValueSpec); ok {
					for _, v := range vs.Values {
						c.walk(file, v)
					}
				}
			}
		}
	}
}

// importPaths lists the paths of f's imports, each once, in source order.
func importPaths(f *ast.File) []string {
	paths := []string{}
	seen := make(map[string]bool)
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil || seen[p] {
			continue
		}
		seen[p] = true
		paths = append(paths, p)
	}
	return paths
}

// A kind says what an identifier denotes, as far as counting cares.
type kind int

const (
	kOther      kind = iota
	kTestingPkg      // the file's import of "testing"
	kTestifyPkg      // an import of testify's assert or require
	kTB              // a *testing.T, *testing.B, *testing.F or testing.TB
	kAssertions      // an *assert.Assertions or *require.Assertions
)

type binding struct{ kind kind }

type scope struct {
	outer *scope
	names map[string]*binding
}

func (s *scope) inner() *scope {
	return &scope{outer: s, names: make(map[string]*binding)}
}

func (s *scope) declare(name string, k kind) {
	if name != "_" {
		s.names[name] = &binding{kind: k}
	}
}

func (s *scope) lookup(name string) *binding {
	for ; s != nil; s = s.outer {
		if b := s.names[name]; b != nil {
			return b
		}
	}
	return nil
}

func (s *scope) kindOf(name string) kind {
	if b := s.lookup(name); b != nil {
		return b.kind
	}
	return kOther
}

type counter struct {
	n int
	// checks, when not nil, collects the calls that are checks, with the
	// kind of what they are called on (never kOther).
	checks     map[*ast.CallExpr]kind
	dotTesting bool // "testing" is dot-imported: T, B, F and TB are unqualified
}

// fileScope declares the imports and package-level variables of f.
// Package-level declarations of other files are unknown; they cannot
// clash with this file's imports, so they do not matter.
func (c *counter) fileScope(f *ast.File) *scope {
	s := &scope{names: make(map[string]*binding)}
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		var k kind
		var name string
		switch p {
		case testingPath:
			k, name = kTestingPkg, "testing"
		case assertPath:
			k, name = kTestifyPkg, "assert"
		case requirePath:
			k, name = kTestifyPkg, "require"
		default:
			continue
		}
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name == "." {
			// A dot-imported testify package cannot be told apart from
			// local functions without type information; it is not counted.
			c.dotTesting = c.dotTesting || k == kTestingPkg
			continue
		}
		s.declare(name, k)
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			c.declareSpecs(s, d)
		case *ast.FuncDecl:
			if d.Recv == nil {
				s.declare(d.Name.Name, kOther)
			}
		}
	}
	return s
}

func (c *counter) declareFields(s *scope, fl *ast.FieldList) {
	if fl == nil {
		return
	}
	for _, field := range fl.List {
		k := c.typeKind(s, field.Type)
		for _, id := range field.Names {
			s.declare(id.Name, k)
		}
	}
}

// declareSignature declares a function's type parameters, parameters and
// named results, which its body sees.
func (c *counter) declareSignature(s *scope, ft *ast.FuncType) {
	c.declareFields(s, ft.TypeParams)
	c.declareFields(s, ft.Params)
	c.declareFields(s, ft.Results)
}

func (c *counter) declareSpecs(s *scope, d *ast.GenDecl) {
	for _, spec := range d.Specs {
		switch spec := spec.(type) {
		case *ast.TypeSpec:
			s.declare(spec.Name.Name, kOther)
		case *ast.ValueSpec:
			// Work out all kinds before declaring: initializers see the
			// outer bindings of the names being declared.
			kinds := make([]kind, len(spec.Names))
			for i := range spec.Names {
				switch {
				case spec.Type != nil:
					kinds[i] = c.typeKind(s, spec.Type)
				case len(spec.Values) == len(spec.Names):
					kinds[i] = c.valueKind(s, spec.Values[i])
				}
			}
			for i, id := range spec.Names {
				s.declare(id.Name, kinds[i])
			}
		}
	}
}

// typeKind classifies a declared type.
func (c *counter) typeKind(s *scope, t ast.Expr) kind {
	t = ast.Unparen(t)
	if star, ok := t.(*ast.StarExpr); ok {
		switch x := ast.Unparen(star.X).(type) {
		case *ast.SelectorExpr:
			if pkg, ok := x.X.(*ast.Ident); ok {
				switch s.kindOf(pkg.Name) {
				case kTestingPkg:
					if x.Sel.Name == "T" || x.Sel.Name == "B" || x.Sel.Name == "F" {
						return kTB
					}
				case kTestifyPkg:
					if x.Sel.Name == "Assertions" {
						return kAssertions
					}
				}
			}
		case *ast.Ident:
			if c.dotTesting && s.lookup(x.Name) == nil && (x.Name == "T" || x.Name == "B" || x.Name == "F") {
				return kTB
			}
		}
		return kOther
	}
	switch x := t.(type) {
	case *ast.SelectorExpr:
		if pkg, ok := x.X.(*ast.Ident); ok && x.Sel.Name == "TB" && s.kindOf(pkg.Name) == kTestingPkg {
			return kTB
		}
	case *ast.Ident:
		if c.dotTesting && x.Name == "TB" && s.lookup(x.Name) == nil {
			return kTB
		}
	}
	return kOther
}

// valueKind classifies an initializer: a copy of a testing value or of an
// Assertions object, or a call of assert.New / require.New.
func (c *counter) valueKind(s *scope, v ast.Expr) kind {
	switch v := ast.Unparen(v).(type) {
	case *ast.Ident:
		if k := s.kindOf(v.Name); k == kTB || k == kAssertions {
			return k
		}
	case *ast.CallExpr:
		if sel, ok := ast.Unparen(v.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "New" {
			if pkg, ok := sel.X.(*ast.Ident); ok && s.kindOf(pkg.Name) == kTestifyPkg {
				return kAssertions
			}
		}
	}
	return kOther
}

// check counts call if it is a check.
func (c *counter) check(s *scope, call *ast.CallExpr) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return
	}
	x, ok := ast.Unparen(sel.X).(*ast.Ident)
	if !ok {
		return
	}
	switch s.kindOf(x.Name) {
	case kTB:
		if failMethods[sel.Sel.Name] {
			c.found(call, kTB)
		}
	case kAssertions:
		c.found(call, kAssertions)
	case kTestifyPkg:
		if !testifyNonChecks[sel.Sel.Name] {
			c.found(call, kTestifyPkg)
		}
	}
}

func (c *counter) found(call *ast.CallExpr, k kind) {
	c.n++
	if c.checks != nil {
		c.checks[call] = k
	}
}

// walk counts the checks in n, whose identifiers resolve in s. Nodes that
// open a scope or declare names are handled here; the rest is left to
// ast.Inspect.
func (c *counter) walk(s *scope, n ast.Node) {
	if n == nil {
		return
	}
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			fs := s.inner()
			c.declareSignature(fs, n.Type)
			c.walk(fs, n.Body)
			return false

		case *ast.BlockStmt:
			c.walkStmts(s.inner(), n.List)
			return false

		case *ast.IfStmt:
			c.walkEach(s.inner(), n.Init, n.Cond, n.Body, n.Else)
			return false

		case *ast.ForStmt:
			c.walkEach(s.inner(), n.Init, n.Cond, n.Post, n.Body)
			return false

		case *ast.RangeStmt:
			c.walk(s, n.X)
			rs := s.inner()
			if n.Tok == token.DEFINE {
				for _, e := range []ast.Expr{n.Key, n.Value} {
					if id, ok := e.(*ast.Ident); ok {
						rs.declare(id.Name, kOther)
					}
				}
			} else {
				c.walk(s, n.Key)
				c.walk(s, n.Value)
			}
			c.walk(rs, n.Body)
			return false

		case *ast.SwitchStmt:
			ss := s.inner()
			c.walk(ss, n.Init)
			c.walk(ss, n.Tag)
			for _, cl := range n.Body.List {
				cc := cl.(*ast.CaseClause)
				for _, e := range cc.List {
					c.walk(ss, e)
				}
				c.walkStmts(ss.inner(), cc.Body)
			}
			return false

		case *ast.TypeSwitchStmt:
			ss := s.inner()
			c.walk(ss, n.Init)
			symbol := ""
			switch a := n.Assign.(type) {
			case *ast.AssignStmt: // x := y.(type)
				for _, r := range a.Rhs {
					c.walk(ss, r)
				}
				if len(a.Lhs) == 1 {
					if id, ok := a.Lhs[0].(*ast.Ident); ok {
						symbol = id.Name
					}
				}
			default:
				c.walk(ss, n.Assign)
			}
			for _, cl := range n.Body.List {
				cc := cl.(*ast.CaseClause)
				cs := ss.inner()
				if symbol != "" {
					// In a single-type clause the symbol has that type.
					k := kOther
					if len(cc.List) == 1 {
						k = c.typeKind(ss, cc.List[0])
					}
					cs.declare(symbol, k)
				}
				c.walkStmts(cs, cc.Body)
			}
			return false

		case *ast.SelectStmt:
			for _, cl := range n.Body.List {
				cc := cl.(*ast.CommClause)
				cs := s.inner()
				c.walk(cs, cc.Comm)
				c.walkStmts(cs, cc.Body)
			}
			return false

		case *ast.AssignStmt:
			c.assign(s, n)
			return false

		case *ast.DeclStmt:
			if gd, ok := n.Decl.(*ast.GenDecl); ok {
				for _, spec := range gd.Specs {
					if vs, ok := spec.(*ast.ValueSpec); ok {
						for _, v := range vs.Values {
							c.walk(s, v)
						}
					}
				}
				c.declareSpecs(s, gd)
			}
			return false

		case *ast.CallExpr:
			c.check(s, n)
		}
		return true
	})
}

// walkEach walks nodes in order, all in s: an if's or a for's header and
// body share the one scope that the statement opens.
func (c *counter) walkEach(s *scope, nodes ...ast.Node) {
	for _, n := range nodes {
		c.walk(s, n)
	}
}

func (c *counter) walkStmts(s *scope, list []ast.Stmt) {
	for _, st := range list {
		c.walk(s, st)
	}
}

// assign handles both := and =. A short variable declaration declares the
// names new to the scope; a plain assignment of assert.New(t) (or of a
// testing value) to a variable declared without a telling type makes it
// count from then on.
func (c *counter) assign(s *scope, a *ast.AssignStmt) {
	for _, r := range a.Rhs {
		c.walk(s, r)
	}
	kinds := make([]kind, len(a.Lhs))
	if len(a.Lhs) == len(a.Rhs) {
		for i, r := range a.Rhs {
			kinds[i] = c.valueKind(s, r)
		}
	}
	for i, l := range a.Lhs {
		id, ok := l.(*ast.Ident)
		if !ok {
			c.walk(s, l)
			continue
		}
		if a.Tok == token.DEFINE {
			if b := s.names[id.Name]; b != nil {
				// Redeclared in the same scope: an assignment.
				if kinds[i] != kOther {
					b.kind = kinds[i]
				}
				continue
			}
			s.declare(id.Name, kinds[i])
			continue
		}
		if b := s.lookup(id.Name); b != nil && b.kind == kOther && kinds[i] != kOther {
			b.kind = kinds[i]
		}
	}
}
