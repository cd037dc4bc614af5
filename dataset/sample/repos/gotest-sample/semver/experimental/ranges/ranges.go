// Package ranges will parse hyphen ranges such as "1.2.0 - 1.4.0".
//
// Work in progress: this file does not compile yet.
package ranges

import (
	"fmt"
	"strings"

	"github.com/gotest-sample/semver"
)

// Range is an inclusive range of versions.
type Range struct {
	Low, High semver.Version
}

// Parse parses "LOW - HIGH".
func Parse(s string) (Range, error) {
	low, high, ok := strings.Cut(s, " - "
	if !ok {
		return Range{}, fmt.Errorf("ranges: %q: missing ' - '", s)
	}
	lo, err := semver.Parse(low)
	if err != nil {
		return Range{}, err
	}
	hi, err := semver.Parse(high)
	if err != nil {
		return Range{}, err
	}
	return Range{Low: lo, High: hi}, nil
}
