package inilex

import "strings"

// Lexer splits an INI document into tokens, one line at a time.
type Lexer struct {
	lines   []string
	next    int // index of the next line to scan
	pending []Token
}

// NewLexer returns a Lexer reading src. Both "\n" and "\r\n" line endings are
// accepted.
func NewLexer(src string) *Lexer {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	return &Lexer{lines: strings.Split(src, "\n")}
}

// Next returns the next token. Once the input is exhausted it returns a token
// of kind EOF on every call. A malformed line yields a *SyntaxError; the
// lexer then resumes with the following line.
func (l *Lexer) Next() (Token, error) {
	for len(l.pending) == 0 {
		if l.next >= len(l.lines) {
			return Token{Kind: EOF, Pos: Pos{Line: len(l.lines), Col: 1}}, nil
		}
		line := l.lines[l.next]
		l.next++
		if err := l.scanLine(line, l.next); err != nil {
			return Token{}, err
		}
	}
	tok := l.pending[0]
	l.pending = l.pending[1:]
	return tok, nil
}

// scanLine queues the tokens of one source line; lineNo is 1-based.
func (l *Lexer) scanLine(line string, lineNo int) error {
	body := strings.TrimLeft(line, " \t")
	col := len(line) - len(body) + 1
	body = strings.TrimRight(body, " \t")
	switch {
	case body == "":
		return nil
	case body[0] == ';' || body[0] == '#':
		text := strings.TrimSpace(body[1:])
		l.pending = append(l.pending, Token{Kind: Comment, Text: text, Pos: Pos{lineNo, col}})
		return nil
	case body[0] == '[':
		end := strings.IndexByte(body, ']')
		if end < 0 {
			return &SyntaxError{Pos{lineNo, col + len(body)}, "unterminated section header"}
		}
		if end != len(body)-1 {
			return &SyntaxError{Pos{lineNo, col + end + 1}, "unexpected text after section header"}
		}
		name := strings.TrimSpace(body[1:end])
		if name == "" {
			return &SyntaxError{Pos{lineNo, col}, "empty section name"}
		}
		l.pending = append(l.pending, Token{Kind: Section, Text: name, Pos: Pos{lineNo, col}})
		return nil
	}
	return l.scanPair(body, lineNo, col)
}

// scanPair queues a Key and a Value token for a "key = value" line. body has
// no surrounding blanks and starts at column col. A value wrapped in double
// quotes keeps its inner blanks and has the quotes removed.
func (l *Lexer) scanPair(body string, lineNo, col int) error {
	sep := strings.IndexAny(body, "=:")
	if sep < 0 {
		return &SyntaxError{Pos{lineNo, col + len(body)}, "expected '=' or ':' after key"}
	}
	key := strings.TrimSpace(body[:sep])
	if key == "" {
		return &SyntaxError{Pos{lineNo, col + sep}, "missing key"}
	}
	rest := body[sep+1:]
	value := strings.TrimLeft(rest, " \t")
	valueCol := col + sep + 1 + len(rest) - len(value)
	if strings.HasPrefix(value, `"`) {
		if len(value) < 2 || !strings.HasSuffix(value, `"`) {
			return &SyntaxError{Pos{lineNo, valueCol}, "unterminated quoted value"}
		}
		value = value[1 : len(value)-1]
	}
	l.pending = append(l.pending,
		Token{Kind: Key, Text: key, Pos: Pos{lineNo, col}},
		Token{Kind: Value, Text: value, Pos: Pos{lineNo, valueCol}},
	)
	return nil
}
