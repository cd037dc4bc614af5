package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"hash/fnv"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

var errNoSelector = errors.New("-selector must be a Go expression on one line")

type schemataResult struct {
	File    string `json:"file"`
	Source  string `json:"source"`
	Mutants []int  `json:"mutants"`
}

// buildSchemata is the schemata subcommand.
func buildSchemata(a arguments) (*schemataResult, error) {
	sel, err := parseSelector(a["selector"])
	if err != nil {
		return nil, err
	}
	prefix, err := checkPrefix(a["prefix"])
	if err != nil {
		return nil, err
	}
	src, name, err := source(a)
	if err != nil {
		return nil, err
	}
	list, err := readMutantList(a)
	if err != nil {
		return nil, err
	}
	pkg, err := loadBuildable(a["dir"])
	if err != nil {
		return nil, err
	}
	files, _, err := targetFiles(pkg, a["file"], "")
	if err != nil {
		return nil, err
	}
	tf := files[0]

	// The sites are found again in the original file, and the given
	// mutants among them, so that the run-time form is decided from types.
	finder := newSiteFinder(pkg, tf)
	for _, d := range tf.ast.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
			finder.walk(fd)
		}
	}
	candidates := make(map[string]*mutant)
	for _, s := range finder.sites {
		for _, m := range s.mutants {
			candidates[m.key()] = m
		}
	}
	var active []*mutant
	seen := make(map[int]bool)
	for _, m := range list {
		if m.File != tf.name {
			continue
		}
		if m.ID < 1 || seen[m.ID] {
			return nil, fmt.Errorf("mutant ids must be unique and at least 1; got %d twice or below 1", m.ID)
		}
		seen[m.ID] = true
		c := candidates[m.key()]
		if c == nil {
			return nil, fmt.Errorf("mutant %d (%s at %s:%d:%d) is not a mutant of the current %s; were the mutants listed for another version of the file?",
				m.ID, m.Kind, m.File, m.Line, m.Col, tf.name)
		}
		c.ID = m.ID
		active = append(active, c)
	}

	p, err := instrumentedPlacement(tf, active, src, name)
	if err != nil {
		return nil, err
	}
	r := render(tf, p, sel, prefix)
	if _, err := parseSchemata(token.NewFileSet(), tf.name, r.source); err != nil {
		return nil, fmt.Errorf("internal error: schemata form of %s does not parse: %w", tf.name, err)
	}
	ids := []int{}
	for _, m := range active {
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)
	return &schemataResult{File: tf.name, Source: string(r.source), Mutants: ids}, nil
}

// parseSelector checks the selector expression and returns it as it is to
// be written before "== k".
func parseSelector(sel string) (string, error) {
	if strings.ContainsAny(sel, "\n\r") {
		return "", usageError{errNoSelector}
	}
	e, err := parser.ParseExpr(sel)
	if err != nil {
		return "", usageError{fmt.Errorf("%w: %v", errNoSelector, err)}
	}
	switch e.(type) {
	case *ast.Ident, *ast.CallExpr, *ast.SelectorExpr, *ast.IndexExpr, *ast.ParenExpr:
		return sel, nil
	}
	return "(" + sel + ")", nil
}

func readMutantList(a arguments) ([]mutant, error) {
	var data []byte
	switch {
	case a.has("mutants") && a.has("mutants_text"):
		return nil, usageError{errors.New("give either mutants or mutants_text, not both")}
	case a.has("mutants_text"):
		data = []byte(a["mutants_text"])
	case a.has("mutants"):
		var err error
		if data, err = os.ReadFile(a["mutants"]); err != nil {
			return nil, fmt.Errorf("reading mutants: %w", err)
		}
	default:
		return nil, usageError{errors.New("missing -mutants")}
	}
	var in struct {
		Mutants []mutant `json:"mutants"`
	}
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("reading mutants: %w", err)
	}
	if in.Mutants == nil {
		return nil, errors.New(`reading mutants: no "mutants" list (give the output of gotools mutants)`)
	}
	return in.Mutants, nil
}

func parseSchemata(fset *token.FileSet, name string, src []byte) (*ast.File, error) {
	return parser.ParseFile(fset, name, src, parser.SkipObjectResolution|parser.ParseComments)
}

// A placement is where the active sites are in the source being rewritten
// (the original file, or its cover-instrumented form).
type placement struct {
	src   []byte
	tok   *token.File
	sites []*placedSite // by start, outer before inner
}

type placedSite struct {
	s          *site
	n          ast.Node // the site's node in the source being rewritten
	start, end int
	ids        map[*mutant]int // the active mutants and their ids
}

// id is the id of the site's active mutant of kind, or 0.
func (ps *placedSite) id(kind string) int {
	for m, id := range ps.ids {
		if m.Kind == kind {
			return id
		}
	}
	return 0
}

func (p *placement) offset(pos token.Pos) int { return p.tok.Offset(pos) }

func (p *placement) add(s *site, n ast.Node, m *mutant, id int) {
	for _, ps := range p.sites {
		if ps.s == s {
			ps.ids[m] = id
			return
		}
	}
	p.sites = append(p.sites, &placedSite{
		s: s, n: n, start: p.offset(n.Pos()), end: p.offset(n.End()),
		ids: map[*mutant]int{m: id},
	})
}

func (p *placement) sort() {
	slices.SortStableFunc(p.sites, func(a, b *placedSite) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
}

// identityPlacement places the mutants in the original file itself, for
// type-checking; mutants without an id are numbered in order.
func identityPlacement(tf *targetFile, active []*mutant) *placement {
	p := &placement{src: tf.src, tok: tf.tok}
	for i, m := range active {
		id := m.ID
		if id == 0 {
			id = i + 1
		}
		p.add(m.site, m.site.node, m, id)
	}
	p.sort()
	return p
}

// instrumentedPlacement finds the active sites in src, the file after go
// tool cover (or the file itself). Cover keeps every line and inserts
// counter statements (and blocks around an else if), so columns move but
// lines do not: a site is the node of the same kind and text on the same
// line, the k-th such node there in source order when it was the k-th in
// the original, inserted statements left out.
func instrumentedPlacement(tf *targetFile, active []*mutant, src []byte, name string) (*placement, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parsing the instrumented source: %w", err)
	}
	tok := fset.File(f.FileStart)
	// A //line directive above the package clause shifts the raw lines.
	delta := tok.PositionFor(f.Package, false).Line - tf.rawPos(tf.ast.Package).Line

	known := make(map[string]bool)
	ast.Inspect(tf.ast, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			known[id.Name] = true
		}
		return true
	})

	origGroups := make(map[*site]string)
	origIndex := make(map[*site]int)
	want := make(map[ast.Node]*site)
	for _, m := range active {
		want[m.site.node] = m.site
	}
	counts := make(map[string]int)
	forEachKeyed(tf.ast, nil, func(n ast.Node, key string) {
		g := fmt.Sprintf("%s@%d", key, tf.rawPos(n.Pos()).Line)
		if s := want[n]; s != nil {
			origGroups[s] = g
			origIndex[s] = counts[g]
		}
		counts[g]++
	})

	var inserted [][2]int
	groups := make(map[string][]ast.Node)
	forEachKeyed(f, func(n ast.Node) bool {
		if isInserted(n, known) {
			inserted = append(inserted, [2]int{tok.Offset(n.Pos()), tok.Offset(n.End())})
			return true
		}
		return false
	}, func(n ast.Node, key string) {
		g := fmt.Sprintf("%s@%d", key, tok.PositionFor(n.Pos(), false).Line-delta)
		groups[g] = append(groups[g], n)
	})

	p := &placement{src: src, tok: tok}
	for _, m := range active {
		s := m.site
		nodes := groups[origGroups[s]]
		i := origIndex[s]
		if i >= len(nodes) {
			return nil, fmt.Errorf("mutant %d (%s at %s:%d:%d): no such node on that line of the instrumented source", m.ID, m.Kind, m.File, m.Line, m.Col)
		}
		n := nodes[i]
		orig := significantTokens(tf.src, tf.offset(s.node.Pos()), tf.offset(s.node.End()), nil)
		got := significantTokens(src, tok.Offset(n.Pos()), tok.Offset(n.End()), inserted)
		if !slices.Equal(orig, got) {
			return nil, fmt.Errorf("mutant %d (%s at %s:%d:%d): the node found on that line of the instrumented source has other text", m.ID, m.Kind, m.File, m.Line, m.Col)
		}
		p.add(s, n, m, m.ID)
	}
	p.sort()
	return p, nil
}

// forEachKeyed calls fn, in source order, for every node in the function
// bodies of f that could be a site, skipping the subtrees that skip
// reports.
func forEachKeyed(f *ast.File, skip func(ast.Node) bool, fn func(ast.Node, string)) {
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if n == nil || skip != nil && skip(n) {
				return false
			}
			if key := siteKey(n); key != "" {
				fn(n, key)
			}
			return true
		})
	}
}

// siteKey is the kind and text class of a node that may be a site.
func siteKey(n ast.Node) string {
	switch n := n.(type) {
	case *ast.BinaryExpr:
		return "binary " + n.Op.String()
	case *ast.UnaryExpr:
		return "unary " + n.Op.String()
	case *ast.AssignStmt:
		return "assign " + n.Tok.String()
	case *ast.IncDecStmt:
		return "incdec " + n.Tok.String()
	case *ast.BasicLit:
		return "literal " + n.Value
	case *ast.Ident:
		if n.Name == "true" || n.Name == "false" {
			return "ident " + n.Name
		}
	case *ast.ParenExpr:
		return "paren"
	case *ast.CallExpr:
		return "call"
	case *ast.ExprStmt:
		return "expr"
	case *ast.ReturnStmt:
		return "return"
	}
	return ""
}

// isInserted reports a statement that the original file cannot have
// written: one rooted at an identifier the original never mentions (a
// cover counter, named with a secret).
func isInserted(n ast.Node, known map[string]bool) bool {
	var e ast.Expr
	switch s := n.(type) {
	case *ast.AssignStmt:
		e = s.Lhs[0]
	case *ast.ExprStmt:
		e = s.X
	case *ast.IncDecStmt:
		e = s.X
	default:
		return false
	}
	for {
		switch x := e.(type) {
		case *ast.Ident:
			return !known[x.Name]
		case *ast.SelectorExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.CallExpr:
			e = x.Fun
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		default:
			return false
		}
	}
}

// significantTokens lists the tokens of src[start:end] outside the skipped
// ranges, leaving out braces and semicolons (cover adds blocks around an
// else if) and comments.
func significantTokens(src []byte, start, end int, skipped [][2]int) []string {
	text := slices.Clone(src[start:end])
	for _, r := range skipped {
		for i := max(r[0], start); i < min(r[1], end); i++ {
			text[i-start] = ' '
		}
	}
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", -1, len(text)), text, nil, 0)
	var toks []string
	for {
		_, tok, lit := s.Scan()
		switch tok {
		case token.EOF:
			return toks
		case token.LBRACE, token.RBRACE, token.SEMICOLON, token.COMMENT:
			continue
		}
		toks = append(toks, tok.String()+" "+lit)
	}
}

// A rendering is a rewritten file and where each site went in it.
type rendering struct {
	source []byte
	ranges []siteRange
	file   *targetFile
}

type siteRange struct {
	start, end int
	site       *site
}

// siteAt is the innermost site whose rendering holds offset.
func (r *rendering) siteAt(offset int) *site {
	var best *siteRange
	for i := range r.ranges {
		sr := &r.ranges[i]
		if sr.start <= offset && offset < sr.end && (best == nil || sr.end-sr.start < best.end-best.start) {
			best = sr
		}
	}
	if best == nil {
		return nil
	}
	return best.site
}

type renderer struct {
	p      *placement
	sel    string
	h      *helperSet
	out    bytes.Buffer
	ranges []siteRange
}

// render rewrites p's source with every placed site behind the selector,
// and appends the helpers it calls, named with prefix.
func render(tf *targetFile, p *placement, sel, prefix string) *rendering {
	r := &renderer{p: p, sel: sel, h: newHelperSet(prefix, tf.name)}
	r.writeRange(0, len(p.src), nil)
	if decls := r.h.decls; len(decls) > 0 {
		if !bytes.HasSuffix(r.out.Bytes(), []byte("\n")) {
			r.out.WriteByte('\n')
		}
		r.out.WriteString("\n// Mutant schemata helpers (gotools schemata).\n")
		for _, d := range decls {
			r.out.WriteString(d + "\n")
		}
	}
	return &rendering{source: r.out.Bytes(), ranges: r.ranges, file: tf}
}

// writeRange writes p.src[start:end] with the sites inside it rewritten,
// except self.
func (r *renderer) writeRange(start, end int, self *placedSite) {
	sites := r.p.sites
	cur := start
	i := sort.Search(len(sites), func(i int) bool { return sites[i].start >= start })
	for ; i < len(sites) && sites[i].start < end; i++ {
		ps := sites[i]
		if ps == self || ps.start < cur || ps.end > end {
			continue
		}
		r.out.Write(r.p.src[cur:ps.start])
		r.writeSite(ps)
		cur = ps.end
	}
	r.out.Write(r.p.src[cur:end])
}

func (r *renderer) writeNode(n ast.Node, self *placedSite) {
	r.writeRange(r.p.offset(n.Pos()), r.p.offset(n.End()), self)
}

func (r *renderer) src(from, to token.Pos) string {
	return string(r.p.src[r.p.offset(from):r.p.offset(to)])
}

func (r *renderer) printf(format string, args ...any) {
	fmt.Fprintf(&r.out, format, args...)
}

// is is the run-time test for mutant k.
func (r *renderer) is(k int) string {
	return fmt.Sprintf("%s == %d", r.sel, k)
}

func (r *renderer) writeSite(ps *placedSite) {
	start := r.out.Len()
	s := ps.s
	switch s.form {
	case formOrdered:
		b := ps.n.(*ast.BinaryExpr)
		r.printf("%s(%s, %d, %d, ", r.h.call(s.helper), r.sel, ps.id(kindBoundary), ps.id(kindNegation))
		r.writeOperands(b, ps)
		r.printf(")")
	case formArithmetic:
		b := ps.n.(*ast.BinaryExpr)
		r.printf("%s(%s, %d, ", r.h.call(s.helper), r.sel, ps.id(kindArithmetic))
		r.writeOperands(b, ps)
		r.printf(")")
	case formEquality:
		r.printf("((")
		r.writeRange(ps.start, ps.end, ps)
		r.printf(") != (%s))", r.is(ps.id(kindNegation)))
	case formLogical:
		b := ps.n.(*ast.BinaryExpr)
		m := "(" + r.is(ps.id(kindLogical)) + ")"
		r.printf("((((")
		r.writeNode(b.X, ps)
		r.printf(") != %s)%s", m, strings.TrimRight(r.src(b.X.End(), b.OpPos), " \t"))
		r.printf(" %s%s((", b.Op, r.src(b.OpPos+token.Pos(len(b.Op.String())), b.Y.Pos()))
		r.writeNode(b.Y, ps)
		r.printf(") != %s)) != %s)", m, m)
	case formAssignIf:
		a := ps.n.(*ast.AssignStmt)
		k := ps.id(kindAssignment)
		r.printf("if %s { ", r.is(k))
		r.writeAssign(a, ps, assignmentAlt[a.Tok])
		r.printf(" } else { ")
		r.writeAssign(a, ps, a.Tok)
		r.printf(" }")
	case formAssignHelper:
		a := ps.n.(*ast.AssignStmt)
		r.writeNode(a.Lhs[0], ps)
		r.printf("%s=%s", r.src(a.Lhs[0].End(), a.TokPos), r.src(a.TokPos+token.Pos(len(a.Tok.String())), a.Rhs[0].Pos()))
		r.printf("%s(%s, %d, ", r.h.call(s.helper), r.sel, ps.id(kindAssignment))
		r.writeNode(a.Lhs[0], ps)
		r.printf(", ")
		r.writeNode(a.Rhs[0], ps)
		r.printf(")")
	case formIncDecIf:
		x := ps.n.(*ast.IncDecStmt)
		alt := map[token.Token]token.Token{token.INC: token.DEC, token.DEC: token.INC}[x.Tok]
		r.printf("if %s { ", r.is(ps.id(kindIncDec)))
		r.writeNode(x.X, ps)
		r.printf("%s%s } else { ", r.src(x.X.End(), x.TokPos), alt)
		r.writeNode(x.X, ps)
		r.printf("%s%s }", r.src(x.X.End(), x.TokPos), x.Tok)
	case formIncDecHelper:
		x := ps.n.(*ast.IncDecStmt)
		r.writeNode(x.X, ps)
		r.printf(" = %s(%s, %d, ", r.h.call(s.helper), r.sel, ps.id(kindIncDec))
		r.writeNode(x.X, ps)
		r.printf(")")
	case formSign:
		u := ps.n.(*ast.UnaryExpr)
		r.printf("%s(%s, %d, %s", r.h.call(s.helper), r.sel, ps.id(kindSign), r.src(u.OpPos+1, u.X.Pos()))
		r.writeNode(u.X, ps)
		r.printf(")")
	case formConstExpr:
		// Nested: pick(sel, k1, (m1), pick(sel, k2, (m2), (original))).
		call := r.h.call(s.helper)
		var n int
		for _, m := range s.mutants {
			if id, ok := ps.ids[m]; ok {
				r.printf("%s(%s, %d, (%s), ", call, r.sel, id, m.constExpr)
				n++
			}
		}
		r.printf("(")
		r.writeRange(ps.start, ps.end, ps)
		r.printf(")%s", strings.Repeat(")", n))
	case formRemoveCall:
		r.printf("if %s != %d { ", r.sel, ps.id(kindCall))
		r.writeRange(ps.start, ps.end, ps)
		r.printf(" }")
	case formZeroReturn:
		r.printf("if %s { return %s } else { ", r.is(ps.id(kindReturn)), strings.Join(s.zeros, ", "))
		r.writeRange(ps.start, ps.end, ps)
		r.printf(" }")
	default:
		panic(fmt.Sprintf("unknown site form %d", s.form))
	}
	r.ranges = append(r.ranges, siteRange{start, r.out.Len(), s})
}

// writeOperands writes "x, y" for the binary expression b, keeping what
// lies around its operator (comments, a line break after it).
func (r *renderer) writeOperands(b *ast.BinaryExpr, ps *placedSite) {
	r.writeNode(b.X, ps)
	r.printf("%s,", strings.TrimRight(r.src(b.X.End(), b.OpPos), " \t"))
	after := r.src(b.OpPos+token.Pos(len(b.Op.String())), b.Y.Pos())
	if after == "" {
		after = " "
	}
	r.printf("%s", after)
	r.writeNode(b.Y, ps)
}

func (r *renderer) writeAssign(a *ast.AssignStmt, ps *placedSite, tok token.Token) {
	r.writeNode(a.Lhs[0], ps)
	r.printf("%s%s%s", r.src(a.Lhs[0].End(), a.TokPos), tok, r.src(a.TokPos+token.Pos(len(a.Tok.String())), a.Rhs[0].Pos()))
	r.writeNode(a.Rhs[0], ps)
}

// A helperUse is a call of a helper function on values of some types.
type helperUse struct {
	op    string
	types []typeName
}

// monomorphic reports whether the helper can be declared for exactly these
// types, which works in every Go version and infers nothing.
func (h *helperUse) monomorphic() bool {
	return !slices.ContainsFunc(h.types, func(t typeName) bool { return t.pkgLevel == "" })
}

func (h *helperUse) renderable(generics bool) bool {
	return h.monomorphic() || generics
}

// opName names the helper of each operator.
var opName = map[token.Token]string{
	token.LSS: "lt", token.LEQ: "le", token.GTR: "gt", token.GEQ: "ge",
	token.ADD: "add", token.SUB: "sub", token.MUL: "mul", token.QUO: "quo", token.REM: "rem",
	token.AND: "and", token.OR: "or", token.XOR: "xor", token.AND_NOT: "andnot",
	token.SHL: "shl", token.SHR: "shr", token.INC: "inc", token.DEC: "dec",
}

const (
	integerTypes = "~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr"
	orderedTypes = integerTypes + " | ~float32 | ~float64 | ~string"
	numericTypes = integerTypes + " | ~float32 | ~float64 | ~complex64 | ~complex128"
)

// A helperSet names and declares the helpers one file calls. Function names
// reach the binary (runtime.FuncForPC reads them), so they carry the
// secret prefix of one build, which a test cannot guess and which names
// nothing once the build is gone, and a tag of the file name, so that
// several rewritten files of one package do not clash.
type helperSet struct {
	prefix string
	names  map[string]string
	count  map[string]int
	decls  []string
}

func newHelperSet(prefix, file string) *helperSet {
	h := fnv.New32a()
	h.Write([]byte(file))
	return &helperSet{
		// "m" and the tag: no name the harness makes with the same prefix.
		prefix: fmt.Sprintf("%sm%08x_", prefix, h.Sum32()),
		names:  make(map[string]string),
		count:  make(map[string]int),
	}
}

// call returns the function expression that calls h, declaring the helper
// on first use.
func (hs *helperSet) call(h *helperUse) string {
	var texts []string
	if h.monomorphic() {
		for _, t := range h.types {
			texts = append(texts, t.pkgLevel)
		}
	}
	key := h.op + "(" + strings.Join(texts, ",") + ")"
	name, ok := hs.names[key]
	if !ok {
		if texts != nil {
			hs.count[h.op]++
			name = hs.prefix + h.op + strconv.Itoa(hs.count[h.op])
			hs.decls = append(hs.decls, helperDecl(name, h.op, "", texts))
		} else {
			name = hs.prefix + h.op + "G"
			params := []string{"T"}
			if len(h.types) == 2 {
				params = append(params, "U")
			}
			hs.decls = append(hs.decls, helperDecl(name, h.op, helperConstraint(h.op), params))
		}
		hs.names[key] = name
	}
	if texts != nil {
		return name
	}
	var args []string
	for _, t := range h.types {
		if t.local == "" {
			return name // left to inference
		}
		args = append(args, t.local)
	}
	return name + "[" + strings.Join(args, ", ") + "]"
}

func helperConstraint(op string) string {
	switch op {
	case "lt", "le", "gt", "ge":
		return orderedTypes
	case "add", "sub", "mul", "quo", "inc", "dec", "neg":
		return numericTypes
	case "pick":
		return "any"
	}
	return integerTypes
}

// helperDecl declares the helper for op on the types ts ("T" and "U" when
// generic, constrained by constraint).
func helperDecl(name, op, constraint string, ts []string) string {
	typeParams := ""
	if constraint != "" {
		typeParams = "[" + strings.Join(ts, ", ") + " " + constraint + "]"
	}
	t := ts[0]
	head := "func " + name + typeParams
	switch op {
	case "lt", "le", "gt", "ge":
		tok := map[string]token.Token{"lt": token.LSS, "le": token.LEQ, "gt": token.GTR, "ge": token.GEQ}[op]
		return fmt.Sprintf("%s(s, kb, kn uint32, x, y %s) bool { if s != 0 { if s == kb { return x %s y }; if s == kn { return x %s y } }; return x %s y }",
			head, t, boundaryAlt[tok], negationAlt[tok], tok)
	case "inc", "dec":
		orig, alt := "+", "-"
		if op == "dec" {
			orig, alt = alt, orig
		}
		return fmt.Sprintf("%s(s, k uint32, x %s) %s { if s == k { return x %s 1 }; return x %s 1 }", head, t, t, alt, orig)
	case "neg":
		return fmt.Sprintf("%s(s, k uint32, x %s) %s { if s == k { return x }; return -x }", head, t, t)
	case "pick":
		return fmt.Sprintf("%s(s, k uint32, mutant, original %s) %s { if s == k { return mutant }; return original }", head, t, t)
	case "shl", "shr":
		tok := map[string]token.Token{"shl": token.SHL, "shr": token.SHR}[op]
		return fmt.Sprintf("%s(s, k uint32, x %s, y %s) %s { if s == k { return x %s y }; return x %s y }", head, t, ts[1], t, arithmeticAlt[tok], tok)
	}
	var tok token.Token
	for k, v := range opName {
		if v == op {
			tok = k
		}
	}
	return fmt.Sprintf("%s(s, k uint32, x, y %s) %s { if s == k { return x %s y }; return x %s y }", head, t, t, arithmeticAlt[tok], tok)
}

func schemataArgs(a arguments) (any, error) { return buildSchemata(a) }
