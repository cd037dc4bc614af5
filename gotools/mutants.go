package main

import (
	"cmp"
	"fmt"
	"go/ast"
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
	node ast.Node    // the mutated node (the site's node, or inside it)
	alt  token.Token // the replacement operator, for operator kinds
	// constExpr is, for a mutant inside a constant expression, the text of
	// that whole expression with the mutant applied.
	constExpr string
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
	formConstExpr                // helper(sel, k, (mutated), (original)), for constant expressions
	formRemoveCall               // if sel != k { f() }
	formZeroReturn               // if sel == k { return 0, nil } else { return x, err }
)

// A site is one node of the original file and the mutants that replace it.
type site struct {
	file    *targetFile
	node    ast.Node
	form    form
	mutants []*mutant

	helper *helperUse // for the forms that call a helper
	zeros  []string   // formZeroReturn: the zero value of each result
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
	abs, err := packageDir(dir)
	if err != nil {
		return nil, err
	}
	pkg, err := loadPackage(abs, dir, mutantsLoadMode)
	if err != nil {
		return nil, err
	}
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
		cmp.Compare(a.site.file.offset(a.node.Pos()), b.site.file.offset(b.node.Pos())),
		-cmp.Compare(a.site.file.offset(a.node.End()), b.site.file.offset(b.node.End())),
		cmp.Compare(slices.Index(mutationKinds, a.Kind), slices.Index(mutationKinds, b.Kind)),
	)
}

// A schemataChecker type-checks the package with the schemata form of its
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

func mutantsArgs(a arguments) (any, error) {
	return listMutants(a["dir"], a["file"], a["func"], a["max"])
}
