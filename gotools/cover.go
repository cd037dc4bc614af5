package main

import (
	"bufio"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
)

type coverResult struct {
	Statements int      `json:"statements"`
	Covered    int      `json:"covered"`
	Coverage   *float64 `json:"coverage"`
}

// A block is one basic block of a cover profile. Lines and columns are
// 1-based; columns count bytes, as token.Position does.
type block struct {
	startLine, startCol int
	endLine, endCol     int
	stmts               int
	covered             bool
}

// profile maps a profile's file names (import path + "/" + base name) to
// their blocks.
type profile map[string][]*block

// readProfile parses a cover profile. Unlike golang.org/x/tools/cover it
// accepts several profiles concatenated (each with its own mode line), as
// left by appending runs to one file. A block listed more than once is
// covered if any of its counts is positive.
func readProfile(name string) (profile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("reading profile: %w", err)
	}
	defer f.Close()

	prof := make(profile)
	type key struct {
		file string
		pos  [4]int
	}
	seen := make(map[key]*block)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for lineno := 1; sc.Scan(); lineno++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "mode:") {
			continue
		}
		file, b, err := parseProfileLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, lineno, err)
		}
		k := key{file, [4]int{b.startLine, b.startCol, b.endLine, b.endCol}}
		if prev := seen[k]; prev != nil {
			if prev.stmts != b.stmts {
				return nil, fmt.Errorf("%s:%d: block %s:%d.%d,%d.%d has %d statements here and %d before",
					name, lineno, file, b.startLine, b.startCol, b.endLine, b.endCol, b.stmts, prev.stmts)
			}
			prev.covered = prev.covered || b.covered
			continue
		}
		seen[k] = b
		prof[file] = append(prof[file], b)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading profile: %w", err)
	}
	return prof, nil
}

// parseProfileLine parses "name.go:line.col,line.col numstmt count".
func parseProfileLine(line string) (string, *block, error) {
	bad := fmt.Errorf("malformed profile line %q", line)
	rest, countStr, ok := cutLast(line, " ")
	if !ok {
		return "", nil, bad
	}
	rest, stmtStr, ok := cutLast(rest, " ")
	if !ok {
		return "", nil, bad
	}
	file, pos, ok := cutLast(rest, ":")
	if !ok {
		return "", nil, bad
	}
	start, end, ok := strings.Cut(pos, ",")
	if !ok {
		return "", nil, bad
	}
	var b block
	var err error
	if b.startLine, b.startCol, err = parseLineCol(start); err != nil {
		return "", nil, bad
	}
	if b.endLine, b.endCol, err = parseLineCol(end); err != nil {
		return "", nil, bad
	}
	if b.stmts, err = strconv.Atoi(stmtStr); err != nil {
		return "", nil, bad
	}
	// Counts may exceed int in count and atomic mode; only zero matters.
	count, err := strconv.ParseUint(countStr, 10, 64)
	if err != nil {
		return "", nil, bad
	}
	b.covered = count > 0
	return file, &b, nil
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func parseLineCol(s string) (line, col int, err error) {
	l, c, ok := strings.Cut(s, ".")
	if !ok {
		return 0, 0, errors.New("missing column")
	}
	if line, err = strconv.Atoi(l); err != nil {
		return 0, 0, err
	}
	if col, err = strconv.Atoi(c); err != nil {
		return 0, 0, err
	}
	return line, col, nil
}

// coverage computes statement coverage for the package in dir, or for
// one of its files or functions.
func coverage(profilePath, dir, file, fn string) (*coverResult, error) {
	prof, err := readProfile(profilePath)
	if err != nil {
		return nil, err
	}
	goFiles, err := packageFiles(dir)
	if err != nil {
		return nil, err
	}
	if file != "" {
		file = filepath.Base(file)
		if !slices.Contains(goFiles, file) {
			return nil, fmt.Errorf("unknown file %q: not a non-test Go file in %s", file, dir)
		}
	}
	byFile, err := matchProfile(prof, dir, goFiles)
	if err != nil {
		return nil, err
	}

	var blocks []*block
	switch {
	case fn != "":
		files := goFiles
		if file != "" {
			files = []string{file}
		}
		ranges, err := funcRanges(dir, files, fn)
		if err != nil {
			return nil, err
		}
		for _, r := range ranges {
			for _, b := range byFile[r.file] {
				if r.contains(b) {
					blocks = append(blocks, b)
				}
			}
		}
	case file != "":
		blocks = byFile[file]
	default:
		for _, f := range goFiles {
			blocks = append(blocks, byFile[f]...)
		}
	}

	res := new(coverResult)
	for _, b := range blocks {
		res.Statements += b.stmts
		if b.covered {
			res.Covered += b.stmts
		}
	}
	if res.Statements > 0 {
		c := float64(res.Covered) / float64(res.Statements)
		res.Coverage = &c
	}
	return res, nil
}

// packageFiles lists the non-test Go files in dir by base name, whatever
// their build constraints: a profile covers only the ones that were built.
func packageFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing package files: %w", err)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			files = append(files, name)
		}
	}
	return files, nil
}

// matchProfile picks the profile entries that belong to dir, keyed by
// base name. A test binary's profile normally covers just the package
// under test, so base names suffice; when it covers more (-coverpkg), the
// import path derived from the enclosing go.mod decides.
func matchProfile(prof profile, dir string, goFiles []string) (map[string][]*block, error) {
	var names []string
	for name := range prof {
		if slices.Contains(goFiles, path.Base(name)) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	if ip := importPath(dir); ip != "" {
		exact := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return path.Dir(n) != ip })
		if len(exact) > 0 {
			names = exact
		}
	}
	byFile := make(map[string][]*block)
	pkgDir := ""
	for _, name := range names {
		if pkgDir != "" && path.Dir(name) != pkgDir {
			return nil, fmt.Errorf("profile covers files of %s in both %s and %s; cannot tell which is the package", dir, pkgDir, path.Dir(name))
		}
		pkgDir = path.Dir(name)
		byFile[path.Base(name)] = prof[name]
	}
	return byFile, nil
}

// importPath derives the import path of dir from the nearest go.mod, or
// returns "" if there is none.
func importPath(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for d := abs; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			mod := modfile.ModulePath(data)
			if mod == "" {
				return ""
			}
			rel, err := filepath.Rel(d, abs)
			if err != nil {
				return ""
			}
			return path.Join(mod, filepath.ToSlash(rel))
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// A srcRange is the extent of one function declaration.
type srcRange struct {
	file       string
	start, end token.Position
}

func (r srcRange) contains(b *block) bool {
	return !before(b.startLine, b.startCol, r.start.Line, r.start.Column) &&
		!before(r.end.Line, r.end.Column, b.endLine, b.endCol)
}

func before(l1, c1, l2, c2 int) bool {
	return l1 < l2 || l1 == l2 && c1 < c2
}

// funcRanges finds the declarations of the function called name in files.
// A name can be declared in several files under different build
// constraints; all are returned, and the profile decides which was built.
func funcRanges(dir string, files []string, name string) ([]srcRange, error) {
	fset := token.NewFileSet()
	var ranges []srcRange
	for _, file := range files {
		f, err := parser.ParseFile(fset, filepath.Join(dir, file), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", file, err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || funcName(fd) != name {
				continue
			}
			// Adjusted positions (honoring //line), as cmd/cover writes them.
			ranges = append(ranges, srcRange{
				file:  file,
				start: fset.Position(fd.Pos()),
				end:   fset.Position(fd.End()),
			})
		}
	}
	if len(ranges) == 0 {
		where := dir
		if len(files) == 1 {
			where = filepath.Join(dir, files[0])
		}
		return nil, fmt.Errorf("unknown function %q: not declared in %s", name, where)
	}
	return ranges, nil
}
