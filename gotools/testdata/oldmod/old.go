// Package oldmod declares go 1.16: code added to it must build without
// generics, any, or conversions from slices to array pointers.
package oldmod

// Double returns twice x.
func Double(x int) int {
	if x == 0 {
		return 0
	}
	return 2 * x
}
