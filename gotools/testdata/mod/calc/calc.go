// Package calc is covered by the hand-written profile testdata/cover.out.
package calc

// Abs returns the absolute value of x.
func Abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Sum adds the results of f over xs; the literal's blocks count as Sum's.
func Sum(xs []int, f func(int) int) int {
	total := 0
	each(xs, func(x int) {
		if f == nil {
			total += x
			return
		}
		total += f(x)
	})
	return total
}

func each(xs []int, f func(int)) {
	for _, x := range xs {
		f(x)
	}
}
