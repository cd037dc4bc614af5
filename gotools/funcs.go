package main

import (
	"cmp"
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"
)

type funcsResult struct {
	Package    string     `json:"package"`
	ImportPath string     `json:"import_path"`
	Dir        string     `json:"dir"`
	Files      []string   `json:"files"`
	Imports    []span     `json:"imports"`
	Functions  []function `json:"functions"`
	Errors     []string   `json:"errors"`
	// InitEffects are what the package's initialisation does that no test
	// binary of it survives (initcheck.go).
	InitEffects []initEffect `json:"init_effects"`
}

type function struct {
	Name       string `json:"name"`
	File       string `json:"file"`
	StartLine  int    `json:"start_line"`
	EndLine    int    `json:"end_line"`
	Receiver   string `json:"receiver"`
	Exported   bool   `json:"exported"`
	Generic    bool   `json:"generic"`
	Statements int    `json:"statements"`
	Deps       []dep  `json:"deps"`
	// Constructors are the functions of the package that return the
	// receiver's or a parameter's type: what a test calls to build them.
	Constructors []dep `json:"constructors"`
}

type dep struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	File      string `json:"file"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
	// Depth is 1 for what the function uses itself, 2 for what those use,
	// and so on; 0 for a constructor that is not a dependency.
	Depth int `json:"depth"`
	// BodyLine and BodyCol locate the opening brace of a function's body
	// (1-based, the column in bytes), so that a prompt can show the
	// signature alone; both 0 for other declarations.
	BodyLine int `json:"body_line"`
	BodyCol  int `json:"body_col"`
}

// A span is a range of whole lines of one file.
type span struct {
	File      string `json:"file"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
}

// A decl is one top-level declaration, the unit in which a prompt shows
// dependencies: a FuncDecl, or a whole GenDecl, so that a grouped const
// block keeps its iota sequence.
type decl struct {
	node ast.Decl
	span span
	refs []types.Object // package-level objects it uses, in source order
}

const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
	packages.NeedTypes | packages.NeedTypesInfo

// loadFuncs lists the functions of the package in dir with their
// dependencies.
func loadFuncs(dir string) (*funcsResult, error) {
	abs, err := packageDir(dir)
	if err != nil {
		return nil, fmt.Errorf("funcs: %w", err)
	}
	pkg, err := loadPackage(abs, dir, loadMode)
	if err != nil {
		return nil, err
	}
	if err := fatalLoadError(pkg); err != nil {
		return nil, fmt.Errorf("loading package in %s: %w", dir, err)
	}

	res := &funcsResult{
		Package:    pkg.Name,
		ImportPath: pkg.PkgPath,
		Dir:        abs,
		Files:      []string{},
		Imports:    []span{},
		Functions:  []function{},
		Errors:     []string{},
	}
	for _, f := range pkg.GoFiles {
		res.Files = append(res.Files, filepath.Base(f))
	}
	for _, f := range pkg.Syntax {
		for _, d := range f.Decls {
			if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
				res.Imports = append(res.Imports, nodeSpan(pkg.Fset, gd, nil))
			}
		}
	}
	slices.SortFunc(res.Imports, func(a, b span) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.StartLine, b.StartLine))
	})
	hasTypeErrors := slices.ContainsFunc(pkg.Errors, func(e packages.Error) bool { return e.Kind == packages.TypeError })
	for _, e := range pkg.Errors {
		// With type errors, go list's failed compile ("# pkg\n...") only
		// repeats them.
		if hasTypeErrors && e.Kind == packages.ListError && strings.HasPrefix(e.Msg, "# ") {
			continue
		}
		res.Errors = append(res.Errors, relError(e, abs))
	}

	res.InitEffects = initEffects(pkg.Fset, pkg.TypesInfo, pkg.Types, pkg.Syntax)
	if res.InitEffects == nil {
		res.InitEffects = []initEffect{}
	}

	x := newDeclIndex(pkg)
	for _, fd := range x.funcs {
		res.Functions = append(res.Functions, x.function(fd))
	}
	slices.SortStableFunc(res.Functions, func(a, b function) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.StartLine, b.StartLine))
	})
	return res, nil
}

// fatalLoadError reports the errors that leave nothing to describe. Type
// errors are not among them: go/types keeps going, and a prompt for a
// package that does not compile is still useful.
func fatalLoadError(pkg *packages.Package) error {
	var errs []error
	for _, e := range pkg.Errors {
		if e.Kind == packages.ParseError {
			errs = append(errs, e)
		}
	}
	if len(errs) == 0 && (len(pkg.Syntax) == 0 || pkg.Types == nil || pkg.TypesInfo == nil) {
		for _, e := range pkg.Errors {
			errs = append(errs, e)
		}
		if len(errs) == 0 {
			errs = append(errs, errors.New("no Go files"))
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	// One line on stderr, as go/scanner.ErrorList does it.
	return fmt.Errorf("%w (and %d more errors)", errs[0], len(errs)-1)
}

// relError formats e with its position relative to dir, so that the
// message does not depend on where the package happens to live.
func relError(e packages.Error, dir string) string {
	pos := e.Pos
	if rel, ok := strings.CutPrefix(pos, dir+string(filepath.Separator)); ok {
		pos = rel
	}
	if pos == "" || pos == "-" {
		return e.Msg
	}
	return pos + ": " + e.Msg
}

// declIndex maps the package-level objects of a package to their
// declarations.
type declIndex struct {
	fset  *token.FileSet
	info  *types.Info
	byObj map[types.Object]*decl
	funcs []*ast.FuncDecl
	decls map[ast.Decl]*decl
}

func newDeclIndex(pkg *packages.Package) *declIndex {
	x := &declIndex{
		fset:  pkg.Fset,
		info:  pkg.TypesInfo,
		byObj: make(map[types.Object]*decl),
		decls: make(map[ast.Decl]*decl),
	}
	for _, f := range pkg.Syntax {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				x.funcs = append(x.funcs, d)
				x.add(d, d.Doc, d.Name)
			case *ast.GenDecl:
				if d.Tok == token.IMPORT {
					continue
				}
				var names []*ast.Ident
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						names = append(names, s.Name)
					case *ast.ValueSpec:
						names = append(names, s.Names...)
					}
				}
				x.add(d, d.Doc, names...)
			}
		}
	}
	for _, d := range x.decls {
		d.refs = x.uses(d.node)
	}
	return x
}

func (x *declIndex) add(node ast.Decl, doc *ast.CommentGroup, names ...*ast.Ident) {
	d := &decl{node: node, span: nodeSpan(x.fset, node, doc)}
	x.decls[node] = d
	for _, id := range names {
		if obj := x.info.Defs[id]; obj != nil {
			x.byObj[obj] = d
		}
	}
}

// nodeSpan is the line span of n, starting at its doc comment if it has
// one. Positions ignore //line directives: the span is used to cut the
// real file.
func nodeSpan(fset *token.FileSet, n ast.Node, doc *ast.CommentGroup) span {
	start := n.Pos()
	if doc != nil {
		start = doc.Pos()
	}
	p := fset.PositionFor(start, false)
	return span{
		File:      filepath.Base(p.Filename),
		StartLine: p.Line,
		EndLine:   fset.PositionFor(n.End(), false).Line,
	}
}

// uses returns the package-level objects n refers to that have a
// declaration in this package, in order of first use.
func (x *declIndex) uses(n ast.Node) []types.Object {
	var objs []types.Object
	seen := make(map[types.Object]bool)
	add := func(obj types.Object) {
		if obj == nil {
			return
		}
		obj = origin(obj)
		if x.byObj[obj] != nil && !seen[obj] {
			seen[obj] = true
			objs = append(objs, obj)
		}
	}
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			add(x.info.Uses[n])
		case *ast.SelectorExpr:
			// Uses records the selected method too; Selections also
			// covers method values reached through embedding.
			if sel := x.info.Selections[n]; sel != nil {
				add(sel.Obj())
			}
		}
		return true
	})
	return objs
}

// origin maps an instantiated generic function, method or field back to
// its declaration.
func origin(obj types.Object) types.Object {
	switch o := obj.(type) {
	case *types.Func:
		return o.Origin()
	case *types.Var:
		return o.Origin()
	}
	return obj
}

func (x *declIndex) function(fd *ast.FuncDecl) function {
	self := x.decls[fd]
	fn := function{
		Name:       funcName(fd),
		File:       self.span.File,
		StartLine:  self.span.StartLine,
		EndLine:    self.span.EndLine,
		Receiver:   recvName(fd),
		Exported:   fd.Name.IsExported(),
		Generic:    isGeneric(fd),
		Statements: countStmts(fd.Body),
		Deps:       []dep{},
	}

	// Walk the dependency graph from fd, breadth first, so that each
	// declaration is first reached at its least depth. Each reached
	// declaration is named after the first-declared object through which
	// it was reached, which for a grouped declaration is the member the
	// code actually uses.
	named := map[*decl]types.Object{self: nil}
	depth := map[*decl]int{self: 0}
	queue := []*decl{self}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		for _, obj := range d.refs {
			dd := x.byObj[obj]
			if prev, ok := named[dd]; ok {
				if prev != nil && obj.Pos() < prev.Pos() {
					named[dd] = obj
				}
				continue
			}
			named[dd] = obj
			depth[dd] = depth[d] + 1
			queue = append(queue, dd)
		}
	}
	for d, obj := range named {
		if d == self {
			continue
		}
		fn.Deps = append(fn.Deps, x.dep(d, obj, depth[d]))
	}
	sortDeps(fn.Deps)
	// Declarations sharing lines (type A int; type B int) would show the
	// same text twice.
	fn.Deps = slices.CompactFunc(fn.Deps, func(a, b dep) bool {
		return a.File == b.File && a.StartLine == b.StartLine && a.EndLine == b.EndLine
	})

	wanted := x.ownTypes(fd)
	var ofRecv, ofParams []dep
	for _, c := range x.funcs {
		if c == fd || c.Recv != nil {
			continue
		}
		made := x.resultTypes(c)
		d := x.decls[c]
		switch {
		case wanted.recv != nil && made[wanted.recv]:
			ofRecv = append(ofRecv, x.dep(d, x.info.Defs[c.Name], depth[d]))
		case slices.ContainsFunc(wanted.params, func(t *types.TypeName) bool { return made[t] }):
			ofParams = append(ofParams, x.dep(d, x.info.Defs[c.Name], depth[d]))
		}
	}
	sortDeps(ofRecv)
	sortDeps(ofParams)
	fn.Constructors = append(append([]dep{}, ofRecv...), ofParams...)
	return fn
}

func (x *declIndex) dep(d *decl, obj types.Object, depth int) dep {
	name := obj.Name()
	dp := dep{
		Kind:      objKind(obj),
		File:      d.span.File,
		StartLine: d.span.StartLine,
		EndLine:   d.span.EndLine,
		Depth:     depth,
	}
	if fd, ok := d.node.(*ast.FuncDecl); ok {
		name = funcName(fd) // "Type.Method", as in Functions
		if fd.Body != nil {
			p := x.fset.PositionFor(fd.Body.Lbrace, false)
			dp.BodyLine, dp.BodyCol = p.Line, p.Column
		}
	}
	dp.Name = name
	return dp
}

func sortDeps(deps []dep) {
	slices.SortFunc(deps, func(a, b dep) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.StartLine, b.StartLine),
			cmp.Compare(a.EndLine, b.EndLine), strings.Compare(a.Name, b.Name))
	})
}

// ownTypes are the types declared in this package that fd's receiver and
// parameters are made of.
type ownTypes struct {
	recv   *types.TypeName
	params []*types.TypeName
}

func (x *declIndex) ownTypes(fd *ast.FuncDecl) ownTypes {
	var own ownTypes
	obj, ok := x.info.Defs[fd.Name].(*types.Func)
	if !ok {
		return own
	}
	sig := obj.Signature()
	if recv := sig.Recv(); recv != nil {
		if names := x.namedIn(recv.Type()); len(names) > 0 {
			own.recv = names[0]
		}
	}
	for i := range sig.Params().Len() {
		for _, t := range x.namedIn(sig.Params().At(i).Type()) {
			if t != own.recv && !slices.Contains(own.params, t) {
				own.params = append(own.params, t)
			}
		}
	}
	return own
}

// resultTypes are the types declared in this package that fd's results are
// made of.
func (x *declIndex) resultTypes(fd *ast.FuncDecl) map[*types.TypeName]bool {
	obj, ok := x.info.Defs[fd.Name].(*types.Func)
	if !ok {
		return nil
	}
	made := make(map[*types.TypeName]bool)
	results := obj.Signature().Results()
	for i := range results.Len() {
		for _, t := range x.namedIn(results.At(i).Type()) {
			made[t] = true
		}
	}
	return made
}

// namedIn lists the named types of this package that t is, or holds
// through pointers, slices, arrays, maps and channels: a test that needs a
// []*Rule needs a Rule.
func (x *declIndex) namedIn(t types.Type) []*types.TypeName {
	var names []*types.TypeName
	var walk func(t types.Type)
	walk = func(t types.Type) {
		switch t := types.Unalias(t).(type) {
		case *types.Pointer:
			walk(t.Elem())
		case *types.Slice:
			walk(t.Elem())
		case *types.Array:
			walk(t.Elem())
		case *types.Chan:
			walk(t.Elem())
		case *types.Map:
			walk(t.Key())
			walk(t.Elem())
		case *types.Named:
			obj := t.Origin().Obj()
			if x.byObj[obj] != nil {
				names = append(names, obj)
			}
		}
	}
	walk(t)
	return names
}

func objKind(obj types.Object) string {
	switch obj := obj.(type) {
	case *types.TypeName:
		return "type"
	case *types.Const:
		return "const"
	case *types.Var:
		return "var"
	case *types.Func:
		if obj.Signature().Recv() != nil {
			return "method"
		}
		return "func"
	}
	return "other"
}

// funcName is the name a function is known by in this tool's output and
// in cover -func: "Func" or "Type.Method".
func funcName(fd *ast.FuncDecl) string {
	if r := recvName(fd); r != "" {
		return r + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// recvName is the name of fd's receiver type without pointer or type
// parameters, or "" for a plain function.
func recvName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return ""
	}
	if id, ok := recvBase(fd.Recv.List[0].Type).(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// recvBase strips pointers, parentheses and type arguments from a receiver
// type expression.
func recvBase(e ast.Expr) ast.Expr {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.ParenExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		default:
			return e
		}
	}
}

func isGeneric(fd *ast.FuncDecl) bool {
	if fd.Type.TypeParams.NumFields() > 0 {
		return true
	}
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return false
	}
	e := fd.Recv.List[0].Type
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.ParenExpr:
			e = t.X
		case *ast.IndexExpr, *ast.IndexListExpr:
			return true
		default:
			return false
		}
	}
}

// countStmts counts the statements in body, function literals included.
// Blocks, case and select clauses, labels and empty statements only hold
// or mark other statements, so they are not counted themselves.
func countStmts(body *ast.BlockStmt) int {
	if body == nil {
		return 0
	}
	n := 0
	ast.Inspect(body, func(node ast.Node) bool {
		switch node.(type) {
		case *ast.BlockStmt, *ast.CaseClause, *ast.CommClause, *ast.LabeledStmt, *ast.EmptyStmt:
		case ast.Stmt:
			n++
		}
		return true
	})
	return n
}
