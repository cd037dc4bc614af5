package main

import (
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
			got, _ := commandAnswer(tt.args)
			compareGolden(t, tt.name, indentedJSON(t, got, testdata, tmp))
		})
	}
}
