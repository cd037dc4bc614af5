// Package inilex tokenizes and parses INI-style configuration files.
//
// A document is a sequence of lines. Blank lines are ignored, lines starting
// with ';' or '#' are comments, "[name]" opens a section, and "key = value"
// (or "key: value") assigns a value inside the current section.
package inilex

import (
	"fmt"
	"strconv"
)

// Kind identifies the lexical class of a Token.
type Kind int

// Token kinds produced by the Lexer.
const (
	EOF Kind = iota
	Section
	Key
	Value
	Comment
)

var kindNames = [...]string{
	EOF:     "EOF",
	Section: "Section",
	Key:     "Key",
	Value:   "Value",
	Comment: "Comment",
}

// String returns the name of k, or "Kind(n)" for a value outside the known range.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// Pos is a 1-based line and column position in the source.
type Pos struct {
	Line int
	Col  int
}

// Token is one lexical element of an INI document. Text holds the section
// name, key, value or comment body without delimiters or surrounding blanks.
type Token struct {
	Kind Kind
	Text string
	Pos  Pos
}

// SyntaxError reports malformed input together with the position where the
// problem was found.
type SyntaxError struct {
	Pos Pos
	Msg string
}

// Error formats the error as "inilex: line:col: message".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("inilex: %d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}
