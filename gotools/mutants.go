package main

import (
	"cmp"
	"errors"
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// The mutation kinds, in the order of the scoring contract. Selection takes
// them round-robin in this order.
const (
	kindBoundary   = "conditional_boundary"
	kindNegation   = "conditional_negation"
	kindArithmetic = "arithmetic"
	kindLogical    = "logical"
	kindAssignment = "assignment"
	kindIncDec     = "increment_decrement"
	kindSign       = "sign"
	kindConstant   = "constant"
	kindCall       = "removed_call"
	kindReturn     = "zero_return"
)

var mutationKinds = []string{
	kindBoundary, kindNegation, kindArithmetic, kindLogical, kindAssignment,
	kindIncDec, kindSign, kindConstant, kindCall, kindReturn,
}

// defaultMaxMutants is the scorer's default SCORING_MUTANTS.
const defaultMaxMutants = 24

type mutantsResult struct {
	Package string    `json:"package"`
	Mutants []*mutant `json:"mutants"`
	// Counts are the mutants of each kind that type-check, before the cap;
	// excluded are those that cannot be switched at run time.
	Counts   map[string]int `json:"counts"`
	Excluded map[string]int `json:"excluded"`
}

// A mutant is one fault at one site. Positions are those of the original
// file on disk (//line directives ignored), 1-based, columns in bytes; the
// end is the position just after the mutated node.
type mutant struct {
	ID          int    `json:"id"`
	Kind        string `json:"kind"`
	File        string `json:"file"`
	Line        int    `json:"line"`
	Col         int    `json:"col"`
	EndLine     int    `json:"end_line"`
	EndCol      int    `json:"end_col"`
	StmtLine    int    `json:"stmt_line"`
	StmtCol     int    `json:"stmt_col"`
	Original    string `json:"original"`
	Replacement string `json:"replacement"`

	site *site
	alt  token.Token // the replacement operator, for operator kinds
}

// key identifies a mutant across runs of gotools: schemata finds the
// mutants it is given among the candidates it computes again.
func (m *mutant) key() string {
	return fmt.Sprintf("%s %s %d:%d %d:%d %q %q", m.File, m.Kind, m.Line, m.Col, m.EndLine, m.EndCol, m.Original, m.Replacement)
}

// A form is the way a site switches between the original and its mutants
// at run time.
type form int

const (
	formOrdered      form = iota // helper(sel, kBoundary, kNegation, x, y)
	formEquality                 // ((x == y) != (sel == k))
	formArithmetic               // helper(sel, k, x, y)
	formLogical                  // (((x) != m) && ((y) != m)) != m
	formAssignIf                 // if sel == k { x -= y } else { x += y }
	formAssignHelper             // x = helper(sel, k, x, y)
	formIncDecIf                 // if sel == k { x-- } else { x++ }
	formIncDecHelper             // x = helper(sel, k, x)
	formSign                     // helper(sel, k, x)
	formConstant                 // helper(sel, k, mutant, original)
	formBool                     // (true != (sel == k))
	formRemoveCall               // if sel != k { f() }
	formZeroReturn               // if sel == k { return 0, nil } else { return x, err }
)

// A site is one node of the original file and the mutants that replace it.
type site struct {
	file    *targetFile
	node    ast.Node
	form    form
	mutants []*mutant

	op      token.Token // the original operator
	helper  *helperUse  // for the forms that call a helper
	lit     string      // formConstant: the replacement literal
	zeros   []string    // formZeroReturn: the zero value of each result
	pureLHS bool
}

// A targetFile is a file of the package whose functions are mutated.
type targetFile struct {
	name     string // base name
	index    int    // in the package's file list
	ast      *ast.File
	src      []byte
	tok      *token.File
	generics bool // whether the file's Go version allows type parameters
}

func (f *targetFile) offset(p token.Pos) int { return f.tok.Offset(p) }

func (f *targetFile) text(n ast.Node) string {
	return string(f.src[f.offset(n.Pos()):f.offset(n.End())])
}

// rawPos is a position in the file on disk, ignoring //line directives.
func (f *targetFile) rawPos(p token.Pos) token.Position {
	return f.tok.PositionFor(p, false)
}

const mutantsLoadMode = packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
	packages.NeedTypes | packages.NeedTypesInfo | packages.NeedTypesSizes | packages.NeedModule

// loadBuildable loads the package in dir, which must build: a mutant is
// only meaningful against code that compiles.
func loadBuildable(dir string) (*packages.Package, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(abs); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	cfg := &packages.Config{Mode: mutantsLoadMode, Dir: abs}
	pkgs, err := packages.Load(cfg, ".")
	if err != nil {
		return nil, fmt.Errorf("loading package in %s: %w", dir, err)
	}
	if len(pkgs) != 1 {
		return nil, fmt.Errorf("loading package in %s: found %d packages, want 1 (is the directory inside a module?)", dir, len(pkgs))
	}
	pkg := pkgs[0]
	if len(pkg.Errors) > 0 {
		// go list's failed compile ("# pkg\n...") only repeats the type
		// errors; one line, as everywhere in gotools.
		errs := slices.DeleteFunc(slices.Clone(pkg.Errors), func(e packages.Error) bool {
			return e.Kind == packages.ListError && strings.HasPrefix(e.Msg, "# ")
		})
		if len(errs) == 0 {
			errs = pkg.Errors
		}
		more := ""
		if len(errs) > 1 {
			more = fmt.Sprintf(" (and %d more errors)", len(errs)-1)
		}
		msg := strings.ReplaceAll(relError(errs[0], abs), "\n", " ")
		return nil, fmt.Errorf("package in %s does not build: %s%s", dir, msg, more)
	}
	if pkg.Types == nil || pkg.TypesInfo == nil || len(pkg.Syntax) == 0 {
		return nil, fmt.Errorf("package in %s: no Go files", dir)
	}
	return pkg, nil
}

// targetFiles returns the package's files by base name, in go list order,
// and the function declarations of each that the target names.
func targetFiles(pkg *packages.Package, file, fn string) ([]*targetFile, map[*targetFile][]*ast.FuncDecl, error) {
	var files []*targetFile
	decls := make(map[*targetFile][]*ast.FuncDecl)
	for _, f := range pkg.Syntax {
		tok := pkg.Fset.File(f.FileStart)
		name := filepath.Base(tok.Name())
		if file != "" && name != filepath.Base(file) {
			continue
		}
		src, err := os.ReadFile(tok.Name())
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", name, err)
		}
		tf := &targetFile{name: name, index: len(files), ast: f, src: src, tok: tok, generics: allowsGenerics(pkg, f)}
		files = append(files, tf)
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil || fn != "" && funcName(fd) != fn {
				continue
			}
			decls[tf] = append(decls[tf], fd)
		}
	}
	if file != "" && len(files) == 0 {
		return nil, nil, fmt.Errorf("unknown file %q: not a non-test Go file of the package as built", filepath.Base(file))
	}
	if fn != "" && len(decls) == 0 {
		where := pkg.PkgPath
		if file != "" {
			where = filepath.Base(file)
		}
		return nil, nil, fmt.Errorf("unknown function %q: not declared in %s", fn, where)
	}
	return files, decls, nil
}

func allowsGenerics(pkg *packages.Package, f *ast.File) bool {
	v := pkg.TypesInfo.FileVersions[f]
	if v == "" && pkg.Module != nil && pkg.Module.GoVersion != "" {
		v = "go" + pkg.Module.GoVersion
	}
	return v == "" || !versionBefore(v, 1, 18)
}

// versionBefore reports whether the Go version v ("go1.N...") is older
// than 1.minor.
func versionBefore(v string, major, minor int) bool {
	v = strings.TrimPrefix(v, "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return false
	}
	return ma < major || ma == major && mi < minor
}

// listMutants is the mutants subcommand.
func listMutants(dir, file, fn, maxArg string) (*mutantsResult, error) {
	limit := defaultMaxMutants
	if maxArg != "" {
		n, err := strconv.Atoi(maxArg)
		if err != nil || n < 0 {
			return nil, usageError{fmt.Errorf("-max must be a number >= 0, not %q", maxArg)}
		}
		limit = n
	}
	pkg, err := loadBuildable(dir)
	if err != nil {
		return nil, err
	}
	files, decls, err := targetFiles(pkg, file, fn)
	if err != nil {
		return nil, err
	}
	res := &mutantsResult{
		Package:  pkg.Name,
		Mutants:  []*mutant{},
		Counts:   make(map[string]int),
		Excluded: make(map[string]int),
	}
	for _, k := range mutationKinds {
		res.Counts[k] = 0
		res.Excluded[k] = 0
	}
	var pool []*mutant
	for _, tf := range files {
		f := newSiteFinder(pkg, tf)
		for _, fd := range decls[tf] {
			f.walk(fd)
		}
		for _, m := range f.unswitchable {
			res.Excluded[m.Kind]++
		}
		for _, s := range f.sites {
			pool = append(pool, s.mutants...)
		}
	}
	if len(pool) == 0 {
		return res, nil
	}

	chk := newSchemataChecker(pkg, files)
	pool, failed, err := chk.keepValid(pool)
	if err != nil {
		return nil, err
	}
	for _, m := range failed {
		res.Excluded[m.Kind]++
	}
	for _, m := range pool {
		res.Counts[m.Kind]++
	}
	// Mutants that type-check one by one may still clash once only some of
	// them are applied; the selection is checked again as it will be used.
	for {
		selected := selectMutants(pool, limit)
		_, failed, err := chk.keepValid(selected)
		if err != nil {
			return nil, err
		}
		if len(failed) == 0 {
			for i, m := range selected {
				m.ID = i + 1
			}
			res.Mutants = selected
			return res, nil
		}
		pool = slices.DeleteFunc(pool, func(m *mutant) bool { return slices.Contains(failed, m) })
		for _, m := range failed {
			res.Counts[m.Kind]--
			res.Excluded[m.Kind]++
		}
	}
}

// selectMutants picks at most max of pool (all if max is 0): round-robin
// over the kinds in the contract's order, one more of each kind per round
// while it has any left; within a kind, the picks are spread evenly over
// its mutants in source order (the i-th of q picks among n is the
// ⌊(2i+1)·n/2q⌋-th). The result is in source order.
func selectMutants(pool []*mutant, max int) []*mutant {
	byKind := make(map[string][]*mutant)
	for _, m := range pool {
		byKind[m.Kind] = append(byKind[m.Kind], m)
	}
	quota := make(map[string]int)
	if max == 0 || max >= len(pool) {
		for k, ms := range byKind {
			quota[k] = len(ms)
		}
	} else {
		for left := max; left > 0; {
			for _, k := range mutationKinds {
				if left > 0 && quota[k] < len(byKind[k]) {
					quota[k]++
					left--
				}
			}
		}
	}
	var selected []*mutant
	for _, k := range mutationKinds {
		ms, q := byKind[k], quota[k]
		for i := range q {
			selected = append(selected, ms[(2*i+1)*len(ms)/(2*q)])
		}
	}
	slices.SortStableFunc(selected, compareMutants)
	return selected
}

// compareMutants orders mutants by file (in go list order), position
// (outer nodes first), then kind.
func compareMutants(a, b *mutant) int {
	return cmp.Or(
		cmp.Compare(a.site.file.index, b.site.file.index),
		cmp.Compare(a.site.file.offset(a.site.node.Pos()), b.site.file.offset(b.site.node.Pos())),
		-cmp.Compare(a.site.file.offset(a.site.node.End()), b.site.file.offset(b.site.node.End())),
		cmp.Compare(slices.Index(mutationKinds, a.Kind), slices.Index(mutationKinds, b.Kind)),
	)
}

// A siteFinder lists the mutation sites of the functions of one file.
type siteFinder struct {
	pkg   *packages.Package
	info  *types.Info
	file  *targetFile
	names *typeNamer
	sites []*site
	// unswitchable are the mutants found but left out because no run-time
	// form exists for them there.
	unswitchable []*mutant

	decl  *ast.FuncDecl
	stack []ast.Node
}

func newSiteFinder(pkg *packages.Package, tf *targetFile) *siteFinder {
	return &siteFinder{
		pkg:   pkg,
		info:  pkg.TypesInfo,
		file:  tf,
		names: newTypeNamer(pkg, tf.ast),
	}
}

// walk finds the sites in the body of fd, function literals included.
func (f *siteFinder) walk(fd *ast.FuncDecl) {
	f.decl = fd
	f.stack = f.stack[:0]
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if n == nil {
			f.stack = f.stack[:len(f.stack)-1]
			return false
		}
		f.visit(n)
		f.stack = append(f.stack, n)
		return true
	})
}

func (f *siteFinder) parent() ast.Node {
	if len(f.stack) == 0 {
		return nil
	}
	return f.stack[len(f.stack)-1]
}

var (
	boundaryAlt = map[token.Token]token.Token{
		token.LSS: token.LEQ, token.LEQ: token.LSS, token.GTR: token.GEQ, token.GEQ: token.GTR,
	}
	negationAlt = map[token.Token]token.Token{
		token.EQL: token.NEQ, token.NEQ: token.EQL,
		token.LSS: token.GEQ, token.LEQ: token.GTR, token.GTR: token.LEQ, token.GEQ: token.LSS,
	}
	arithmeticAlt = map[token.Token]token.Token{
		token.ADD: token.SUB, token.SUB: token.ADD, token.MUL: token.QUO, token.QUO: token.MUL,
		token.REM: token.MUL, token.AND: token.OR, token.OR: token.AND, token.XOR: token.AND,
		token.AND_NOT: token.AND, token.SHL: token.SHR, token.SHR: token.SHL,
	}
	logicalAlt    = map[token.Token]token.Token{token.LAND: token.LOR, token.LOR: token.LAND}
	assignmentAlt = map[token.Token]token.Token{
		token.ADD_ASSIGN: token.SUB_ASSIGN, token.SUB_ASSIGN: token.ADD_ASSIGN,
		token.MUL_ASSIGN: token.QUO_ASSIGN, token.QUO_ASSIGN: token.MUL_ASSIGN,
		token.REM_ASSIGN: token.MUL_ASSIGN, token.AND_ASSIGN: token.OR_ASSIGN,
		token.OR_ASSIGN: token.AND_ASSIGN, token.XOR_ASSIGN: token.AND_ASSIGN,
		token.AND_NOT_ASSIGN: token.AND_ASSIGN, token.SHL_ASSIGN: token.SHR_ASSIGN,
		token.SHR_ASSIGN: token.SHL_ASSIGN,
	}
	// assignOp maps an assignment operator to its binary operator.
	assignOp = map[token.Token]token.Token{
		token.ADD_ASSIGN: token.ADD, token.SUB_ASSIGN: token.SUB, token.MUL_ASSIGN: token.MUL,
		token.QUO_ASSIGN: token.QUO, token.REM_ASSIGN: token.REM, token.AND_ASSIGN: token.AND,
		token.OR_ASSIGN: token.OR, token.XOR_ASSIGN: token.XOR, token.AND_NOT_ASSIGN: token.AND_NOT,
		token.SHL_ASSIGN: token.SHL, token.SHR_ASSIGN: token.SHR,
	}
)

func (f *siteFinder) visit(n ast.Node) {
	switch n := n.(type) {
	case *ast.BinaryExpr:
		f.binary(n)
	case *ast.AssignStmt:
		f.assign(n)
	case *ast.IncDecStmt:
		f.incDec(n)
	case *ast.UnaryExpr:
		if n.Op == token.SUB && !f.isConstZero(n.X) {
			s := &site{node: n, form: formSign, helper: f.helperFor("neg", f.typeOf(n))}
			repl := f.file.text(n.X)
			if f.constValue(n.X) != nil && !f.compilesAlone(n, repl) {
				f.unswitchable = append(f.unswitchable, f.newMutant(s, kindSign, repl, 0))
				return
			}
			f.add(s, kindSign, repl, 0)
		}
	case *ast.BasicLit:
		f.literal(n)
	case *ast.Ident:
		if obj := f.info.Uses[n]; obj != nil && obj.Parent() == types.Universe && (n.Name == "true" || n.Name == "false") {
			repl := map[string]string{"true": "false", "false": "true"}[n.Name]
			if f.compilesAlone(n, repl) {
				f.add(&site{node: n, form: formBool}, kindConstant, repl, 0)
			} else {
				f.unswitchable = append(f.unswitchable, f.newMutant(&site{node: n}, kindConstant, repl, 0))
			}
		}
	case *ast.ExprStmt:
		if _, ok := ast.Unparen(n.X).(*ast.CallExpr); ok {
			s := &site{node: n, form: formRemoveCall}
			if !f.inStatementList(n) || f.isTerminatingPanic(n) {
				f.unswitchable = append(f.unswitchable, f.newMutant(s, kindCall, "", 0))
				return
			}
			f.add(s, kindCall, "", 0)
		}
	case *ast.ReturnStmt:
		f.zeroReturn(n)
	}
}

// add records a site with one mutant, or adds the mutant to the site
// already recorded for the same node.
func (f *siteFinder) add(s *site, kind, replacement string, alt token.Token) {
	if s.helper != nil && !s.helper.renderable(f.file.generics) {
		f.unswitchable = append(f.unswitchable, f.newMutant(s, kind, replacement, alt))
		return
	}
	if len(f.sites) > 0 && f.sites[len(f.sites)-1].node == s.node {
		s = f.sites[len(f.sites)-1]
	} else {
		s.file = f.file
		f.sites = append(f.sites, s)
	}
	s.mutants = append(s.mutants, f.newMutant(s, kind, replacement, alt))
}

func (f *siteFinder) newMutant(s *site, kind, replacement string, alt token.Token) *mutant {
	start, end := f.file.rawPos(s.node.Pos()), f.file.rawPos(s.node.End())
	stmt := f.file.rawPos(f.anchor(s.node).Pos())
	return &mutant{
		Kind:        kind,
		File:        f.file.name,
		Line:        start.Line,
		Col:         start.Column,
		EndLine:     end.Line,
		EndCol:      end.Column,
		StmtLine:    stmt.Line,
		StmtCol:     stmt.Column,
		Original:    f.file.text(s.node),
		Replacement: replacement,
		site:        s,
		alt:         alt,
	}
}

// anchor is the innermost statement holding n that starts inside a cover
// block: the expressions of a case or select clause lie between blocks, so
// they count as their switch or select statement's.
func (f *siteFinder) anchor(n ast.Node) ast.Node {
	if s, ok := n.(ast.Stmt); ok {
		return s
	}
	for i := len(f.stack) - 1; i >= 0; i-- {
		switch s := f.stack[i].(type) {
		case *ast.CaseClause, *ast.CommClause:
			// In the clause's head (a statement of its body would have been
			// met first): clause, body block, switch or select statement.
			if i >= 2 {
				return f.stack[i-2]
			}
		case ast.Stmt:
			if cc, ok := f.stack[max(i-1, 0)].(*ast.CommClause); ok && cc.Comm == s {
				continue // the comm statement of a select clause: its head
			}
			return s
		}
	}
	return f.decl
}

func (f *siteFinder) typeOf(e ast.Expr) types.Type {
	t := f.info.TypeOf(e)
	if t == nil {
		return types.Typ[types.Invalid]
	}
	return types.Default(t)
}

func (f *siteFinder) constValue(e ast.Expr) constant.Value {
	if tv, ok := f.info.Types[e]; ok {
		return tv.Value
	}
	return nil
}

func (f *siteFinder) isConstZero(e ast.Expr) bool {
	v := f.constValue(e)
	return v != nil && isZeroValue(v)
}

func (f *siteFinder) isConst(e ast.Expr, n int64) bool {
	v := f.constValue(e)
	return v != nil && v.Kind() != constant.Bool && v.Kind() != constant.String &&
		constant.Compare(v, token.EQL, constant.MakeInt64(n))
}

func isZeroValue(v constant.Value) bool {
	switch v.Kind() {
	case constant.Bool:
		return !constant.BoolVal(v)
	case constant.String:
		return constant.StringVal(v) == ""
	case constant.Int, constant.Float, constant.Complex:
		return constant.Sign(v) == 0 && constant.Sign(constant.Imag(v)) == 0
	}
	return false
}

func isString(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsString != 0
}

func (f *siteFinder) binary(n *ast.BinaryExpr) {
	x := f.typeOf(n.X)
	if isUntyped(f.info.TypeOf(n.X)) {
		x = f.typeOf(n.Y)
	}
	switch {
	case boundaryAlt[n.Op] != token.ILLEGAL:
		s := &site{node: n, form: formOrdered, op: n.Op, helper: f.helperFor(opName[n.Op], x)}
		f.add(s, kindBoundary, f.replaceOp(n, n.OpPos, n.Op, boundaryAlt[n.Op]), boundaryAlt[n.Op])
		f.add(s, kindNegation, f.replaceOp(n, n.OpPos, n.Op, negationAlt[n.Op]), negationAlt[n.Op])
	case negationAlt[n.Op] != token.ILLEGAL:
		s := &site{node: n, form: formEquality, op: n.Op}
		f.add(s, kindNegation, f.replaceOp(n, n.OpPos, n.Op, negationAlt[n.Op]), negationAlt[n.Op])
	case logicalAlt[n.Op] != token.ILLEGAL:
		s := &site{node: n, form: formLogical, op: n.Op}
		f.add(s, kindLogical, f.replaceOp(n, n.OpPos, n.Op, logicalAlt[n.Op]), logicalAlt[n.Op])
	case arithmeticAlt[n.Op] != token.ILLEGAL:
		if f.equivalentArithmetic(n.Op, x, n.Y) {
			return
		}
		ts := []types.Type{x}
		if n.Op == token.SHL || n.Op == token.SHR {
			ts = []types.Type{f.typeOf(n.X), f.typeOf(n.Y)}
		}
		s := &site{node: n, form: formArithmetic, op: n.Op, helper: f.helperFor(opName[n.Op], ts...)}
		repl := f.replaceOp(n, n.OpPos, n.Op, arithmeticAlt[n.Op])
		if (f.constValue(n.X) != nil || f.constValue(n.Y) != nil) && !f.compilesAlone(n, repl) {
			f.unswitchable = append(f.unswitchable, f.newMutant(s, kindArithmetic, repl, arithmeticAlt[n.Op]))
			return
		}
		f.add(s, kindArithmetic, repl, arithmeticAlt[n.Op])
	}
}

func isUntyped(t types.Type) bool {
	b, ok := t.(*types.Basic)
	return ok && b.Info()&types.IsUntyped != 0
}

// equivalentArithmetic reports operator swaps that cannot change the
// result (x+0, x*1, x<<0, ...) or that do not type-check on strings.
func (f *siteFinder) equivalentArithmetic(op token.Token, t types.Type, y ast.Expr) bool {
	switch op {
	case token.ADD:
		return isString(t) || f.isConst(y, 0)
	case token.SUB, token.SHL, token.SHR:
		return f.isConst(y, 0)
	case token.MUL, token.QUO:
		return f.isConst(y, 1)
	}
	return false
}

// replaceOp is the text of n with its operator at opPos replaced.
func (f *siteFinder) replaceOp(n ast.Node, opPos token.Pos, op, alt token.Token) string {
	start, at := f.file.offset(n.Pos()), f.file.offset(opPos)
	return string(f.file.src[start:at]) + alt.String() + string(f.file.src[at+len(op.String()):f.file.offset(n.End())])
}

func (f *siteFinder) assign(n *ast.AssignStmt) {
	alt, ok := assignmentAlt[n.Tok]
	if !ok || len(n.Lhs) != 1 || len(n.Rhs) != 1 {
		return
	}
	t := f.typeOf(n.Lhs[0])
	if f.equivalentArithmetic(assignOp[n.Tok], t, n.Rhs[0]) {
		return
	}
	ts := []types.Type{t}
	if n.Tok == token.SHL_ASSIGN || n.Tok == token.SHR_ASSIGN {
		ts = append(ts, f.typeOf(n.Rhs[0]))
	}
	s := &site{node: n, op: n.Tok}
	repl := f.replaceOp(n, n.TokPos, n.Tok, alt)
	divByZero := (alt == token.QUO_ASSIGN || alt == token.REM_ASSIGN) && f.isConst(n.Rhs[0], 0) && isInteger(t)
	if divByZero || !f.chooseStmtForm(s, n, n.Lhs[0], formAssignIf, formAssignHelper) {
		f.unswitchable = append(f.unswitchable, f.newMutant(s, kindAssignment, repl, alt))
		return
	}
	if s.form == formAssignHelper {
		s.helper = f.helperFor(opName[assignOp[n.Tok]], ts...)
	}
	f.add(s, kindAssignment, repl, alt)
}

func (f *siteFinder) incDec(n *ast.IncDecStmt) {
	alt := map[token.Token]token.Token{token.INC: token.DEC, token.DEC: token.INC}[n.Tok]
	s := &site{node: n, op: n.Tok}
	repl := f.replaceOp(n, n.TokPos, n.Tok, alt)
	if !f.chooseStmtForm(s, n, n.X, formIncDecIf, formIncDecHelper) {
		f.unswitchable = append(f.unswitchable, f.newMutant(s, kindIncDec, repl, alt))
		return
	}
	if s.form == formIncDecHelper {
		s.helper = f.helperFor(opName[n.Tok], f.typeOf(n.X))
	}
	f.add(s, kindIncDec, repl, alt)
}

// chooseStmtForm picks how an assignment or increment switches: as an if
// statement in place of the statement, which repeats the statement's text
// and so needs a statement list, one line and no function literal; else as
// x = helper(..., x, ...), which evaluates x twice and so needs an x whose
// evaluation has no effect.
func (f *siteFinder) chooseStmtForm(s *site, stmt ast.Stmt, lhs ast.Expr, ifForm, helperForm form) bool {
	start, end := f.file.rawPos(stmt.Pos()), f.file.rawPos(stmt.End())
	if f.inStatementList(stmt) && start.Line == end.Line && !hasFuncLit(stmt) {
		s.form = ifForm
		return true
	}
	if f.isPure(lhs) && !hasFuncLit(lhs) {
		s.form = helperForm
		s.pureLHS = true
		return true
	}
	return false
}

func hasFuncLit(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			found = true
		}
		return !found
	})
	return found
}

// isPure reports whether evaluating e twice is the same as once: a
// variable, or fields and dereferences of one.
func (f *siteFinder) isPure(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name != "_"
	case *ast.ParenExpr:
		return f.isPure(e.X)
	case *ast.StarExpr:
		return f.isPure(e.X)
	case *ast.SelectorExpr:
		if sel := f.info.Selections[e]; sel != nil {
			return sel.Kind() == types.FieldVal && f.isPure(e.X)
		}
		_, isVar := f.info.Uses[e.Sel].(*types.Var) // a package-qualified variable
		return isVar
	}
	return false
}

// inStatementList reports whether stmt may be replaced by an if statement:
// it is in a block or clause body, or labeled, rather than the init or post
// statement of a control statement.
func (f *siteFinder) inStatementList(stmt ast.Stmt) bool {
	switch p := f.parent().(type) {
	case *ast.BlockStmt, *ast.CaseClause, *ast.LabeledStmt:
		return true
	case *ast.CommClause:
		return p.Comm != stmt
	}
	return false
}

// isTerminatingPanic reports a panic call whose removal would leave a
// function with results without its terminating statement.
func (f *siteFinder) isTerminatingPanic(stmt *ast.ExprStmt) bool {
	call := ast.Unparen(stmt.X).(*ast.CallExpr)
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return false
	}
	if b, ok := f.info.Uses[id].(*types.Builtin); !ok || b.Name() != "panic" {
		return false
	}
	var list []ast.Stmt
	switch p := f.parent().(type) {
	case *ast.BlockStmt:
		list = p.List
	case *ast.CaseClause:
		list = p.Body
	case *ast.CommClause:
		list = p.Body
	default:
		return true
	}
	return len(list) > 0 && list[len(list)-1] == stmt
}

func (f *siteFinder) literal(n *ast.BasicLit) {
	if n.Kind != token.INT && n.Kind != token.FLOAT {
		return
	}
	v := constant.MakeFromLiteral(n.Value, n.Kind, 0)
	if v.Kind() == constant.Unknown {
		return
	}
	var repl constant.Value
	switch {
	case n.Kind == token.INT && constant.Sign(v) == 0:
		repl = constant.MakeInt64(1)
	case n.Kind == token.INT && constant.Compare(v, token.EQL, constant.MakeInt64(1)):
		repl = constant.MakeInt64(0)
	default:
		repl = constant.BinaryOp(v, token.ADD, constant.MakeInt64(1))
	}
	text := repl.ExactString()
	if n.Kind == token.FLOAT {
		fv, _ := constant.Float64Val(repl)
		text = strconv.FormatFloat(fv, 'g', -1, 64)
		if !strings.ContainsAny(text, ".eEIN") {
			text += ".0"
		}
		if constant.Compare(constant.MakeFromLiteral(text, token.FLOAT, 0), token.EQL, v) {
			return // too large for +1 to show
		}
	}
	s := &site{node: n, form: formConstant, lit: text}
	if !f.compilesAlone(n, text) {
		f.unswitchable = append(f.unswitchable, f.newMutant(s, kindConstant, text, 0))
		return
	}
	s.helper = f.helperFor("pick", f.typeOf(n))
	f.add(s, kindConstant, text, 0)
}

// compilesAlone reports whether the mutant that writes repl in place of the
// expression n compiles on its own, as far as the expression around n
// decides: the run-time form makes constants variables, so it compiles
// where the mutant would not (an index out of an array's range, a division
// by a constant zero, a constant that overflows, a case or map key that
// repeats another). Where the check cannot judge, the mutant is kept.
func (f *siteFinder) compilesAlone(n ast.Expr, repl string) bool {
	// The expression around n, up to the statement or clause holding it.
	outer := ast.Node(n)
	i := len(f.stack) - 1
	for ; i >= 0; i-- {
		e, ok := f.stack[i].(ast.Expr)
		if !ok {
			break
		}
		if _, isLit := e.(*ast.CompositeLit); isLit && f.file.offset(e.End())-f.file.offset(e.Pos()) > maxCheckedLiteral {
			break // a large table: checking it once per mutant would be slow
		}
		if _, isKV := e.(*ast.KeyValueExpr); !isKV {
			outer = e
		}
	}
	var parent ast.Node
	if i >= 0 {
		parent = f.stack[i]
	}
	src := f.file.src
	start, end := f.file.offset(outer.Pos()), f.file.offset(outer.End())
	ns, ne := f.file.offset(n.Pos()), f.file.offset(n.End())
	mutated := string(src[start:ns]) + repl + string(src[ne:end])
	original := string(src[start:end])
	if a, ok := parent.(*ast.AssignStmt); ok && len(a.Rhs) == 1 && a.Rhs[0] == outer && assignOp[a.Tok] != token.ILLEGAL {
		// x /= e: e is a divisor too.
		lhs, op := f.file.text(a.Lhs[0]), assignOp[a.Tok].String()
		mutated = "(" + lhs + ") " + op + " (" + mutated + ")"
		original = "(" + lhs + ") " + op + " (" + original + ")"
	}
	v, err := f.checkExpr(mutated, n.Pos())
	if err != nil {
		_, origErr := f.checkExpr(original, n.Pos())
		return origErr != nil
	}
	if _, ok := parent.(*ast.CaseClause); ok && v != nil && i >= 2 {
		// clause, switch body, switch statement
		if sw, ok := f.stack[i-2].(*ast.SwitchStmt); ok {
			for _, c := range sw.Body.List {
				for _, e := range c.(*ast.CaseClause).List {
					ov := f.constValue(e)
					if e != outer && ov != nil && comparableKinds(ov, v) && constant.Compare(ov, token.EQL, v) {
						return false
					}
				}
			}
		}
	}
	return true
}

// maxCheckedLiteral bounds the composite literals that compilesAlone checks
// whole (in bytes of source).
const maxCheckedLiteral = 4096

// checkExpr type-checks the expression text as if it were at pos, and
// returns its constant value, if any.
func (f *siteFinder) checkExpr(text string, pos token.Pos) (constant.Value, error) {
	e, err := parser.ParseExpr(text)
	if err != nil {
		return nil, err
	}
	info := &types.Info{Types: make(map[ast.Expr]types.TypeAndValue)}
	if err := types.CheckExpr(token.NewFileSet(), f.pkg.Types, pos, e, info); err != nil {
		return nil, err
	}
	return info.Types[e].Value, nil
}

func isInteger(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsInteger != 0
}

func comparableKinds(a, b constant.Value) bool {
	numeric := func(v constant.Value) bool {
		k := v.Kind()
		return k == constant.Int || k == constant.Float || k == constant.Complex
	}
	return a.Kind() == b.Kind() || numeric(a) && numeric(b)
}

func (f *siteFinder) zeroReturn(n *ast.ReturnStmt) {
	sig, ftype := f.enclosingSignature()
	if sig == nil || sig.Results().Len() == 0 {
		return
	}
	var typeTexts []string
	for _, field := range ftype.Results.List {
		k := max(len(field.Names), 1)
		for range k {
			typeTexts = append(typeTexts, f.file.text(field.Type))
		}
	}
	zeros := make([]string, sig.Results().Len())
	for i := range zeros {
		z, ok := zeroValue(sig.Results().At(i).Type(), typeTexts[i])
		if !ok {
			f.unswitchable = append(f.unswitchable, f.newMutant(&site{node: n}, kindReturn, "", 0))
			return
		}
		zeros[i] = z
	}
	if len(n.Results) == len(zeros) && !slices.ContainsFunc(n.Results, func(e ast.Expr) bool { return !f.isZeroExpr(e) }) {
		return // already returns zero values
	}
	s := &site{node: n, form: formZeroReturn, zeros: zeros}
	f.add(s, kindReturn, "return "+strings.Join(zeros, ", "), 0)
}

// enclosingSignature is the signature of the innermost function around the
// walk's position, and its syntax.
func (f *siteFinder) enclosingSignature() (*types.Signature, *ast.FuncType) {
	for i := len(f.stack) - 1; i >= 0; i-- {
		if lit, ok := f.stack[i].(*ast.FuncLit); ok {
			sig, _ := f.info.TypeOf(lit).(*types.Signature)
			return sig, lit.Type
		}
	}
	fn, _ := f.info.Defs[f.decl.Name].(*types.Func)
	if fn == nil {
		return nil, nil
	}
	return fn.Signature(), f.decl.Type
}

// zeroValue spells the zero value of t, whose syntax in the signature is
// text; the signature's syntax stays valid in the body, type parameters
// included.
func zeroValue(t types.Type, text string) (string, bool) {
	if _, isParam := types.Unalias(t).(*types.TypeParam); !isParam {
		switch u := t.Underlying().(type) {
		case *types.Basic:
			switch {
			case u.Info()&types.IsBoolean != 0:
				return "false", true
			case u.Info()&types.IsString != 0:
				return `""`, true
			case u.Info()&types.IsNumeric != 0:
				return "0", true
			case u.Kind() == types.UnsafePointer:
				return "nil", true
			}
		case *types.Pointer, *types.Slice, *types.Map, *types.Chan, *types.Signature, *types.Interface:
			return "nil", true
		}
	}
	if strings.ContainsAny(text, "\n\r") {
		return "", false // would shift the lines after it
	}
	return "*new(" + text + ")", true
}

// isZeroExpr reports an expression that already is its type's zero value:
// nil, a zero constant, or an empty struct or array literal.
func (f *siteFinder) isZeroExpr(e ast.Expr) bool {
	tv := f.info.Types[e]
	if tv.IsNil() || tv.Value != nil && isZeroValue(tv.Value) {
		return true
	}
	if lit, ok := ast.Unparen(e).(*ast.CompositeLit); ok && len(lit.Elts) == 0 {
		switch f.typeOf(lit).Underlying().(type) {
		case *types.Struct, *types.Array:
			return true
		}
	}
	return false
}

// helperFor describes the call of the helper named op on values of the
// given types.
func (f *siteFinder) helperFor(op string, ts ...types.Type) *helperUse {
	h := &helperUse{op: op}
	for _, t := range ts {
		h.types = append(h.types, f.names.name(t))
	}
	return h
}

// A typeName is how a type can be written: at package level in the file
// (for a helper of that one type), and at the site (for a type argument).
// Either is "" where the type cannot be written there.
type typeName struct {
	pkgLevel, local string
}

// A typeNamer writes types as the file can name them.
type typeNamer struct {
	pkg     *types.Package
	imports map[string]string // import path -> name in the file ("" for a dot import)
}

func newTypeNamer(pkg *packages.Package, f *ast.File) *typeNamer {
	x := &typeNamer{pkg: pkg.Types, imports: make(map[string]string)}
	for _, spec := range f.Imports {
		pn := pkg.TypesInfo.PkgNameOf(spec)
		if pn == nil {
			continue
		}
		name := pn.Name()
		if spec.Name != nil && spec.Name.Name == "." {
			name = ""
		}
		if name != "_" {
			x.imports[pn.Imported().Path()] = name
		}
	}
	return x
}

func (x *typeNamer) name(t types.Type) typeName {
	t = types.Unalias(types.Default(t))
	switch t := t.(type) {
	case *types.Basic:
		if t.Kind() == types.Invalid || t.Kind() == types.UnsafePointer || t.Info()&types.IsUntyped != 0 {
			return typeName{}
		}
		return typeName{t.Name(), t.Name()}
	case *types.TypeParam:
		return typeName{"", t.Obj().Name()}
	case *types.Named:
		if t.TypeArgs().Len() > 0 {
			return typeName{}
		}
		obj := t.Obj()
		switch {
		case obj.Pkg() == nil: // error
			return typeName{obj.Name(), obj.Name()}
		case obj.Pkg() == x.pkg:
			if obj.Parent() == x.pkg.Scope() {
				return typeName{obj.Name(), obj.Name()}
			}
			return typeName{"", obj.Name()} // declared in a function
		case obj.Exported():
			if name, ok := x.imports[obj.Pkg().Path()]; ok {
				if name != "" {
					name += "."
				}
				return typeName{name + obj.Name(), name + obj.Name()}
			}
		}
	}
	return typeName{}
}

// checkSchemata type-checks the package with the schemata form of its
// target files; see keepValid.
type schemataChecker struct {
	pkg   *packages.Package
	files []*targetFile
	// others are the package's files that are not rewritten.
	others []*ast.File
	byPath map[string]*types.Package
}

// checkSelector stands for the selector expression while type-checking;
// its declaration is added as a file of its own.
const checkSelector = "gotoolsMutantSelector7c1e"

func newSchemataChecker(pkg *packages.Package, files []*targetFile) *schemataChecker {
	c := &schemataChecker{pkg: pkg, files: files, byPath: make(map[string]*types.Package)}
	for _, f := range pkg.Syntax {
		if !slices.ContainsFunc(files, func(tf *targetFile) bool { return tf.ast == f }) {
			c.others = append(c.others, f)
		}
		for _, spec := range f.Imports {
			if pn := pkg.TypesInfo.PkgNameOf(spec); pn != nil {
				path, _ := strconv.Unquote(spec.Path.Value)
				c.byPath[path] = pn.Imported()
			}
		}
	}
	return c
}

func (c *schemataChecker) Import(path string) (*types.Package, error) {
	if p := c.byPath[path]; p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("package %q is not imported by the original package", path)
}

// A checkError is a type error in the schemata form, and the site whose
// rendering holds it, if any.
type checkError struct {
	err  types.Error
	site *site
	line int // in the rewritten file, which keeps the original's lines
	file *targetFile
}

// check type-checks the package with the mutants applied and returns the
// errors.
func (c *schemataChecker) check(active []*mutant) ([]checkError, error) {
	files := slices.Clone(c.others)
	rendered := make(map[string]*rendering)
	for _, tf := range c.files {
		var mine []*mutant
		for _, m := range active {
			if m.site.file == tf {
				mine = append(mine, m)
			}
		}
		r := render(tf, identityPlacement(tf, mine), checkSelector+"()", checkSelector)
		name := tf.tok.Name() + ".schemata"
		f, err := parseSchemata(c.pkg.Fset, name, r.source)
		if err != nil {
			return nil, fmt.Errorf("internal error: schemata form of %s does not parse: %w", tf.name, err)
		}
		files = append(files, f)
		rendered[name] = r
		r.file = tf
	}
	sel, err := parseSchemata(c.pkg.Fset, "gotools_selector.go",
		[]byte("package "+c.pkg.Name+"\n\nfunc "+checkSelector+"() uint32 { return 0 }\n"))
	if err != nil {
		return nil, err
	}
	files = append(files, sel)

	var errs []checkError
	conf := &types.Config{
		Importer:  c,
		Sizes:     c.pkg.TypesSizes,
		GoVersion: goVersion(c.pkg),
		Error: func(err error) {
			terr, ok := err.(types.Error)
			if !ok {
				return
			}
			ce := checkError{err: terr}
			pos := terr.Fset.PositionFor(terr.Pos, false)
			if r := rendered[pos.Filename]; r != nil {
				ce.site = r.siteAt(pos.Offset)
				ce.line = pos.Line
				ce.file = r.file
			}
			errs = append(errs, ce)
		},
	}
	_, _ = conf.Check(c.pkg.PkgPath, c.pkg.Fset, files, nil)
	return errs, nil
}

func goVersion(pkg *packages.Package) string {
	if pkg.Module != nil && pkg.Module.GoVersion != "" {
		return "go" + pkg.Module.GoVersion
	}
	return ""
}

// keepValid splits mutants into those whose schemata form type-checks with
// all the others applied, and those that fail. An error inside a site's
// rendering fails that site's mutants; an error elsewhere (a function left
// without a terminating statement, say) is traced to the sites of the
// function it is in by bisection.
func (c *schemataChecker) keepValid(mutants []*mutant) (valid, failed []*mutant, err error) {
	valid = slices.Clone(mutants)
	for {
		errs, err := c.check(valid)
		if err != nil {
			return nil, nil, err
		}
		if len(errs) == 0 {
			return valid, failed, nil
		}
		bad := make(map[*site]bool)
		var stray []checkError
		for _, e := range errs {
			if e.site != nil {
				bad[e.site] = true
			} else {
				stray = append(stray, e)
			}
		}
		if len(bad) == 0 {
			// Only errors outside sites: find the culprits among the sites of
			// the function declarations the errors are in.
			suspects := c.suspects(valid, stray)
			culprits, err := c.culprits(suspects)
			if err != nil {
				return nil, nil, err
			}
			if len(culprits) == 0 {
				e := stray[0].err
				return nil, nil, fmt.Errorf("schemata form does not type-check: %s", e.Error())
			}
			for _, m := range culprits {
				bad[m.site] = true
			}
		}
		valid = slices.DeleteFunc(valid, func(m *mutant) bool {
			if bad[m.site] {
				failed = append(failed, m)
				return true
			}
			return false
		})
	}
}

// suspects are the mutants in the function declarations that hold errs, or
// all of them if an error is in none.
func (c *schemataChecker) suspects(mutants []*mutant, errs []checkError) []*mutant {
	var out []*mutant
	for _, m := range mutants {
		for _, e := range errs {
			if e.file == nil {
				return mutants
			}
			if m.site.file == e.file && declHoldsLine(e.file, m.site.node, e.line) {
				out = append(out, m)
				break
			}
		}
	}
	if len(out) == 0 {
		return mutants
	}
	return out
}

// declHoldsLine reports whether the top-level declaration holding n spans
// line.
func declHoldsLine(tf *targetFile, n ast.Node, line int) bool {
	for _, d := range tf.ast.Decls {
		if d.Pos() <= n.Pos() && n.End() <= d.End() {
			return tf.rawPos(d.Pos()).Line <= line && line <= tf.rawPos(d.End()).Line
		}
	}
	return false
}

// culprits finds, by bisection, the mutants among ms that make the
// schemata form fail on their own. If only a combination fails, all of ms
// are culprits.
func (c *schemataChecker) culprits(ms []*mutant) ([]*mutant, error) {
	errs, err := c.check(ms)
	if err != nil || len(errs) == 0 {
		return nil, err
	}
	if len(ms) == 1 {
		return ms, nil
	}
	// Mutants of one site go together.
	mid := len(ms) / 2
	for mid < len(ms) && ms[mid].site == ms[mid-1].site {
		mid++
	}
	if mid == len(ms) {
		return ms, nil
	}
	a, err := c.culprits(ms[:mid])
	if err != nil {
		return nil, err
	}
	b, err := c.culprits(ms[mid:])
	if err != nil {
		return nil, err
	}
	if len(a)+len(b) == 0 {
		return ms, nil
	}
	return append(a, b...), nil
}

var errNoSelector = errors.New("-selector must be a Go expression on one line")
