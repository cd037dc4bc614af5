// Package reqid mints and parses prefixed request identifiers such as
// "req_9b2c1f3e-7a44-4c55-8d1e-2f6a8b9c0d1e", built on RFC 4122 UUIDs.
package reqid

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"
)

// Errors reported by NewGenerator and Parse.
var (
	ErrBadPrefix = errors.New("reqid: prefix must be 1 to 8 lowercase ASCII letters")
	ErrMalformed = errors.New("reqid: malformed id")
)

// Generator mints random identifiers with a fixed prefix.
type Generator struct {
	prefix string
	rand   io.Reader // nil means crypto/rand
}

// NewGenerator returns a Generator for prefix. rand is the source of random
// bytes; pass nil to use crypto/rand, or a fixed reader for reproducible IDs.
func NewGenerator(prefix string, rand io.Reader) (*Generator, error) {
	if !validPrefix(prefix) {
		return nil, fmt.Errorf("%w: %q", ErrBadPrefix, prefix)
	}
	return &Generator{prefix: prefix, rand: rand}, nil
}

// Next returns a new identifier "<prefix>_<uuid v4>". It fails only when the
// random source does.
func (g *Generator) Next() (string, error) {
	var (
		u   uuid.UUID
		err error
	)
	if g.rand == nil {
		u, err = uuid.NewRandom()
	} else {
		u, err = uuid.NewRandomFromReader(g.rand)
	}
	if err != nil {
		return "", fmt.Errorf("reqid: reading random bytes: %w", err)
	}
	return g.prefix + "_" + u.String(), nil
}

// Parse splits an identifier into its prefix and UUID. Errors wrap
// ErrMalformed.
func Parse(id string) (string, uuid.UUID, error) {
	prefix, rest, ok := strings.Cut(id, "_")
	if !ok || !validPrefix(prefix) {
		return "", uuid.Nil, fmt.Errorf("%w: bad prefix in %q", ErrMalformed, id)
	}
	u, err := uuid.Parse(rest)
	if err != nil || len(rest) != 36 {
		return "", uuid.Nil, fmt.Errorf("%w: bad uuid in %q", ErrMalformed, id)
	}
	return prefix, u, nil
}

// Stable returns the identifier that prefix and name always map to, using a
// name-based (version 5) UUID in the URL namespace.
func Stable(prefix, name string) (string, error) {
	if !validPrefix(prefix) {
		return "", fmt.Errorf("%w: %q", ErrBadPrefix, prefix)
	}
	return prefix + "_" + uuid.NewSHA1(uuid.NameSpaceURL, []byte(name)).String(), nil
}

// validPrefix reports whether p is 1 to 8 lowercase ASCII letters.
func validPrefix(p string) bool {
	if len(p) == 0 || len(p) > 8 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 'a' || p[i] > 'z' {
			return false
		}
	}
	return true
}
