package lru

import (
	"errors"
	"testing"
)

func TestNewRejectsBadCapacity(t *testing.T) {
	for _, capacity := range []int{0, -3} {
		if _, err := New(capacity, 0, nil); !errors.Is(err, ErrCapacity) {
			t.Errorf("New(%d) error = %v, want ErrCapacity", capacity, err)
		}
	}
}

func TestPutEvictsLeastRecentlyUsed(t *testing.T) {
	c, err := New(2, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Put("a", 1)
	c.Put("b", 2)
	if _, ok := c.Get("a"); !ok {
		t.Fatal("a missing before eviction")
	}
	if evicted := c.Put("c", 3); !evicted {
		t.Error("Put(c) did not report an eviction")
	}
	if _, ok := c.Get("b"); ok {
		t.Error("b should have been evicted")
	}
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Errorf("Get(a) = %v, %v; want 1, true", v, ok)
	}
}
