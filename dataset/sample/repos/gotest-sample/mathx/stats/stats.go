// Package stats computes descriptive statistics of float64 samples. It is a
// separate module from mathx so that it can be versioned on its own.
package stats

import (
	"errors"
	"math"
	"slices"
)

// Errors returned for samples that are too small.
var (
	ErrEmpty   = errors.New("stats: empty sample")
	ErrTooFew  = errors.New("stats: need at least two values")
	ErrNotReal = errors.New("stats: sample holds NaN or infinity")
)

// Mean returns the arithmetic mean of xs.
func Mean(xs []float64) (float64, error) {
	if len(xs) == 0 {
		return 0, ErrEmpty
	}
	sum := 0.0
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, ErrNotReal
		}
		sum += x
	}
	return sum / float64(len(xs)), nil
}

// Median returns the middle value of xs, or the mean of the two middle values
// when len(xs) is even. xs is not modified.
func Median(xs []float64) (float64, error) {
	if len(xs) == 0 {
		return 0, ErrEmpty
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid], nil
	}
	return (sorted[mid-1] + sorted[mid]) / 2, nil
}

// StdDev returns the sample standard deviation of xs (dividing by n-1).
func StdDev(xs []float64) (float64, error) {
	if len(xs) < 2 {
		return 0, ErrTooFew
	}
	mean, err := Mean(xs)
	if err != nil {
		return 0, err
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss / float64(len(xs)-1)), nil
}
