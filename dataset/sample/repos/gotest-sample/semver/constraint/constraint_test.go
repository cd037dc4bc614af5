package constraint

import (
	"testing"

	"github.com/gotest-sample/semver"
)

func TestCaret(t *testing.T) {
	c, err := Parse("^1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Allows(semver.Version{Major: 1, Minor: 9}) {
		t.Error("^1.4.0 should allow 1.9.0")
	}
	if c.Allows(semver.Version{Major: 2}) {
		t.Error("^1.4.0 should not allow 2.0.0")
	}
}
