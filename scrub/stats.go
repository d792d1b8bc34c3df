package scrub

import (
	"math"

	"github.com/circopt/circopt/tensor"
)

// summarizeTensor is summarize over t's elements, read in place when t is
// contiguous: float32 values widen exactly, so the summary is the one of
// t.Float64s().
func summarizeTensor(t *tensor.Tensor) Summary {
	if xs := t.Float32Data(); xs != nil {
		return summarize(xs)
	}
	if xs := t.Float64Data(); xs != nil {
		return summarize(xs)
	}
	return summarize(t.Float64s())
}

// summarize is the mean and its standard error (sample standard deviation
// over sqrt(n); 0 for one sample). Both sums run in four interleaved
// partial sums: a single running sum waits on every addition's latency,
// which made summaries a tenth of a small scrub's time.
func summarize[T float32 | float64](xs []T) Summary {
	n := float64(len(xs))
	if n == 0 {
		return Summary{Mean: math.NaN(), Stderr: math.NaN()}
	}
	mean := sum4(xs, 0, false) / n
	if len(xs) < 2 {
		return Summary{Mean: mean}
	}
	ss := sum4(xs, mean, true)
	return Summary{Mean: mean, Stderr: math.Sqrt(ss/(n-1)) / math.Sqrt(n)}
}

// sum4 is the sum of xs (squares, the sum of (x-c)²) in four partial sums
// held in registers, element i into sum i mod 4.
func sum4[T float32 | float64](xs []T, c float64, squares bool) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	if squares {
		for ; i+4 <= len(xs); i += 4 {
			d0, d1, d2, d3 := float64(xs[i])-c, float64(xs[i+1])-c, float64(xs[i+2])-c, float64(xs[i+3])-c
			s0 += d0 * d0
			s1 += d1 * d1
			s2 += d2 * d2
			s3 += d3 * d3
		}
	} else {
		for ; i+4 <= len(xs); i += 4 {
			s0 += float64(xs[i])
			s1 += float64(xs[i+1])
			s2 += float64(xs[i+2])
			s3 += float64(xs[i+3])
		}
	}
	tail := [3]float64{}
	for k := 0; i < len(xs); i, k = i+1, k+1 {
		x := float64(xs[i])
		if squares {
			x = (x - c) * (x - c)
		}
		tail[k] = x
	}
	return ((s0 + tail[0]) + (s1 + tail[1])) + ((s2 + tail[2]) + s3)
}
