package reqid

import (
	"bytes"
	"errors"
	"testing"
)

func TestNextIsDeterministicWithFixedReader(t *testing.T) {
	g, err := NewGenerator("req", bytes.NewReader(make([]byte, 16)))
	if err != nil {
		t.Fatal(err)
	}
	id, err := g.Next()
	if err != nil {
		t.Fatal(err)
	}
	if want := "req_00000000-0000-4000-8000-000000000000"; id != want {
		t.Errorf("Next() = %q, want %q", id, want)
	}
}

func TestNewGeneratorRejectsPrefix(t *testing.T) {
	if _, err := NewGenerator("Req1", nil); !errors.Is(err, ErrBadPrefix) {
		t.Errorf("error = %v, want ErrBadPrefix", err)
	}
}

func TestParseRoundTrip(t *testing.T) {
	prefix, u, err := Parse("ord_00000000-0000-4000-8000-000000000000")
	if err != nil || prefix != "ord" || u.Version() != 4 {
		t.Errorf("Parse = %q, %v, %v", prefix, u, err)
	}
}
