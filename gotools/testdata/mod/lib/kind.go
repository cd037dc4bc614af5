package lib

import "fmt"

// Kind is a token kind.
type Kind int

// The token kinds.
const (
	Ident Kind = iota // identifier
	Number
	String
)

const maxKind = String

var kindNames = [...]string{"ident", "number", "string"}

func (k Kind) String() string {
	if k < 0 || k > maxKind {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// Token is a lexical token.
type Token struct {
	Kind Kind
	Text string
}

// Describe calls the String method of Kind.
func (t Token) Describe() string {
	return t.Kind.String() + " " + quote(t.Text)
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// IsNumber reports whether t is a number.
func IsNumber(t Token) bool { return t.Kind == Number }

// NewToken makes a token of kind k: the constructor of IsNumber's parameter
// and Describe's receiver.
func NewToken(k Kind, text string) Token { return Token{Kind: k, Text: text} }
