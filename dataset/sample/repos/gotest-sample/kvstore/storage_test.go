package kvstore

import (
	"errors"
	"testing"
)

// Both implementations must satisfy Storage.
var (
	_ Storage = (*Memory)(nil)
	_ Storage = (*Log)(nil)
)

func TestMemoryGetMissing(t *testing.T) {
	var m Memory
	_, err := m.Get("absent")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get error = %v, want ErrNotFound", err)
	}
	if key, ok := FailedKey(err); !ok || key != "absent" {
		t.Errorf("FailedKey = %q, %v; want absent, true", key, ok)
	}
}

func TestLogLastWriteWins(t *testing.T) {
	var l Log
	_ = l.Set("k", "v1")
	_ = l.Set("k", "v2")
	if v, err := l.Get("k"); err != nil || v != "v2" {
		t.Errorf("Get = %q, %v; want v2, nil", v, err)
	}
}

func TestCopySkipsMissing(t *testing.T) {
	var src, dst Memory
	_ = src.Set("a", "1")
	n, err := Copy(&dst, &src, []string{"a", "b"})
	if err != nil || n != 1 {
		t.Fatalf("Copy = %d, %v; want 1, nil", n, err)
	}
}
