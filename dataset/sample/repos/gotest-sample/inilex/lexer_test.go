package inilex

import (
	"errors"
	"testing"
)

func TestKindString(t *testing.T) {
	cases := map[Kind]string{EOF: "EOF", Section: "Section", Comment: "Comment"}
	for k, want := range cases {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestLexerTokens(t *testing.T) {
	lx := NewLexer("; settings\n[server]\nport = 8080\n")
	want := []Token{
		{Kind: Comment, Text: "settings", Pos: Pos{1, 1}},
		{Kind: Section, Text: "server", Pos: Pos{2, 1}},
		{Kind: Key, Text: "port", Pos: Pos{3, 1}},
		{Kind: Value, Text: "8080", Pos: Pos{3, 8}},
		{Kind: EOF, Pos: Pos{4, 1}},
	}
	for i, w := range want {
		got, err := lx.Next()
		if err != nil {
			t.Fatalf("token %d: unexpected error %v", i, err)
		}
		if got != w {
			t.Errorf("token %d = %+v, want %+v", i, got, w)
		}
	}
}

func TestParseUnterminatedSection(t *testing.T) {
	_, err := Parse("a = 1\n  [db\n")
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("Parse error = %v, want *SyntaxError", err)
	}
	if se.Pos != (Pos{Line: 2, Col: 6}) {
		t.Errorf("error position = %+v, want 2:6", se.Pos)
	}
}
