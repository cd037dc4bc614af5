// Package num holds the strict decimal parsing shared by the semver packages.
package num

import (
	"errors"
	"strconv"
)

// Errors returned by ParseUint.
var (
	ErrEmpty       = errors.New("empty number")
	ErrLeadingZero = errors.New("leading zero")
	ErrNotDigit    = errors.New("not a decimal digit")
)

// ParseUint parses a version component: ASCII digits only, no sign, and no
// leading zero unless the number is 0 itself.
func ParseUint(s string) (uint64, error) {
	if s == "" {
		return 0, ErrEmpty
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, ErrNotDigit
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, ErrLeadingZero
	}
	return strconv.ParseUint(s, 10, 64)
}
