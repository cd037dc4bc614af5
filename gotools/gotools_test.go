package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden runs subcommands as the command line does and compares their
// output, or their error, with testdata/NAME.golden.
func TestGolden(t *testing.T) {
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	// Archived inputs are extracted into one directory; paths under it are
	// written as $TMP in the goldens, paths under testdata as testdata.
	tmp := t.TempDir()
	extract(t, "testdata/facts.txtar", filepath.Join(tmp, "facts"))
	extract(t, "testdata/assertions.txtar", filepath.Join(tmp, "assertions"))
	extract(t, "testdata/imports.txtar", filepath.Join(tmp, "imports"))

	tests := []struct {
		name string
		args []string
	}{
		{"funcs_lib", []string{"funcs", "-dir", "testdata/mod/lib"}},
		{"funcs_typeerr", []string{"funcs", "-dir", "testdata/mod/typeerr"}},
		{"funcs_missing_dir", []string{"funcs", "-dir", "testdata/mod/missing"}},

		{"cover_package", []string{"cover", "-profile", "testdata/cover.out", "-dir", "testdata/mod/calc"}},
		{"cover_file", []string{"cover", "-profile", "testdata/cover.out", "-dir", "testdata/mod/calc", "-file", "stack.go"}},
		{"cover_func", []string{"cover", "-profile", "testdata/cover.out", "-dir", "testdata/mod/calc", "-func", "Abs"}},
		{"cover_func_literal", []string{"cover", "-profile", "testdata/cover.out", "-dir", "testdata/mod/calc", "-func", "Sum"}},
		{"cover_generic_method", []string{"cover", "-profile", "testdata/cover.out", "-dir", "testdata/mod/calc", "-func", "Stack.Pop"}},
		{"cover_func_in_file", []string{"cover", "-profile", "testdata/cover.out", "-dir", "testdata/mod/calc", "-file", "stack.go", "-func", "Stack.Push"}},
		{"cover_func_wrong_file", []string{"cover", "-profile", "testdata/cover.out", "-dir", "testdata/mod/calc", "-file", "calc.go", "-func", "Stack.Push"}},
		{"cover_unknown_func", []string{"cover", "-profile", "testdata/cover.out", "-dir", "testdata/mod/calc", "-func", "Nope"}},
		{"cover_unknown_file", []string{"cover", "-profile", "testdata/cover.out", "-dir", "testdata/mod/calc", "-file", "calc_test.go"}},
		{"cover_no_statements", []string{"cover", "-profile", "testdata/cover.out", "-dir", "testdata/mod/imp"}},

		{"imports_fix", []string{"imports", "-dir", "testdata/mod/imp", "-src", tmp + "/imports/imports_fix.go", "-name", "imp_test.go"}},
		{"imports_clean", []string{"imports", "-dir", "testdata/mod/imp", "-src", tmp + "/imports/imports_clean.go"}},
		{"imports_broken", []string{"imports", "-dir", "testdata/mod/imp", "-src", tmp + "/imports/imports_broken.go"}},

		{"facts", []string{"facts", "-dir", tmp + "/facts"}},

		{"assertions_renamed", []string{"assertions", "-src", tmp + "/assertions/renamed_test.go"}},
		{"assertions_plain", []string{"assertions", "-src", tmp + "/assertions/plain_test.go"}},
		{"assertions_broken", []string{"assertions", "-src", tmp + "/assertions/broken_test.go"}},
		{"assertions_testfuncs", []string{"assertions", "-src", tmp + "/assertions/testfuncs_test.go"}},
		{"assertions_testmain_as_test", []string{"assertions", "-src", tmp + "/assertions/testmain_as_test_test.go"}},

		{"usage_no_subcommand", nil},
		{"usage_unknown_subcommand", []string{"frobnicate"}},
		{"usage_missing_flag", []string{"cover", "-dir", "testdata/mod/calc"}},
		{"usage_unknown_flag", []string{"facts", "-dir", ".", "-recursive"}},
		{"usage_extra_argument", []string{"facts", "-dir", ".", "extra"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := commandAnswer(tt.args)
			if ok && (!bytes.HasSuffix(got, []byte("}\n")) || bytes.Count(got, []byte("\n")) != 1) {
				t.Errorf("output is not one line of JSON: %q", got)
			}
			compareGolden(t, tt.name, indentedJSON(t, got, testdata, tmp))
		})
	}
}

// TestServe sends a script of requests, good and bad, to serve.
func TestServe(t *testing.T) {
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	fixSrc, err := json.Marshal("package imp\n\nfunc TestX(t *testing.T) { t.Log(strings.ToUpper(Greeting(\"x\"))) }\n")
	if err != nil {
		t.Fatal(err)
	}
	requests := strings.Join([]string{
		`{"id": 1, "cmd": "cover", "args": {"profile": "testdata/cover.out", "dir": "testdata/mod/calc", "func": "Stack.Pop"}}`,
		`{"id": "two", "cmd": "cover", "args": {"profile": "testdata/cover.out", "dir": "testdata/mod/calc", "func": "Nope"}}`,
		`{"id": 3, "cmd": "imports", "args": {"dir": "testdata/mod/imp", "src_text": ` + string(fixSrc) + `, "name": "x_test.go"}}`,
		`{"id": 4, "cmd": "assertions", "args": {"src_text": "package p\nimport \"testing\"\nfunc TestX(t *testing.T) { t.Fatal() }\n"}}`,
		`{"id": 5, "cmd": "assertions", "args": {"src_text": "package p\nfunc {"}}`,
		``,
		`not json`,
		`{"id": 7, "cmd": "frobnicate"}`,
		`{"id": 8, "cmd": "facts"}`,
		`{"id": 9, "cmd": "facts", "args": {"dir": 3}}`,
		`{"id": 10, "cmd": "facts", "args": {"dir": "testdata/mod/calc", "profile": "x"}}`,
		`{"id": 11, "cmd": "serve"}`,
		`{"id": [1, 2], "cmd": "imports", "args": {"dir": "testdata/mod/imp", "src": "testdata/missing.go"}}`,
		`{"id": 12, "cmd": "funcs", "args": {"dir": "testdata/mod/typeerr"}}`,
		`{"id": 13, "cmd": "facts", "args": {"dir": "testdata/mod/calc"}}`,
		// The last line has no newline: EOF ends it.
		`{"cmd": "assertions", "args": {"src": "testdata/mod/calc/calc_test.go"}}`,
	}, "\n")
	var out bytes.Buffer
	if err := serve(strings.NewReader(requests), &out); err != nil {
		t.Fatal(err)
	}
	got := stablePaths(out.Bytes(), testdata, "")
	if n, want := bytes.Count(got, []byte("\n")), 15; n != want {
		t.Errorf("got %d response lines, want %d", n, want)
	}
	compareGolden(t, "serve", got)
}

// extract writes the files of a txtar archive into dir.
func extract(t *testing.T, archive, dir string) {
	t.Helper()
	ar, err := txtar.ParseFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, f := range ar.Files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o666); err != nil {
			t.Fatal(err)
		}
	}
}

// stablePaths replaces the machine-dependent directories in out.
func stablePaths(out []byte, testdata, tmp string) []byte {
	if tmp != "" {
		out = bytes.ReplaceAll(out, []byte(tmp), []byte("$TMP"))
	}
	return bytes.ReplaceAll(out, []byte(testdata), []byte("testdata"))
}

// commandAnswer runs args as the command line does and returns what the
// goldens hold of it, and whether it succeeded: its output, or its error as
// JSON with whether it is a usage error (exit status 2) or not (exit
// status 1).
func commandAnswer(args []string) (answer []byte, ok bool) {
	var out bytes.Buffer
	if err := run(&out, args); err != nil {
		answer, _ = json.Marshal(map[string]any{
			"error": err.Error(),
			"usage": errors.As(err, new(usageError)),
		})
		return answer, false
	}
	return out.Bytes(), true
}

// indentedJSON is a command's JSON answer as its golden file holds it:
// stable paths, indented, one final newline.
func indentedJSON(t *testing.T, out []byte, testdata, tmp string) []byte {
	t.Helper()
	out = stablePaths(out, testdata, tmp)
	var indented bytes.Buffer
	if err := json.Indent(&indented, out, "", "\t"); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	indented.WriteByte('\n')
	return indented.Bytes()
}

func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o666); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update to accept it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestConstrainedName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"a.go", false},
		{"linux.go", false},
		{"linux_test.go", false},
		{"a_linux.go", true},
		{"a_linux_test.go", true},
		{"a_arm64.go", true},
		{"a_windows_amd64.go", true},
		{"a_windows_amd64_test.go", true},
		{"a_unix.go", false}, // unix is a build tag, not a file-name suffix
		{"a_linux_x.go", false},
		{"a_test.go", false},
		{"linux_amd64.go", true}, // only "linux" comes before the first underscore
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := constrainedName(tt.name); got != tt.want {
				t.Errorf("constrainedName(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestParseProfileLine(t *testing.T) {
	tests := []struct {
		line    string
		file    string
		want    block
		wantErr bool
	}{
		{line: "a/b.go:1.2,3.4 5 6", file: "a/b.go", want: block{1, 2, 3, 4, 5, true}},
		{line: "a/b c.go:1.2,3.4 5 0", file: "a/b c.go", want: block{1, 2, 3, 4, 5, false}},
		{line: "a/b.go:1.2,3.4 5 18446744073709551615", file: "a/b.go", want: block{1, 2, 3, 4, 5, true}},
		{line: "a/b.go:1.2,3.4 5", wantErr: true},
		{line: "a/b.go:1.2 5 6", wantErr: true},
		{line: "a/b.go:1,3.4 5 6", wantErr: true},
		{line: "a/b.go:1.2,3.4 x 6", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			file, b, err := parseProfileLine(tt.line)
			if tt.wantErr {
				if err == nil {
					t.Errorf("parseProfileLine(%q) succeeded, want error", tt.line)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if file != tt.file || *b != tt.want {
				t.Errorf("parseProfileLine(%q) = %q, %+v; want %q, %+v", tt.line, file, *b, tt.file, tt.want)
			}
		})
	}
}
