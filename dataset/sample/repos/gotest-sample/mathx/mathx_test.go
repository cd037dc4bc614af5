package mathx

import "testing"

func TestGCD(t *testing.T) {
	cases := []struct{ a, b, want int }{{12, 18, 6}, {-4, 6, 2}, {7, 0, 7}}
	for _, c := range cases {
		if got := GCD(c.a, c.b); got != c.want {
			t.Errorf("GCD(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestIsPrimeSmall(t *testing.T) {
	for n, want := range map[int]bool{1: false, 2: true, 9: false, 13: true} {
		if got := IsPrime(n); got != want {
			t.Errorf("IsPrime(%d) = %v, want %v", n, got, want)
		}
	}
}
