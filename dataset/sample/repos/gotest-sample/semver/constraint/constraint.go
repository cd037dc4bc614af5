// Package constraint matches semantic versions against simple constraints
// such as ">=1.2.0", "<2.0.0", "=1.0.0" or "^1.4.0".
package constraint

import (
	"fmt"
	"strings"

	"github.com/gotest-sample/semver"
)

// Constraint is one comparison against a fixed version.
type Constraint struct {
	Op      string // one of "=", "<", "<=", ">", ">=", "^"
	Version semver.Version
}

// operators is ordered so that two-character operators are tried first.
var operators = []string{">=", "<=", ">", "<", "=", "^"}

// Parse parses a constraint. A version without an operator means "=".
func Parse(s string) (Constraint, error) {
	s = strings.TrimSpace(s)
	op := "="
	for _, candidate := range operators {
		if strings.HasPrefix(s, candidate) {
			op, s = candidate, strings.TrimSpace(s[len(candidate):])
			break
		}
	}
	v, err := semver.Parse(s)
	if err != nil {
		return Constraint{}, fmt.Errorf("constraint: %w", err)
	}
	return Constraint{Op: op, Version: v}, nil
}

// Allows reports whether v satisfies c. The caret operator "^X.Y.Z" accepts
// versions at or above X.Y.Z with the same major number, or, for major 0,
// the same minor number.
func (c Constraint) Allows(v semver.Version) bool {
	d := semver.Compare(v, c.Version)
	switch c.Op {
	case "=":
		return d == 0
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	case ">":
		return d > 0
	case ">=":
		return d >= 0
	case "^":
		if d < 0 || v.Major != c.Version.Major {
			return false
		}
		return c.Version.Major != 0 || v.Minor == c.Version.Minor
	}
	return false
}
