package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

const (
	testMemory = "gotestrl_0123456789abcdef_"
	testPrefix = "gotestrl_fedcba9876543210_"
)

// TestMeasureGolden runs instrument and harness as the command line does.
// Their goldens are txtar archives: the JSON answer without its long texts,
// then each text (and each file written) as a file of its own.
func TestMeasureGolden(t *testing.T) {
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	extract(t, "testdata/harness.txtar", filepath.Join(tmp, "harness"))
	harness := func(file string, more ...string) []string {
		return append([]string{"harness", "-src", filepath.Join(tmp, "harness", file), "-name", "gotestrl_generated_test.go",
			"-package", "calc", "-memory", testMemory, "-prefix", testPrefix}, more...)
	}
	tests := []struct {
		name  string
		args  []string
		texts []string // fields of the answer shown as files
		files []string // files it writes, under $TMP
	}{
		{name: "instrument_calc", args: []string{"instrument", "-dir", "testdata/mod/calc", "-files", "calc.go,stack.go",
			"-out", tmp + "/instrument", "-prefix", testMemory},
			files: []string{"instrument/0000gotestrl_memory.go", "instrument/calc.go"}},
		{name: "instrument_test_file", args: []string{"instrument", "-dir", "testdata/mod/calc", "-files", "calc_test.go",
			"-out", tmp + "/instrument", "-prefix", testMemory}},
		{name: "instrument_bad_prefix", args: []string{"instrument", "-dir", "testdata/mod/calc", "-files", "calc.go",
			"-out", tmp + "/instrument", "-prefix", "x"}},
		{name: "harness_kinds", args: harness("kinds_test.go"), texts: []string{"source", "harness"}},
		{name: "harness_external", args: harness("external_test.go", "-import_path", "example.com/testmod/calc"),
			texts: []string{"source", "harness"}},
		{name: "harness_forbidden", args: harness("forbidden_test.go"), texts: []string{"source", "harness"}},
		{name: "harness_dot_import", args: harness("dot_test.go"), texts: []string{"source", "harness"}},
		{name: "harness_unsafe_sizes", args: harness("sizes_test.go"), texts: []string{"source", "harness"}},
		{name: "harness_external_main", args: []string{"harness", "-src", filepath.Join(tmp, "harness", "main_test.go"),
			"-package", "main", "-memory", testMemory, "-prefix", testPrefix}},
		{name: "harness_wrong_package", args: []string{"harness", "-src", filepath.Join(tmp, "harness", "kinds_test.go"),
			"-package", "other", "-memory", testMemory}},
		{name: "harness_same_prefixes", args: []string{"harness", "-src", filepath.Join(tmp, "harness", "kinds_test.go"),
			"-package", "calc", "-memory", testMemory, "-prefix", testMemory}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ar := new(txtar.Archive)
			got, ok := commandAnswer(tt.args)
			if ok {
				var answer map[string]any
				if err := json.Unmarshal(got, &answer); err != nil {
					t.Fatal(err)
				}
				for _, field := range tt.texts {
					text, _ := answer[field].(string)
					ar.Files = append(ar.Files, txtar.File{Name: field, Data: []byte(text)})
					delete(answer, field)
				}
				got, _ = json.Marshal(answer)
			}
			answerJSON := indentedJSON(t, got, testdata, tmp)
			ar.Files = append([]txtar.File{{Name: "answer.json", Data: answerJSON}}, ar.Files...)
			for _, name := range tt.files {
				data, err := os.ReadFile(filepath.Join(tmp, name))
				if err != nil {
					t.Fatal(err)
				}
				ar.Files = append(ar.Files, txtar.File{Name: name, Data: stablePaths(data, testdata, tmp)})
			}
			compareGolden(t, tt.name, txtar.Format(ar))
		})
	}
}

// TestHarnessRecords builds package calc, instrumented, with each test file
// of testdata/harness.txtar and its harness, runs the binary with a shared
// memory, and checks what each declared test recorded, against go test -json
// of the same file (which test2json's escape can fool: see TestHidden).
func TestHarnessRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("builds test binaries")
	}
	tmp := t.TempDir()
	extract(t, "testdata/harness.txtar", filepath.Join(tmp, "harness"))
	// A scratch copy of the module, whose calc has no test file of its own.
	mod := filepath.Join(tmp, "mod")
	copyDir(t, "testdata/mod", mod)
	for _, f := range []string{"calc/calc_test.go"} {
		if err := os.Remove(filepath.Join(mod, f)); err != nil {
			t.Fatal(err)
		}
	}
	old := filepath.Join(tmp, "oldmod")
	copyDir(t, "testdata/oldmod", old)
	packages := map[string]struct{ dir, files, importPath string }{
		"calc":   {filepath.Join(mod, "calc"), "calc.go,stack.go", "example.com/testmod/calc"},
		"oldmod": {old, "old.go", "example.com/oldmod"},
	}
	const pass, fail, skip = 1, 2, 3
	tests := []struct {
		pkg  string
		file string
		// starts and result of each declared test, in declaration order.
		want map[string][2]uint32
		// tests whose go test -json result is not what really happened.
		fooled []string
	}{
		{pkg: "calc", file: "kinds_test.go", want: map[string][2]uint32{
			"TestAbs": {1, pass}, "TestHidden": {1, fail}, "TestSkipped": {1, pass}, "TestLater": {1, skip},
			"TestSubtests": {1, pass}, "TestCleanupFails": {1, fail}, "TestCallsOther": {1, skip},
			"FuzzAbs": {1, pass}, "FuzzSeedFails": {1, fail}, "FuzzNoFuzz": {1, fail},
			"ExampleAbs": {1, pass}, "ExampleSum": {1, fail}, "ExampleStack": {1, pass}, "Example_empty": {1, pass},
		}, fooled: []string{"TestHidden"}},
		{pkg: "calc", file: "panics_test.go", want: map[string][2]uint32{
			"TestFirst": {1, pass}, "TestGoexit": {1, fail}, "TestNeverRuns": {0, 0},
		}},
		{pkg: "calc", file: "twice_test.go", want: map[string][2]uint32{"TestOnce": {2, pass}}},
		{pkg: "calc", file: "external_test.go", want: map[string][2]uint32{"TestAbs": {1, pass}}},
		{pkg: "calc", file: "sizes_test.go", want: map[string][2]uint32{"TestSizes": {1, pass}}},
		// A module of go 1.16: what instrument and harness add builds at that language version.
		{pkg: "oldmod", file: "old_test.go", want: map[string][2]uint32{"TestDouble": {1, pass}, "ExampleDouble": {1, pass}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(tmp, "harness", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			pkg := packages[tt.pkg]
			calc := pkg.dir
			inst, err := instrument(pkg.dir, pkg.files, filepath.Join(t.TempDir(), "instrument"), testMemory)
			if err != nil {
				t.Fatal(err)
			}
			h, err := harness("gotestrl_generated_test.go", src, tt.pkg, pkg.importPath, testMemory, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(h.Refused) > 0 {
				t.Fatal(h.Refused)
			}
			work := t.TempDir()
			replace := map[string]string{filepath.Join(calc, inst.Memory.Name): inst.Memory.Path}
			for _, f := range inst.Files {
				replace[filepath.Join(calc, f.Name)] = f.Path
			}
			for name, text := range map[string]string{"gotestrl_generated_test.go": h.Source, h.HarnessName: h.Harness} {
				path := filepath.Join(work, name)
				if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				replace[filepath.Join(calc, name)] = path
			}
			overlay, _ := json.Marshal(map[string]any{"Replace": replace})
			if err := os.WriteFile(filepath.Join(work, "overlay.json"), overlay, 0o644); err != nil {
				t.Fatal(err)
			}
			binary := filepath.Join(work, "calc.test")
			goCmd(t, calc, "test", "-c", "-o", binary, "-overlay", filepath.Join(work, "overlay.json"), ".")

			words, _ := runWithMemory(t, binary, calc, len(h.Tests), inst.Counters, 0)
			if words[0] != memoryAttached || words[2] != uint32(len(h.Tests)) || words[3] != uint32(inst.Counters) {
				t.Fatalf("header %#x %d %d %d", words[0], words[1], words[2], words[3])
			}
			got := map[string][2]uint32{}
			for i, d := range h.Tests {
				got[d.Name] = [2]uint32{words[headerWords+2*i], words[headerWords+2*i+1]}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("records:\n got %v\nwant %v", got, tt.want)
			}

			// The same file under plain go test -json.
			if err := os.WriteFile(filepath.Join(calc, "plain_test.go"), src, 0o644); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(filepath.Join(calc, "plain_test.go"))
			results := goTestJSON(t, calc)
			for name, want := range tt.want {
				if slices.Contains(tt.fooled, name) {
					continue
				}
				if r := results[name]; want[0] > 0 && r != [...]string{pass: "pass", fail: "fail", skip: "skip"}[want[1]] {
					t.Errorf("%s: go test -json says %q, the harness recorded %d", name, r, want[1])
				}
			}
		})
	}
}

// TestMutantSelector checks instrument's mutant expression: code added to
// the package reads the run's mutant id from the shared memory.
func TestMutantSelector(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a test binary")
	}
	mod := filepath.Join(t.TempDir(), "mod")
	copyDir(t, "testdata/mod", mod)
	calc := filepath.Join(mod, "calc")
	work := t.TempDir()
	inst, err := instrument(calc, "calc.go,stack.go", filepath.Join(work, "instrument"), testMemory)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		// As schemata would: a mutant site in the package's own code.
		"abs_mutant.go": "package calc\n\nfunc AbsMutant(x int) int {\n\tif " + inst.Mutant +
			" == 7 {\n\t\treturn -Abs(x)\n\t}\n\treturn Abs(x)\n}\n",
		"calc_test.go": "package calc\n\nimport \"testing\"\n\nfunc TestAbs(t *testing.T) {\n\tt.Logf(\"Abs(-3) = %d\", AbsMutant(-3))\n}\n",
	}
	replace := map[string]string{filepath.Join(calc, inst.Memory.Name): inst.Memory.Path}
	for _, f := range inst.Files {
		replace[filepath.Join(calc, f.Name)] = f.Path
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(work, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		replace[filepath.Join(calc, name)] = filepath.Join(work, name)
	}
	overlay, _ := json.Marshal(map[string]any{"Replace": replace})
	if err := os.WriteFile(filepath.Join(work, "overlay.json"), overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(work, "calc.test")
	goCmd(t, calc, "test", "-c", "-o", bin, "-overlay", filepath.Join(work, "overlay.json"), ".")
	for mutant, want := range map[uint32]string{0: "Abs(-3) = 3", 7: "Abs(-3) = -3", 8: "Abs(-3) = 3"} {
		if _, out := runWithMemory(t, bin, calc, 0, inst.Counters, mutant); !bytes.Contains(out, []byte(want)) {
			t.Errorf("mutant %d: want %q in the output", mutant, want)
		}
	}
}

// TestInstrumentedBlocksAreGoTests checks that instrument's block table is
// the one of go test -cover, by the profile go test writes.
func TestInstrumentedBlocksAreGoTests(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test")
	}
	tmp := t.TempDir()
	mod := filepath.Join(tmp, "mod")
	copyDir(t, "testdata/mod", mod)
	for _, pkg := range []struct{ dir, files string }{{"calc", "calc.go,stack.go"}, {"lib", "kind.go,list.go,registry.go"}} {
		dir := filepath.Join(mod, pkg.dir)
		goCmd(t, dir, "test", "-vet=off", "-covermode=set", "-coverprofile", filepath.Join(tmp, pkg.dir+".out"), ".")
		profile, err := os.ReadFile(filepath.Join(tmp, pkg.dir+".out"))
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, line := range strings.Split(strings.TrimSpace(string(profile)), "\n")[1:] {
			want = append(want, line[:strings.LastIndexByte(line, ' ')])
		}
		inst, err := instrument(dir, pkg.files, filepath.Join(tmp, pkg.dir), testMemory)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range inst.Blocks {
			got = append(got, fmt.Sprintf("example.com/testmod/%s/%s:%d.%d,%d.%d %d",
				pkg.dir, inst.Files[b[0]].Name, b[1], b[2], b[3], b[4], b[5]))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: blocks differ from go test's\n got %q\nwant %q", pkg.dir, got, want)
		}
	}
}

// runWithMemory runs bin with a shared memory for its records and
// counters as descriptor 3, and returns the memory's words afterwards and
// the binary's output.
func runWithMemory(t *testing.T, bin, dir string, records, counters int, mutant uint32) ([]uint32, []byte) {
	t.Helper()
	words := make([]uint32, headerWords+2*records+counters)
	words[0], words[1], words[2], words[3] = memoryOffered, mutant, uint32(records), uint32(counters)
	path := filepath.Join(t.TempDir(), "memory")
	var buf bytes.Buffer
	binary.Write(&buf, binary.NativeEndian, words)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	mem, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	cmd := exec.Command(bin, "-test.v=test2json", "-test.paniconexit0")
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{mem}
	out, _ := cmd.CombinedOutput() // a failing test exits 1, a crash 2
	t.Logf("%s", out)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := binary.Read(bytes.NewReader(data), binary.NativeEndian, words); err != nil {
		t.Fatal(err)
	}
	return words, out
}

// goTestJSON runs go test -json in dir and returns the result of each
// top-level test.
func goTestJSON(t *testing.T, dir string) map[string]string {
	t.Helper()
	cmd := exec.Command("go", "test", "-json", "-count=1", ".")
	cmd.Dir = dir
	out, _ := cmd.Output() // failing tests fail the command
	results := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var e struct{ Action, Test string }
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Test != "" && !strings.Contains(e.Test, "/") {
			switch e.Action {
			case "pass", "fail", "skip":
				results[e.Test] = e.Action
			}
		}
	}
	return results
}

func goCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}
