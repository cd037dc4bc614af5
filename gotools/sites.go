package main

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

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
		f.sign(n)
	case *ast.BasicLit:
		f.literal(n)
	case *ast.Ident:
		if obj := f.info.Uses[n]; obj != nil && obj.Parent() == types.Universe && (n.Name == "true" || n.Name == "false") {
			repl := map[string]string{"true": "false", "false": "true"}[n.Name]
			f.addConst(n, kindConstant, repl, 0)
		}
	case *ast.ExprStmt:
		if _, ok := ast.Unparen(n.X).(*ast.CallExpr); ok {
			s := &site{node: n, form: formRemoveCall}
			if !f.inStatementList(n) || f.isTerminatingPanic(n) {
				f.unswitchable = append(f.unswitchable, f.newMutant(s, n, kindCall, "", 0))
				return
			}
			f.add(s, n, kindCall, "", 0)
		}
	case *ast.ReturnStmt:
		f.zeroReturn(n)
	}
}

// add records a site with one mutant of node, or adds the mutant to the
// site already recorded for the same site node.
func (f *siteFinder) add(s *site, node ast.Node, kind, replacement string, alt token.Token) *mutant {
	if s.helper != nil && !s.helper.renderable(f.file.generics) {
		f.unswitchable = append(f.unswitchable, f.newMutant(s, node, kind, replacement, alt))
		return nil
	}
	if len(f.sites) > 0 && f.sites[len(f.sites)-1].node == s.node {
		s = f.sites[len(f.sites)-1]
	} else {
		s.file = f.file
		f.sites = append(f.sites, s)
	}
	m := f.newMutant(s, node, kind, replacement, alt)
	s.mutants = append(s.mutants, m)
	return m
}

func (f *siteFinder) newMutant(s *site, node ast.Node, kind, replacement string, alt token.Token) *mutant {
	start, end := f.file.rawPos(node.Pos()), f.file.rawPos(node.End())
	stmt := f.file.rawPos(f.anchor(node).Pos())
	return &mutant{
		Kind:        kind,
		File:        f.file.name,
		Line:        start.Line,
		Col:         start.Column,
		EndLine:     end.Line,
		EndCol:      end.Column,
		StmtLine:    stmt.Line,
		StmtCol:     stmt.Column,
		Original:    f.file.text(node),
		Replacement: replacement,
		site:        s,
		node:        node,
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
	type alternative struct {
		kind string
		alt  token.Token
	}
	var alts []alternative
	switch {
	case boundaryAlt[n.Op] != token.ILLEGAL:
		alts = []alternative{{kindBoundary, boundaryAlt[n.Op]}, {kindNegation, negationAlt[n.Op]}}
	case negationAlt[n.Op] != token.ILLEGAL:
		alts = []alternative{{kindNegation, negationAlt[n.Op]}}
	case logicalAlt[n.Op] != token.ILLEGAL:
		alts = []alternative{{kindLogical, logicalAlt[n.Op]}}
	case arithmeticAlt[n.Op] != token.ILLEGAL:
		alts = []alternative{{kindArithmetic, arithmeticAlt[n.Op]}}
	default:
		return
	}
	x := f.typeOf(n.X)
	if isUntyped(f.info.TypeOf(n.X)) {
		x = f.typeOf(n.Y)
	}
	if alts[0].kind == kindArithmetic && f.equivalentArithmetic(n.Op, x, n.Y) {
		return
	}
	if f.constValue(n) != nil {
		for _, a := range alts {
			f.addConst(n, a.kind, f.replaceOp(n, n.OpPos, n.Op, a.alt), a.alt)
		}
		return
	}
	s := &site{node: n}
	switch alts[0].kind {
	case kindBoundary:
		s.form, s.helper = formOrdered, f.helperFor(opName[n.Op], x)
	case kindNegation:
		s.form = formEquality
	case kindLogical:
		s.form = formLogical
	case kindArithmetic:
		ts := []types.Type{x}
		if n.Op == token.SHL || n.Op == token.SHR {
			ts = []types.Type{f.typeOf(n.X), f.typeOf(n.Y)}
		}
		s.form, s.helper = formArithmetic, f.helperFor(opName[n.Op], ts...)
	}
	for _, a := range alts {
		repl := f.replaceOp(n, n.OpPos, n.Op, a.alt)
		if a.kind == kindArithmetic && (f.constValue(n.X) != nil || f.constValue(n.Y) != nil) && !f.compilesAlone(n, repl) {
			f.unswitchable = append(f.unswitchable, f.newMutant(s, n, a.kind, repl, a.alt))
			continue
		}
		f.add(s, n, a.kind, repl, a.alt)
	}
}

// sign drops a unary minus.
func (f *siteFinder) sign(n *ast.UnaryExpr) {
	if n.Op != token.SUB || f.isConstZero(n.X) {
		return
	}
	repl := f.file.text(n.X)
	if f.constValue(n) != nil {
		f.addConst(n, kindSign, repl, 0)
		return
	}
	f.add(&site{node: n, form: formSign, helper: f.helperFor("neg", f.typeOf(n))}, n, kindSign, repl, 0)
}

// addConst records a mutant of n, a part of a constant expression. The
// site is the largest constant expression holding n, which switches
// between its text and its text with the mutant applied: both stay
// constants of the expression's type, evaluated exactly by the compiler,
// so that the original's value cannot change (typed run-time arithmetic
// could overflow where constant arithmetic does not).
func (f *siteFinder) addConst(n ast.Expr, kind, repl string, alt token.Token) {
	root := n
	for i := len(f.stack) - 1; i >= 0; i-- {
		e, ok := f.stack[i].(ast.Expr)
		if !ok || f.constValue(e) == nil {
			break
		}
		root = e
	}
	s := &site{node: root, form: formConstExpr, helper: f.helperFor("pick", f.typeOf(root))}
	src := f.file.src
	mutated := string(src[f.file.offset(root.Pos()):f.file.offset(n.Pos())]) + repl +
		string(src[f.file.offset(n.End()):f.file.offset(root.End())])
	if strings.ContainsAny(mutated, "\n\r") {
		// Repeated, the text would shift the lines after it: write it on
		// one line (without its comments).
		e, err := parser.ParseExpr(mutated)
		if err != nil {
			return
		}
		mutated = types.ExprString(e)
		if strings.Contains(mutated, "…") {
			f.unswitchable = append(f.unswitchable, f.newMutant(s, n, kind, repl, alt))
			return
		}
	}
	v, err := f.checkExpr(mutated, n.Pos())
	if orig := f.constValue(root); err == nil && v != nil && comparableKinds(v, orig) && constant.Compare(v, token.EQL, orig) {
		return // same value: an equivalent mutant
	}
	if err != nil || !f.compilesAlone(n, repl) {
		f.unswitchable = append(f.unswitchable, f.newMutant(s, n, kind, repl, alt))
		return
	}
	if m := f.add(s, n, kind, repl, alt); m != nil {
		m.constExpr = mutated
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
	s := &site{node: n}
	repl := f.replaceOp(n, n.TokPos, n.Tok, alt)
	divByZero := (alt == token.QUO_ASSIGN || alt == token.REM_ASSIGN) && f.isConst(n.Rhs[0], 0) && isInteger(t)
	if divByZero || !f.chooseStmtForm(s, n, n.Lhs[0], formAssignIf, formAssignHelper) {
		f.unswitchable = append(f.unswitchable, f.newMutant(s, n, kindAssignment, repl, alt))
		return
	}
	if s.form == formAssignHelper {
		s.helper = f.helperFor(opName[assignOp[n.Tok]], ts...)
	}
	f.add(s, n, kindAssignment, repl, alt)
}

func (f *siteFinder) incDec(n *ast.IncDecStmt) {
	alt := map[token.Token]token.Token{token.INC: token.DEC, token.DEC: token.INC}[n.Tok]
	s := &site{node: n}
	repl := f.replaceOp(n, n.TokPos, n.Tok, alt)
	if !f.chooseStmtForm(s, n, n.X, formIncDecIf, formIncDecHelper) {
		f.unswitchable = append(f.unswitchable, f.newMutant(s, n, kindIncDec, repl, alt))
		return
	}
	if s.form == formIncDecHelper {
		s.helper = f.helperFor(opName[n.Tok], f.typeOf(n.X))
	}
	f.add(s, n, kindIncDec, repl, alt)
}

// chooseStmtForm picks how an assignment or increment switches: as an if
// statement in place of the statement, which repeats the statement's text
// and so needs a statement list, one line and no function literal; else as
// x = helper(..., x, ...), which evaluates x twice and so needs an x whose
// evaluation has no effect.
func (f *siteFinder) chooseStmtForm(s *site, stmt ast.Stmt, lhs ast.Expr, ifForm, helperForm form) bool {
	start, end := f.file.rawPos(stmt.Pos()), f.file.rawPos(stmt.End())
	if f.inStatementList(stmt) && start.Line == end.Line && !hasNode[*ast.FuncLit](stmt) {
		s.form = ifForm
		return true
	}
	if f.isPure(lhs) && !hasNode[*ast.FuncLit](lhs) {
		s.form = helperForm
		return true
	}
	return false
}

// hasNode reports whether n holds a node of type T, n itself included.
func hasNode[T ast.Node](n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if _, ok := n.(T); ok {
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

// isTerminatingPanic reports a panic call that the function around it needs
// as its terminating statement: without it, a function with results would
// not compile ("missing return").
func (f *siteFinder) isTerminatingPanic(stmt *ast.ExprStmt) bool {
	call := ast.Unparen(stmt.X).(*ast.CallExpr)
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return false
	}
	if b, ok := f.info.Uses[id].(*types.Builtin); !ok || b.Name() != "panic" {
		return false
	}
	sig, _ := f.enclosingSignature()
	if sig == nil || sig.Results().Len() == 0 {
		return false
	}
	body := f.decl.Body
	for i := len(f.stack) - 1; i >= 0; i-- {
		if lit, ok := f.stack[i].(*ast.FuncLit); ok {
			body = lit.Body
			break
		}
	}
	return endsWith(body.List, stmt)
}

// endsWith reports whether the statement list is terminating by way of
// target: target is its final statement, or the final statement of a
// block, if-else, labeled statement, switch or select that ends the list
// (the spec's terminating statements, which the list of a function with
// results must end in). A for statement without condition is terminating
// whatever its body holds.
func endsWith(list []ast.Stmt, target ast.Stmt) bool {
	var last ast.Stmt
	for i := len(list) - 1; i >= 0; i-- {
		if _, empty := list[i].(*ast.EmptyStmt); !empty {
			last = list[i]
			break
		}
	}
	switch s := last.(type) {
	case nil:
		return false
	case *ast.ExprStmt:
		return s == target
	case *ast.BlockStmt:
		return endsWith(s.List, target)
	case *ast.LabeledStmt:
		return endsWith([]ast.Stmt{s.Stmt}, target)
	case *ast.IfStmt:
		return s.Else != nil && (endsWith(s.Body.List, target) || endsWith([]ast.Stmt{s.Else}, target))
	case *ast.SwitchStmt:
		return clausesEndWith(s.Body, target)
	case *ast.TypeSwitchStmt:
		return clausesEndWith(s.Body, target)
	case *ast.SelectStmt:
		return clausesEndWith(s.Body, target)
	}
	return false
}

func clausesEndWith(body *ast.BlockStmt, target ast.Stmt) bool {
	for _, c := range body.List {
		switch c := c.(type) {
		case *ast.CaseClause:
			if endsWith(c.Body, target) {
				return true
			}
		case *ast.CommClause:
			if endsWith(c.Body, target) {
				return true
			}
		}
	}
	return false
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
	f.addConst(n, kindConstant, text, 0)
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
			f.unswitchable = append(f.unswitchable, f.newMutant(&site{node: n}, n, kindReturn, "", 0))
			return
		}
		zeros[i] = z
	}
	if len(n.Results) == len(zeros) && !slices.ContainsFunc(n.Results, func(e ast.Expr) bool { return !f.isZeroExpr(e) }) {
		return // already returns zero values
	}
	s := &site{node: n, form: formZeroReturn, zeros: zeros}
	f.add(s, n, kindReturn, "return "+strings.Join(zeros, ", "), 0)
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
// included. A type parameter's zero value is *new(T).
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
	switch t.Underlying().(type) {
	case *types.Struct, *types.Array:
		// A composite literal, unlike *new(T), is no copy of a lock for vet.
		if !strings.HasPrefix(text, "(") {
			return text + "{}", true
		}
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
