package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestStripAndWrong rewrites each test file of testdata/strip.txtar, compares
// the source with testdata/strip_NAME.golden (or wrong_NAME.golden), and
// runs go test on the package with the rewritten file in place: a stripped
// file checks nothing and passes; an inverted one fails in each test that
// it inverted.
func TestStripAndWrong(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	tests := []struct {
		name     string
		file     string
		checks   int      // what strip-assertions removes
		inverted int      // what wrong-expectation inverts
		failing  []string // the tests that fail once inverted
	}{
		{"table", "table_test.go", 6, 3, []string{"TestAddTable", "TestMax", "TestSubtests"}},
		{"testify", "testify_test.go", 3, 1, []string{"TestWithTestify"}},
		// The check is in a helper: stripped, but not inverted.
		{"helpers", "helpers_test.go", 1, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), tt.file)
			ar := readArchiveFile(t, "testdata/strip.txtar", tt.file)
			if err := os.WriteFile(src, ar, 0o666); err != nil {
				t.Fatal(err)
			}

			var stripped strippedResult
			runJSON(t, &stripped, "strip-assertions", "-src", src)
			if stripped.ParseError != "" || stripped.Removed != tt.checks {
				t.Fatalf("strip-assertions: removed %d (want %d), error %q", stripped.Removed, tt.checks, stripped.ParseError)
			}
			if n := *countAssertions(tt.file, []byte(stripped.Source)).Assertions; n != 0 {
				t.Errorf("the stripped file still makes %d checks", n)
			}
			compareGolden(t, "strip_"+tt.name, []byte(stripped.Source))
			if out, err := goTestWith(t, tt.file, stripped.Source); err != nil {
				t.Errorf("the stripped file does not build and pass: %v\n%s", err, out)
			}

			var wrong wrongResult
			runJSON(t, &wrong, "wrong-expectation", "-src", src)
			if wrong.ParseError != "" || wrong.Inverted != tt.inverted {
				t.Fatalf("wrong-expectation: inverted %d (want %d), error %q", wrong.Inverted, tt.inverted, wrong.ParseError)
			}
			compareGolden(t, "wrong_"+tt.name, []byte(wrong.Source))
			out, err := goTestWith(t, tt.file, wrong.Source)
			if (err != nil) != (len(tt.failing) > 0) {
				t.Errorf("go test with the inverted file: %v\n%s", err, out)
			}
			for _, name := range tt.failing {
				if !strings.Contains(out, "--- FAIL: "+name+" ") {
					t.Errorf("%s did not fail once inverted:\n%s", name, out)
				}
			}
			if strings.Contains(out, "[build failed]") || strings.Contains(out, "vet:") {
				t.Errorf("the inverted file does not build:\n%s", out)
			}
		})
	}
}

func TestStripParseError(t *testing.T) {
	got := stripAssertions("broken_test.go", []byte("package p\nfunc TestX(t *testing.T) { t.Error( }\n"))
	if got.ParseError == "" || got.Source != "" {
		t.Errorf("a file that does not parse: %+v", got)
	}
	wrong := wrongExpectation("broken_test.go", []byte("package p\nfunc TestX(\n"))
	if wrong.ParseError == "" || wrong.Source != "" {
		t.Errorf("a file that does not parse: %+v", wrong)
	}
}

func readArchiveFile(t *testing.T, archive, name string) []byte {
	t.Helper()
	dir := t.TempDir()
	extractTree(t, archive, dir)
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// goTestWith runs go test on the archive's package with file replaced by
// src and the other test files left out.
func goTestWith(t *testing.T, file, src string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	extractTree(t, "testdata/strip.txtar", dir)
	matches, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range matches {
		if err := os.Remove(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(src), 0o666); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "test", "-count=1", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off")
	out, err := cmd.CombinedOutput()
	return string(out), err
}
