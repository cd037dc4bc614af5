// Package mathx collects small integer helpers missing from the standard
// library.
package mathx

import "cmp"

// GCD returns the greatest common divisor of a and b, always non-negative.
// GCD(0, 0) is 0.
func GCD(a, b int) int {
	if a < 0 {
		a = -a
	}
	if b < 0 {
		b = -b
	}
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// IsPrime reports whether n is a prime number, by trial division over 6k±1.
func IsPrime(n int) bool {
	switch {
	case n < 2:
		return false
	case n < 4:
		return true
	case n%2 == 0 || n%3 == 0:
		return false
	}
	for i := 5; i*i <= n; i += 6 {
		if n%i == 0 || n%(i+2) == 0 {
			return false
		}
	}
	return true
}

// Clamp limits v to the closed interval [lo, hi]. It panics if lo > hi.
func Clamp[T cmp.Ordered](v, lo, hi T) T {
	if lo > hi {
		panic("mathx: Clamp called with lo > hi")
	}
	return min(max(v, lo), hi)
}
