// Package semver parses, compares and bumps semantic version numbers of the
// form MAJOR.MINOR.PATCH with an optional "-prerelease" suffix and an
// optional leading "v".
package semver

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gotest-sample/semver/internal/num"
)

// ErrUnknownPart is returned by Bump for a part other than major, minor or
// patch.
var ErrUnknownPart = errors.New("semver: unknown version part")

// Version is a parsed semantic version. Build metadata is not supported.
type Version struct {
	Major, Minor, Patch uint64
	Pre                 string // pre-release identifier without the '-', or ""
}

// Parse parses s, such as "1.4.0", "v2.0.0-rc.1" or "0.9.12".
func Parse(s string) (Version, error) {
	core, pre, hasPre := strings.Cut(strings.TrimPrefix(s, "v"), "-")
	if hasPre && pre == "" {
		return Version{}, fmt.Errorf("semver: %q: empty pre-release", s)
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("semver: %q: want MAJOR.MINOR.PATCH", s)
	}
	var nums [3]uint64
	for i, p := range parts {
		n, err := num.ParseUint(p)
		if err != nil {
			return Version{}, fmt.Errorf("semver: %q: %w", s, err)
		}
		nums[i] = n
	}
	return Version{Major: nums[0], Minor: nums[1], Patch: nums[2], Pre: pre}, nil
}

// String formats v without a leading "v".
func (v Version) String() string {
	s := strconv.FormatUint(v.Major, 10) + "." +
		strconv.FormatUint(v.Minor, 10) + "." +
		strconv.FormatUint(v.Patch, 10)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	return s
}

// Compare returns -1, 0 or +1 as a is lower than, equal to or higher than b.
// A pre-release sorts before the release it precedes; two pre-releases are
// compared as strings.
func Compare(a, b Version) int {
	if c := cmp.Compare(a.Major, b.Major); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Minor, b.Minor); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Patch, b.Patch); c != 0 {
		return c
	}
	switch {
	case a.Pre == b.Pre:
		return 0
	case a.Pre == "":
		return 1
	case b.Pre == "":
		return -1
	}
	return cmp.Compare(a.Pre, b.Pre)
}

// Bump returns the next version for part "major", "minor" or "patch",
// resetting the lower parts and dropping any pre-release. Bumping the patch
// of a pre-release yields the release itself (1.2.3-rc.1 -> 1.2.3).
func (v Version) Bump(part string) (Version, error) {
	switch part {
	case "major":
		return Version{Major: v.Major + 1}, nil
	case "minor":
		return Version{Major: v.Major, Minor: v.Minor + 1}, nil
	case "patch":
		if v.Pre != "" {
			return Version{Major: v.Major, Minor: v.Minor, Patch: v.Patch}, nil
		}
		return Version{Major: v.Major, Minor: v.Minor, Patch: v.Patch + 1}, nil
	}
	return Version{}, fmt.Errorf("%w %q", ErrUnknownPart, part)
}
