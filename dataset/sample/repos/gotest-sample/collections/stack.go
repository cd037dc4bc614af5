// Package coll provides small generic containers and slice helpers.
package coll

// Stack is a last-in, first-out stack. The zero value is an empty stack ready
// to use.
type Stack[T any] struct {
	items []T
}

// Push adds the values to the top of the stack, the last one ending on top.
func (s *Stack[T]) Push(values ...T) {
	s.items = append(s.items, values...)
}

// Pop removes and returns the top value. ok is false, and v the zero value,
// when the stack is empty.
func (s *Stack[T]) Pop() (v T, ok bool) {
	if len(s.items) == 0 {
		return v, false
	}
	last := len(s.items) - 1
	v = s.items[last]
	var zero T
	s.items[last] = zero // let the garbage collector reclaim it
	s.items = s.items[:last]
	return v, true
}

// Len returns the number of values on the stack.
func (s *Stack[T]) Len() int {
	return len(s.items)
}
