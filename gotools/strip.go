package main

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/ast/astutil"
)

type strippedResult struct {
	// Source is the rewritten file; empty when it does not parse.
	Source string `json:"source"`
	// Removed counts the checks taken out (the assertions subcommand's
	// count of the original file, less what it counts in Source: 0).
	Removed    int    `json:"removed"`
	ParseError string `json:"parse_error,omitempty"`
}

// stripAssertions rewrites a test file so that it checks nothing but still
// runs everything it ran: every check (as the assertions subcommand counts
// them) is removed, the calls in its arguments kept, and an if statement
// left with nothing to do keeps its init statement and condition.
func stripAssertions(filename string, src []byte) *strippedResult {
	fset := token.NewFileSet()
	// Object resolution is on: it tells which local variables lose their
	// last use.
	f, err := parser.ParseFile(fset, filename, src, parser.ParseComments)
	if err != nil {
		return &strippedResult{ParseError: err.Error()}
	}
	c := &counter{checks: make(map[*ast.CallExpr]kind)}
	c.file(f)
	namesBefore := selectorNames(f)
	var removed []ast.Node

	astutil.Apply(f, nil, func(cur *astutil.Cursor) bool {
		switch n := cur.Node().(type) {
		case *ast.ExprStmt:
			call, ok := ast.Unparen(n.X).(*ast.CallExpr)
			if !ok || c.checks[call] == kOther || cur.Index() < 0 {
				return true
			}
			// The check goes; the calls in its arguments (often of the
			// code under test) still run.
			for _, arg := range call.Args {
				if hasNode[*ast.CallExpr](arg) {
					cur.InsertBefore(discard(arg))
				}
			}
			removed = append(removed, n)
			cur.Delete()
		case *ast.IfStmt:
			if len(n.Body.List) > 0 || !emptyElse(n.Else) {
				return true
			}
			removed = append(removed, n.Body)
			kept := []ast.Stmt{discard(n.Cond)}
			if n.Init != nil {
				kept = append([]ast.Stmt{n.Init}, kept...)
			}
			if cur.Index() >= 0 && n.Init == nil {
				cur.Replace(kept[0])
			} else {
				// A block keeps the init statement's names in their scope
				// (and is what an else branch must be).
				cur.Replace(&ast.BlockStmt{List: kept})
			}
		}
		return true
	})

	useUnusedLocals(f)
	dropUnusedImports(fset, f, namesBefore)
	f.Comments = commentsOutside(fset, f.Comments, removed)

	var out bytes.Buffer
	if err := format.Node(&out, fset, f); err != nil {
		return &strippedResult{ParseError: err.Error()}
	}
	return &strippedResult{Source: out.String(), Removed: len(c.checks)}
}

func emptyElse(s ast.Stmt) bool {
	if s == nil {
		return true
	}
	b, ok := s.(*ast.BlockStmt)
	return ok && len(b.List) == 0
}

// discard is `_ = e`.
func discard(e ast.Expr) ast.Stmt {
	return &ast.AssignStmt{Lhs: []ast.Expr{ast.NewIdent("_")}, Tok: token.ASSIGN, Rhs: []ast.Expr{e}}
}

// useUnusedLocals adds `_ = x` for every local variable x that the
// rewrite left without a use, so that the file still compiles. A variable
// is local when the parser resolved it to a := statement, a var
// declaration or a range clause inside a function.
func useUnusedLocals(f *ast.File) {
	uses := make(map[*ast.Object]int)
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Obj != nil && id.Obj.Kind == ast.Var && id.NamePos != id.Obj.Pos() {
			uses[id.Obj]++
		}
		return true
	})
	unused := func(ids ...ast.Expr) []ast.Stmt {
		var stmts []ast.Stmt
		for _, e := range ids {
			id, ok := e.(*ast.Ident)
			if ok && id.Name != "_" && id.Obj != nil && id.Obj.Kind == ast.Var && id.NamePos == id.Obj.Pos() && uses[id.Obj] == 0 {
				stmts = append(stmts, discard(ast.NewIdent(id.Name)))
				uses[id.Obj]++ // once
			}
		}
		return stmts
	}
	prepend := func(b *ast.BlockStmt, stmts []ast.Stmt) {
		if len(stmts) > 0 {
			b.List = append(stmts, b.List...)
		}
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		astutil.Apply(fd.Body, nil, func(cur *astutil.Cursor) bool {
			switch n := cur.Node().(type) {
			case *ast.AssignStmt:
				if n.Tok == token.DEFINE && cur.Index() >= 0 {
					for _, s := range unused(n.Lhs...) {
						cur.InsertAfter(s)
					}
				}
			case *ast.DeclStmt:
				if gd, ok := n.Decl.(*ast.GenDecl); ok && gd.Tok == token.VAR && cur.Index() >= 0 {
					for _, spec := range gd.Specs {
						for _, id := range spec.(*ast.ValueSpec).Names {
							for _, s := range unused(id) {
								cur.InsertAfter(s)
							}
						}
					}
				}
			case *ast.RangeStmt:
				if n.Tok == token.DEFINE {
					prepend(n.Body, unused(n.Key, n.Value))
				}
			case *ast.IfStmt:
				if a, ok := n.Init.(*ast.AssignStmt); ok && a.Tok == token.DEFINE {
					prepend(n.Body, unused(a.Lhs...))
				}
			case *ast.ForStmt:
				if a, ok := n.Init.(*ast.AssignStmt); ok && a.Tok == token.DEFINE {
					prepend(n.Body, unused(a.Lhs...))
				}
			case *ast.SwitchStmt:
				if a, ok := n.Init.(*ast.AssignStmt); ok && a.Tok == token.DEFINE && len(n.Body.List) > 0 {
					cc := n.Body.List[0].(*ast.CaseClause)
					cc.Body = append(unused(a.Lhs...), cc.Body...)
				}
			}
			return true
		})
	}
}

// selectorNames are the unresolved identifiers used as the X of a
// selector: the names of the imports that f uses (and of other files'
// package-level variables, which do not matter here).
func selectorNames(f *ast.File) map[string]bool {
	names := make(map[string]bool)
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Obj == nil {
				names[id.Name] = true
			}
		}
		return true
	})
	return names
}

// dropUnusedImports deletes the imports whose last use the rewrite took
// out. An import whose name cannot be told from its path is kept.
func dropUnusedImports(fset *token.FileSet, f *ast.File, before map[string]bool) {
	after := selectorNames(f)
	// Deleting an import edits f.Imports.
	for _, imp := range slices.Clone(f.Imports) {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		name := assumedName(path)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if before[name] && !after[name] {
			var local string
			if imp.Name != nil {
				local = imp.Name.Name
			}
			astutil.DeleteNamedImport(fset, f, local, path)
		}
	}
}

// assumedName is the package name that an import path usually has: its
// last element without a major version suffix or a gopkg.in-style .vN.
func assumedName(path string) string {
	elems := strings.Split(path, "/")
	last := elems[len(elems)-1]
	if len(elems) > 1 && len(last) > 1 && last[0] == 'v' && strings.Trim(last[1:], "0123456789") == "" {
		last = elems[len(elems)-2]
	}
	if i := strings.Index(last, ".v"); i > 0 {
		last = last[:i]
	}
	return strings.TrimPrefix(last, "go-")
}

// commentsOutside drops the comment groups that lay inside removed code or
// after it on its last line.
func commentsOutside(fset *token.FileSet, groups []*ast.CommentGroup, removed []ast.Node) []*ast.CommentGroup {
	var kept []*ast.CommentGroup
	for _, g := range groups {
		inside := false
		for _, n := range removed {
			trailing := g.Pos() >= n.End() && fset.Position(g.Pos()).Line == fset.Position(n.End()).Line
			if trailing || n.Pos() <= g.Pos() && g.End() <= n.End() {
				inside = true
				break
			}
		}
		if !inside {
			kept = append(kept, g)
		}
	}
	return kept
}
