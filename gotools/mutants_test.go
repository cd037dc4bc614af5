package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// extractTree writes the files of a txtar archive, which may name
// subdirectories, under dir.
func extractTree(t *testing.T, archive, dir string) {
	t.Helper()
	ar, err := txtar.ParseFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ar.Files {
		path := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, f.Data, 0o666); err != nil {
			t.Fatal(err)
		}
	}
}

// runJSON runs a subcommand and decodes its result into v.
func runJSON(t *testing.T, v any, args ...string) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := run(&out, args); err != nil {
		t.Fatalf("gotools %s: %v", strings.Join(args, " "), err)
	}
	if v != nil {
		if err := json.Unmarshal(out.Bytes(), v); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes()
}

// TestMutantsGolden runs mutants and schemata on the fixtures of
// testdata/mutants.txtar and compares their output, or their error, with
// testdata/NAME.golden. Schemata goldens hold the rewritten source itself.
func TestMutantsGolden(t *testing.T) {
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	extractTree(t, "testdata/mutants.txtar", tmp)
	mutate := filepath.Join(tmp, "mutate")
	legacy := filepath.Join(tmp, "legacy")
	all := filepath.Join(tmp, "all.json")
	if err := os.WriteFile(all, runJSON(t, nil, "mutants", "-dir", mutate, "-max", "0"), 0o666); err != nil {
		t.Fatal(err)
	}
	legacyAll := filepath.Join(tmp, "legacy.json")
	if err := os.WriteFile(legacyAll, runJSON(t, nil, "mutants", "-dir", legacy, "-max", "0"), 0o666); err != nil {
		t.Fatal(err)
	}
	// An instrumented source whose code is not the file's any more.
	instrumented, err := os.ReadFile(filepath.Join(tmp, "instrumented", "mutate.go"))
	if err != nil {
		t.Fatal(err)
	}
	changed := filepath.Join(tmp, "changed.go")
	if err := os.WriteFile(changed, bytes.Replace(instrumented, []byte("return x + y"), []byte("return y + x"), 1), 0o666); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(tmp, "stale.json")
	if err := os.WriteFile(stale, []byte(`{"mutants": [{"id": 1, "kind": "sign", "file": "mutate.go",
		"line": 120, "col": 10, "end_line": 120, "end_col": 12, "original": "-2", "replacement": "2"}]}`), 0o666); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		args   []string
		source bool // the golden is the rewritten source
	}{
		{name: "mutants_generic", args: []string{"mutants", "-dir", mutate, "-func", "Sum"}},
		{name: "mutants_generic_closure", args: []string{"mutants", "-dir", mutate, "-func", "Adder"}},
		{name: "mutants_generic_method", args: []string{"mutants", "-dir", mutate, "-func", "Stack.Pop"}},
		{name: "mutants_closure", args: []string{"mutants", "-dir", mutate, "-func", "Counter"}},
		{name: "mutants_multiple_results", args: []string{"mutants", "-dir", mutate, "-func", "Divide"}},
		{name: "mutants_const", args: []string{"mutants", "-dir", mutate, "-func", "Grade"}},
		{name: "mutants_array_length", args: []string{"mutants", "-dir", mutate, "-func", "Checksum"}},
		{name: "mutants_switch", args: []string{"mutants", "-dir", mutate, "-func", "Day"}},
		{name: "mutants_switch_tagless", args: []string{"mutants", "-dir", mutate, "-func", "Sign"}},
		{name: "mutants_select", args: []string{"mutants", "-dir", mutate, "-func", "Drain"}},
		{name: "mutants_terminating_panic", args: []string{"mutants", "-dir", mutate, "-func", "MustPositive"}},
		{name: "mutants_removable_panic", args: []string{"mutants", "-dir", mutate, "-func", "Percent"}},
		{name: "mutants_constant_index", args: []string{"mutants", "-dir", mutate, "-func", "Last3"}},
		{name: "mutants_cap_default", args: []string{"mutants", "-dir", mutate}},
		{name: "mutants_cap_file", args: []string{"mutants", "-dir", mutate, "-file", "mutate.go", "-max", "10"}},
		{name: "mutants_legacy", args: []string{"mutants", "-dir", legacy, "-max", "0"}},
		{name: "mutants_unknown_func", args: []string{"mutants", "-dir", mutate, "-func", "Stack.Peek"}},
		{name: "mutants_unknown_file", args: []string{"mutants", "-dir", mutate, "-file", "mutate_test.go"}},
		{name: "mutants_bad_max", args: []string{"mutants", "-dir", mutate, "-max", "-1"}},
		{name: "mutants_typeerr", args: []string{"mutants", "-dir", "testdata/mod/typeerr"}},

		{name: "schemata_plain", source: true, args: []string{"schemata", "-dir", mutate, "-file", "mutate.go",
			"-src", filepath.Join(mutate, "mutate.go"), "-mutants", all, "-selector", "gotestrl_5eed_mutant()", "-prefix", "gotestrl_0123456789abcdef_"}},
		{name: "schemata_instrumented", source: true, args: []string{"schemata", "-dir", mutate, "-file", "mutate.go",
			"-src", filepath.Join(tmp, "instrumented", "mutate.go"), "-mutants", all, "-selector", "gotestrl_5eed_mutant()", "-prefix", "gotestrl_0123456789abcdef_"}},
		{name: "schemata_legacy", source: true, args: []string{"schemata", "-dir", legacy, "-file", "legacy.go",
			"-src", filepath.Join(legacy, "legacy.go"), "-mutants", legacyAll, "-selector", "gotestrl_5eed_mutant()", "-prefix", "gotestrl_0123456789abcdef_"}},
		{name: "schemata_stale", args: []string{"schemata", "-dir", mutate, "-file", "mutate.go",
			"-src", filepath.Join(mutate, "mutate.go"), "-mutants", stale, "-selector", "m()"}},
		{name: "schemata_instrumented_changed", args: []string{"schemata", "-dir", mutate, "-file", "mutate.go",
			"-src", changed, "-mutants", all, "-selector", "m()"}},
		{name: "schemata_bad_selector", args: []string{"schemata", "-dir", mutate, "-file", "mutate.go",
			"-src", filepath.Join(mutate, "mutate.go"), "-mutants", all, "-selector", "1 +"}},
		{name: "schemata_bad_prefix", args: []string{"schemata", "-dir", mutate, "-file", "mutate.go",
			"-src", filepath.Join(mutate, "mutate.go"), "-mutants", all, "-selector", "m()", "-prefix", "m_"}},
		{name: "schemata_missing_mutants", args: []string{"schemata", "-dir", mutate, "-file", "mutate.go",
			"-src", filepath.Join(mutate, "mutate.go"), "-selector", "m()"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := commandAnswer(tt.args)
			if ok && tt.source {
				var res schemataResult
				if err := json.Unmarshal(got, &res); err != nil {
					t.Fatal(err)
				}
				compareGolden(t, tt.name, []byte(fmt.Sprintf("// file %s, mutants %v\n%s", res.File, res.Mutants, res.Source)))
				return
			}
			compareGolden(t, tt.name, indentedJSON(t, got, testdata, tmp))
		})
	}
}

// TestMutantsDeterministic lists the fixture's mutants twice with each cap
// and checks that the answers agree, that a capped list is a part of the
// whole one, and that it is spread over the kinds.
func TestMutantsDeterministic(t *testing.T) {
	tmp := t.TempDir()
	extractTree(t, "testdata/mutants.txtar", tmp)
	dir := filepath.Join(tmp, "mutate")
	var whole mutantsResult
	runJSON(t, &whole, "mutants", "-dir", dir, "-max", "0")
	known := make(map[string]bool)
	for _, m := range whole.Mutants {
		known[m.key()] = true
	}
	for _, limit := range []int{1, 5, 10, 24, 50} {
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			first := runJSON(t, nil, "mutants", "-dir", dir, "-max", strconv.Itoa(limit))
			if second := runJSON(t, nil, "mutants", "-dir", dir, "-max", strconv.Itoa(limit)); !bytes.Equal(first, second) {
				t.Errorf("two runs differ:\n%s\n%s", first, second)
			}
			var res mutantsResult
			if err := json.Unmarshal(first, &res); err != nil {
				t.Fatal(err)
			}
			if len(res.Mutants) != limit {
				t.Errorf("got %d mutants, want %d", len(res.Mutants), limit)
			}
			perKind := make(map[string]int)
			for i, m := range res.Mutants {
				if m.ID != i+1 {
					t.Errorf("mutant %d has id %d", i+1, m.ID)
				}
				if !known[m.key()] {
					t.Errorf("mutant %d is not in the uncapped list: %+v", m.ID, m)
				}
				perKind[m.Kind]++
			}
			checkSpread(t, perKind, whole.Counts)
		})
	}
}

// checkSpread checks the round-robin property: a kind gets fewer than
// another only when it has no more mutants, or one fewer when it comes
// later in the contract's order.
func checkSpread(t *testing.T, got, available map[string]int) {
	t.Helper()
	for i, a := range mutationKinds {
		for j, b := range mutationKinds {
			if got[a] >= got[b] || got[a] == available[a] {
				continue
			}
			if got[b]-got[a] > 1 || i < j {
				t.Errorf("%s has %d mutants and %s %d, though %s has %d", a, got[a], b, got[b], a, available[a])
			}
		}
	}
}

// TestSelectMutants checks the cap on synthetic pools: its size, the
// round-robin over kinds, the even spread within a kind, and source order.
func TestSelectMutants(t *testing.T) {
	fset := token.NewFileSet()
	tok := fset.AddFile("x.go", -1, 1000)
	tf := &targetFile{name: "x.go", tok: tok}
	pools := map[string]map[string]int{
		"even":     {kindNegation: 10, kindReturn: 10, kindConstant: 10},
		"uneven":   {kindBoundary: 1, kindArithmetic: 30, kindCall: 3, kindSign: 2},
		"one kind": {kindLogical: 7},
	}
	for name, sizes := range pools {
		var pool []*mutant
		pos := 0
		for _, k := range mutationKinds {
			for range sizes[k] {
				node := &ast.BasicLit{ValuePos: tok.Pos(pos), Value: "0"}
				pos += 3
				pool = append(pool, &mutant{Kind: k, node: node, site: &site{file: tf, node: node}})
			}
		}
		slices.SortFunc(pool, compareMutants)
		for limit := 0; limit <= len(pool)+1; limit++ {
			sel := selectMutants(pool, limit)
			want := min(limit, len(pool))
			if limit == 0 {
				want = len(pool)
			}
			if len(sel) != want {
				t.Fatalf("%s, max %d: got %d mutants, want %d", name, limit, len(sel), want)
			}
			if !slices.IsSortedFunc(sel, compareMutants) {
				t.Errorf("%s, max %d: not in source order", name, limit)
			}
			perKind := make(map[string]int)
			for _, m := range sel {
				perKind[m.Kind]++
			}
			checkSpread(t, perKind, sizes)
		}
		// Two picks of thirty are the 7th and 22nd (0-based): at a quarter
		// and three quarters.
		if sizes[kindArithmetic] == 30 {
			sel := selectMutants(pool, 7) // boundary 1, arithmetic 2, sign 2, call 2
			var arith []int
			for _, m := range sel {
				if m.Kind == kindArithmetic {
					arith = append(arith, slices.Index(pool, m))
				}
			}
			first := slices.IndexFunc(pool, func(m *mutant) bool { return m.Kind == kindArithmetic })
			if want := []int{first + 7, first + 22}; !slices.Equal(arith, want) {
				t.Errorf("arithmetic picks at %v, want %v", arith, want)
			}
		}
	}
}

// TestCulprits checks the fallback of the type-check: a mutant whose
// rewritten form breaks the package somewhere outside its own code (here a
// panic that its function needs, removed, which mutants otherwise keeps
// out) is found by bisection, and the other mutants are kept.
func TestCulprits(t *testing.T) {
	tmp := t.TempDir()
	extractTree(t, "testdata/mutants.txtar", tmp)
	pkg, err := loadBuildable(filepath.Join(tmp, "mutate"))
	if err != nil {
		t.Fatal(err)
	}
	files, decls, err := targetFiles(pkg, "", "MustPositive")
	if err != nil {
		t.Fatal(err)
	}
	f := newSiteFinder(pkg, files[0])
	f.walk(decls[files[0]][0])
	var pool []*mutant
	for _, s := range f.sites {
		pool = append(pool, s.mutants...)
	}
	var panicStmt *ast.ExprStmt
	ast.Inspect(decls[files[0]][0], func(n ast.Node) bool {
		if e, ok := n.(*ast.ExprStmt); ok {
			panicStmt = e
		}
		return true
	})
	s := &site{file: files[0], node: panicStmt, form: formRemoveCall}
	bad := f.newMutant(s, panicStmt, kindCall, "", 0)
	s.mutants = []*mutant{bad}
	pool = append(pool[:2:2], append([]*mutant{bad}, pool[2:]...)...)

	chk := newSchemataChecker(pkg, files)
	valid, failed, err := chk.keepValid(pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || failed[0] != bad {
		t.Errorf("failed = %v, want only the removed panic", failed)
	}
	if len(valid) != len(pool)-1 {
		t.Errorf("kept %d of %d mutants, want all but one", len(valid), len(pool))
	}
}

// TestSchemataServe checks that serve accepts the source and the mutants as
// text and answers as the command line does.
func TestSchemataServe(t *testing.T) {
	tmp := t.TempDir()
	extractTree(t, "testdata/mutants.txtar", tmp)
	dir := filepath.Join(tmp, "mutate")
	list := runJSON(t, nil, "mutants", "-dir", dir, "-func", "Divide")
	src, err := os.ReadFile(filepath.Join(tmp, "instrumented", "mutate.go"))
	if err != nil {
		t.Fatal(err)
	}
	listPath := filepath.Join(tmp, "list.json")
	if err := os.WriteFile(listPath, list, 0o666); err != nil {
		t.Fatal(err)
	}
	cli := runJSON(t, nil, "schemata", "-dir", dir, "-file", "mutate.go", "-src", filepath.Join(tmp, "instrumented", "mutate.go"),
		"-mutants", listPath, "-selector", "sel()", "-prefix", "gotestrl_00000000000000aa_")

	args, err := json.Marshal(map[string]string{
		"dir": dir, "file": "mutate.go", "src_text": string(src), "mutants_text": string(list), "selector": "sel()",
		"prefix": "gotestrl_00000000000000aa_",
	})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := serve(strings.NewReader(`{"id": 1, "cmd": "schemata", "args": `+string(args)+"}\n"), &out); err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
	}
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil || resp.Error != "" {
		t.Fatalf("serve: %v %s", err, resp.Error)
	}
	if !bytes.Equal(append(resp.Result, '\n'), cli) {
		t.Errorf("serve answered\n%s\nthe command line\n%s", resp.Result, cli)
	}
}

// TestSchemataHelpersAreFresh checks that the helpers, whose names reach
// the binary, are named after the given prefix, or a fresh one, and never
// after the selector (the package's long-lived memory variable).
func TestSchemataHelpersAreFresh(t *testing.T) {
	tmp := t.TempDir()
	extractTree(t, "testdata/mutants.txtar", tmp)
	dir := filepath.Join(tmp, "mutate")
	list := filepath.Join(tmp, "list.json")
	if err := os.WriteFile(list, runJSON(t, nil, "mutants", "-dir", dir, "-func", "Divide"), 0o666); err != nil {
		t.Fatal(err)
	}
	helpers := regexp.MustCompile(`func (gotestrl_[0-9a-f]{16}_)m[0-9a-f]{8}_`)
	seen := make(map[string]bool)
	for i := 0; i < 2; i++ {
		var res schemataResult
		runJSON(t, &res, "schemata", "-dir", dir, "-file", "mutate.go", "-src", filepath.Join(dir, "mutate.go"),
			"-mutants", list, "-selector", "gotestrl_1111111111111111_mem[1]")
		found := helpers.FindAllStringSubmatch(res.Source, -1)
		if len(found) == 0 {
			t.Fatalf("no helper named with a secret prefix in\n%s", res.Source)
		}
		for _, m := range found {
			if m[1] == "gotestrl_1111111111111111_" {
				t.Errorf("a helper is named after the selector: %s", m[0])
			}
			seen[m[1]] = true
		}
	}
	if len(seen) != 2 {
		t.Errorf("two schemata without -prefix named their helpers with %d prefixes, want 2 fresh ones", len(seen))
	}
}

// selectorTestFile declares the selector of the behavioural test: a
// package variable read from the environment, in a test file only.
const selectorTestFile = `package mutate

import (
	"os"
	"strconv"
)

var testMutantID = func() uint32 {
	v, _ := strconv.ParseUint(os.Getenv("GOTOOLS_TEST_MUTANT"), 10, 32)
	return uint32(v)
}()
`

// TestSchemataKills builds the fixture package once with all its mutants
// behind the selector, from the file itself and from real go tool cover
// output, and runs its tests once per mutant: with id 0 every test passes,
// and each mutant makes exactly the test of its own function fail.
func TestSchemataKills(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	tmp := t.TempDir()
	extractTree(t, "testdata/mutants.txtar", tmp)
	orig := filepath.Join(tmp, "mutate")
	var list mutantsResult
	listJSON := runJSON(t, &list, "mutants", "-dir", orig, "-max", "0")
	listPath := filepath.Join(tmp, "mutants.json")
	if err := os.WriteFile(listPath, listJSON, 0o666); err != nil {
		t.Fatal(err)
	}
	if len(list.Mutants) < 90 {
		t.Fatalf("only %d mutants in the fixture", len(list.Mutants))
	}
	testOf := fixtureTests(t, filepath.Join(orig, "mutate.go"))

	for _, instrumented := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "cover"}[instrumented]
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(tmp, name)
			extractTree(t, "testdata/mutants.txtar", dir)
			pkg := filepath.Join(dir, "mutate")
			src := filepath.Join(orig, "mutate.go")
			var blocks [][4]int
			if instrumented {
				cmd := exec.Command(goCmd, "tool", "cover", "-mode=set", "-var=gotoolsTestCover", "mutate.go")
				cmd.Dir = orig
				cover, err := cmd.Output()
				if err != nil {
					t.Fatalf("go tool cover: %v", err)
				}
				src = filepath.Join(dir, "instrumented.go")
				if err := os.WriteFile(src, cover, 0o666); err != nil {
					t.Fatal(err)
				}
				blocks = coverBlocks(t, cover)
			}
			var res schemataResult
			runJSON(t, &res, "schemata", "-dir", orig, "-file", "mutate.go", "-src", src,
				"-mutants", listPath, "-selector", "testMutantID")
			if len(res.Mutants) != len(list.Mutants) {
				t.Fatalf("schemata applied %d mutants, want %d", len(res.Mutants), len(list.Mutants))
			}
			if err := os.WriteFile(filepath.Join(pkg, "mutate.go"), []byte(res.Source), 0o666); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(pkg, "selector_test.go"), []byte(selectorTestFile), 0o666); err != nil {
				t.Fatal(err)
			}
			bin := filepath.Join(dir, "mutate.test")
			for _, args := range [][]string{{"vet", "."}, {"test", "-c", "-o", bin, "."}} {
				cmd := exec.Command(goCmd, args...)
				cmd.Dir = pkg
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
			if failed, out := runFixture(t, bin, 0); len(failed) > 0 {
				t.Fatalf("with no mutant, %v failed:\n%s", failed, out)
			}
			for _, m := range list.Mutants {
				want := testOf(m.Line)
				failed, out := runFixture(t, bin, m.ID)
				if !slices.Equal(failed, []string{want}) {
					t.Errorf("mutant %d (%s %q -> %q, line %d): failed %v, want [%s]\n%s",
						m.ID, m.Kind, m.Original, m.Replacement, m.Line, failed, want, out)
				}
				if instrumented && !slices.ContainsFunc(blocks, func(b [4]int) bool {
					return !before(m.StmtLine, m.StmtCol, b[0], b[1]) && before(m.StmtLine, m.StmtCol, b[2], b[3])
				}) {
					t.Errorf("mutant %d: its statement %d:%d is in no cover block", m.ID, m.StmtLine, m.StmtCol)
				}
			}
		})
	}
}

var failLine = regexp.MustCompile(`(?m)^\s*--- FAIL: (\w+)`)

// runFixture runs the fixture's test binary with a mutant and returns the
// top-level tests that failed, sorted.
func runFixture(t *testing.T, bin string, id int) ([]string, []byte) {
	t.Helper()
	cmd := exec.Command(bin, "-test.v", "-test.timeout=20s")
	cmd.Env = append(os.Environ(), "GOTOOLS_TEST_MUTANT="+strconv.Itoa(id))
	out, err := cmd.CombinedOutput()
	var failed []string
	for _, m := range failLine.FindAllSubmatch(out, -1) {
		failed = append(failed, string(m[1]))
	}
	slices.Sort(failed)
	failed = slices.Compact(failed)
	if err == nil && len(failed) > 0 {
		t.Errorf("mutant %d: tests failed but the binary exited 0", id)
	}
	if err != nil && len(failed) == 0 {
		failed = []string{"(exit: " + err.Error() + ")"}
	}
	return failed, out
}

// fixtureTests maps a line of the fixture to the test of the function
// declared there: TestF for F, TestT for the methods of T.
func fixtureTests(t *testing.T, path string) func(line int) string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return func(line int) string {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if ok && fset.Position(fd.Pos()).Line <= line && line <= fset.Position(fd.End()).Line {
				if r := recvName(fd); r != "" {
					return "Test" + r
				}
				return "Test" + fd.Name.Name
			}
		}
		return "(no function)"
	}
}

// coverBlocks reads the block table (start line, start column, end line,
// end column) out of go tool cover's legacy output.
func coverBlocks(t *testing.T, src []byte) [][4]int {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "cover.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var nums []int
	ast.Inspect(f, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if !ok {
			return true
		}
		if id, ok := kv.Key.(*ast.Ident); !ok || id.Name != "Pos" {
			return true
		}
		for _, e := range kv.Value.(*ast.CompositeLit).Elts {
			v, err := strconv.ParseInt(e.(*ast.BasicLit).Value, 0, 64)
			if err != nil {
				t.Fatal(err)
			}
			nums = append(nums, int(v))
		}
		return false
	})
	var blocks [][4]int
	for i := 0; i+2 < len(nums); i += 3 {
		cols := nums[i+2]
		blocks = append(blocks, [4]int{nums[i], cols & 0xffff, nums[i+1], cols >> 16 & 0xffff})
	}
	if len(blocks) == 0 {
		t.Fatal("no Pos table in the cover output")
	}
	return blocks
}
