package coll

import (
	"slices"
	"strconv"
	"testing"
)

func TestStackPushPop(t *testing.T) {
	var s Stack[string]
	s.Push("a", "b")
	if v, ok := s.Pop(); !ok || v != "b" {
		t.Fatalf("Pop() = %q, %v; want b, true", v, ok)
	}
	if s.Len() != 1 {
		t.Fatalf("Len() = %d, want 1", s.Len())
	}
}

func TestMap(t *testing.T) {
	got := Map([]int{1, 2, 3}, strconv.Itoa)
	if want := []string{"1", "2", "3"}; !slices.Equal(got, want) {
		t.Errorf("Map = %v, want %v", got, want)
	}
}

func TestReduceSum(t *testing.T) {
	sum := Reduce([]int{1, 2, 3, 4}, 0, func(acc, x int) int { return acc + x })
	if sum != 10 {
		t.Errorf("sum = %d, want 10", sum)
	}
}
