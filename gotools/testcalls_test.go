package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
)

// TestTestCallsGolden runs testcalls on the fixture of
// testdata/testcalls.txtar and compares its output, or its error, with
// testdata/NAME.golden.
func TestTestCallsGolden(t *testing.T) {
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	extractTree(t, "testdata/testcalls.txtar", tmp)
	shapes := filepath.Join(tmp, "shapes")
	tests := []struct {
		name string
		args []string
	}{
		{"testcalls_package", []string{"testcalls", "-dir", shapes}},
		{"testcalls_func", []string{"testcalls", "-dir", shapes, "-func", "Bag.Add"}},
		{"testcalls_external_only", []string{"testcalls", "-dir", shapes, "-func", "Square.Area"}},
		{"testcalls_missing_dir", []string{"testcalls", "-dir", filepath.Join(tmp, "missing")}},
		{"testcalls_no_dir", []string{"testcalls"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			var got []byte
			if err := run(&out, tt.args); err != nil {
				got, _ = json.Marshal(map[string]any{
					"error": err.Error(),
					"usage": errors.As(err, new(usageError)),
				})
			} else {
				got = out.Bytes()
			}
			got = stablePaths(got, testdata, tmp)
			var indented bytes.Buffer
			if err := json.Indent(&indented, got, "", "\t"); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, got)
			}
			indented.WriteByte('\n')
			compareGolden(t, tt.name, indented.Bytes())
		})
	}
}
