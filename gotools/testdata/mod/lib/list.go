// Package lib is a small package for the funcs and imports golden tests.
package lib

// List is a growable list.
type List[T any] struct {
	items []T
	stats counter
}

// counter counts operations.
type counter struct{ n int }

// Push appends v.
func (l *List[T]) Push(v T) {
	l.grow(1)
	l.items = append(l.items, v)
	l.stats.n++
}

func (l *List[T]) grow(n int) {
	if cap(l.items)-len(l.items) < n {
		l.items = append(make([]T, 0, 2*cap(l.items)+n), l.items...)
	}
}

// Pop removes the last element.
func (l *List[T]) Pop() (T, bool) {
	var zero T
	if l.Len() == 0 {
		return zero, false
	}
	v := l.items[len(l.items)-1]
	l.items = l.items[:len(l.items)-1]
	return v, true
}

// Len is the number of elements.
func (l *List[T]) Len() int { return len(l.items) }

// Map applies f to every element.
func Map[T, U any](l *List[T], f func(T) U) *List[U] {
	out := &List[U]{}
	for _, v := range l.items {
		out.Push(f(v))
	}
	return out
}
