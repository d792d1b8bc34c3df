package scrub

import (
	"math"
	"testing"
)

// summarize agrees with the textbook two-pass formula for every length
// around its four-way unrolling, and on a long vector.
func TestSummarize(t *testing.T) {
	rng := NewRand(12)
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10001} {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = 3 + rng.NormFloat64()
		}
		var sum float64
		for _, x := range xs {
			sum += x
		}
		mean := sum / float64(n)
		var ss float64
		for _, x := range xs {
			ss += (x - mean) * (x - mean)
		}
		want := 0.0
		if n > 1 {
			want = math.Sqrt(ss/float64(n-1)) / math.Sqrt(float64(n))
		}
		got := summarize(xs)
		if math.Abs(got.Mean-mean) > 1e-12*math.Abs(mean) || math.Abs(got.Stderr-want) > 1e-12*math.Max(want, 1e-300) {
			t.Errorf("n %d: got %+v, want mean %g stderr %g", n, got, mean, want)
		}
	}
	if s := summarize[float64](nil); !math.IsNaN(s.Mean) {
		t.Errorf("empty: %+v", s)
	}
}
