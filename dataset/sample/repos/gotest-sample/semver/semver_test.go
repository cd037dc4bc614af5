package semver

import "testing"

func TestParseAndString(t *testing.T) {
	for _, s := range []string{"1.2.3", "0.10.0-beta.2"} {
		v, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if got := v.String(); got != s {
			t.Errorf("Parse(%q).String() = %q", s, got)
		}
	}
}

func TestParseRejectsLeadingZero(t *testing.T) {
	if _, err := Parse("1.02.3"); err == nil {
		t.Error("Parse(1.02.3) succeeded, want an error")
	}
}

func TestComparePreRelease(t *testing.T) {
	rc := Version{Major: 1, Pre: "rc.1"}
	rel := Version{Major: 1}
	if Compare(rc, rel) != -1 || Compare(rel, rc) != 1 {
		t.Error("a pre-release must sort before its release")
	}
}
