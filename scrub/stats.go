package scrub

import "math"

// summarize is the mean and its standard error (sample standard deviation
// over sqrt(n); 0 for one sample).
func summarize(xs []float64) Summary {
	n := float64(len(xs))
	if n == 0 {
		return Summary{Mean: math.NaN(), Stderr: math.NaN()}
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / n
	if len(xs) < 2 {
		return Summary{Mean: mean}
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return Summary{Mean: mean, Stderr: math.Sqrt(ss/(n-1)) / math.Sqrt(n)}
}
