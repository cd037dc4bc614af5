package stats

import (
	"errors"
	"testing"
)

func TestMean(t *testing.T) {
	got, err := Mean([]float64{1, 2, 3, 6})
	if err != nil || got != 3 {
		t.Errorf("Mean = %v, %v; want 3, nil", got, err)
	}
}

func TestMedianEmpty(t *testing.T) {
	if _, err := Median(nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("Median(nil) error = %v, want ErrEmpty", err)
	}
}
