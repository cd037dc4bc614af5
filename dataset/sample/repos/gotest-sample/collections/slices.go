package coll

// Map returns a new slice holding f applied to each element of xs. A nil
// input gives a nil result.
func Map[T, U any](xs []T, f func(T) U) []U {
	if xs == nil {
		return nil
	}
	out := make([]U, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// Filter returns the elements of xs for which keep returns true, in their
// original order. The input slice is not modified.
func Filter[T any](xs []T, keep func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// Reduce folds xs from left to right, starting from init.
func Reduce[T, A any](xs []T, init A, f func(A, T) A) A {
	acc := init
	for _, x := range xs {
		acc = f(acc, x)
	}
	return acc
}

// Uniq returns xs without repeated elements, keeping the first occurrence of
// each. When limit is positive at most limit elements are returned.
func Uniq[T comparable](xs []T, limit int) []T {
	seen := make(map[T]struct{}, len(xs))
	out := make([]T, 0, len(xs))
	for _, x := range xs {
		if _, dup := seen[x]; dup {
			continue
		}
		if limit > 0 && len(out) == limit {
			break
		}
		seen[x] = struct{}{}
		out = append(out, x)
	}
	return out
}
