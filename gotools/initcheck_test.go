package main

import (
	"reflect"
	"testing"
)

// TestInitEffects checks what funcs reports of each fixture package's
// initialisation: calls found through variables, helpers, methods and
// literals called on the spot, and none where an exit is decided by an if,
// a loop or a switch, or where a literal is only stored.
func TestInitEffects(t *testing.T) {
	tests := []struct {
		dir  string
		want []initEffect
	}{
		{"testdata/mod/initflags", []initEffect{
			{Kind: "parses_flags", Call: "flag.Parse", Pos: "main.go:16:2", Via: "init"},
		}},
		{"testdata/mod/initrun", []initEffect{
			{Kind: "exits", Call: "log.Logger.Fatalln", Pos: "initrun.go:30:9", Via: "init"},
			{Kind: "exits", Call: "log.Fatal", Pos: "initrun.go:37:2", Via: "init > check > must"},
			{Kind: "parses_flags", Call: "flag.FlagSet.Parse", Pos: "initrun.go:16:2", Via: "var settings > load"},
		}},
		{"testdata/mod/initok", []initEffect{}},
		{"testdata/mod/lib", []initEffect{}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			res, err := loadFuncs(tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]initEffect, 0, len(res.InitEffects))
			for _, e := range res.InitEffects {
				got = append(got, initEffect{Kind: e.Kind, Call: e.Call, Pos: e.Pos, Via: e.Via})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("init effects:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
