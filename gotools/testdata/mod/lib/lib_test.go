package lib

import "testing"

func TestLen(t *testing.T) {
	var l List[int]
	if l.Len() != 0 {
		t.Fatal("not empty")
	}
}
