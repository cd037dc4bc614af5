package inilex

import (
	"fmt"
	"strings"
)

// File maps section names to their key/value pairs. Pairs that appear before
// the first section header belong to the section named "".
type File map[string]map[string]string

// Parse reads a whole INI document. Repeating a section header continues that
// section, but assigning the same key twice within a section is an error.
func Parse(src string) (File, error) {
	lx := NewLexer(src)
	f := File{}
	section := ""
	for {
		tok, err := lx.Next()
		if err != nil {
			return nil, err
		}
		switch tok.Kind {
		case EOF:
			return f, nil
		case Section:
			section = tok.Text
			if f[section] == nil {
				f[section] = map[string]string{}
			}
		case Key:
			val, err := lx.Next()
			if err != nil {
				return nil, err
			}
			pairs := f[section]
			if pairs == nil {
				pairs = map[string]string{}
				f[section] = pairs
			}
			if _, dup := pairs[tok.Text]; dup {
				msg := fmt.Sprintf("duplicate key %q in section %q", tok.Text, section)
				return nil, &SyntaxError{Pos: tok.Pos, Msg: msg}
			}
			pairs[tok.Text] = val.Text
		}
	}
}

// Bool returns the boolean stored under section and key. The accepted words
// are listed in boolwords_gen.go and matched without regard to case. def is
// returned when the key is absent.
func (f File) Bool(section, key string, def bool) (bool, error) {
	raw, ok := f[section][key]
	if !ok {
		return def, nil
	}
	v, known := lookupBool(strings.ToLower(raw))
	if !known {
		return false, fmt.Errorf("inilex: [%s] %s: %q is not a boolean", section, key, raw)
	}
	return v, nil
}
