package scrub

import "math"

// summarize is the mean and its standard error (sample standard deviation
// over sqrt(n); 0 for one sample). Both sums run in four interleaved
// partial sums: a single running sum waits on every addition's latency,
// which made summaries a tenth of a small scrub's time.
func summarize(xs []float64) Summary {
	n := float64(len(xs))
	if n == 0 {
		return Summary{Mean: math.NaN(), Stderr: math.NaN()}
	}
	var s [4]float64
	i := 0
	for ; i+4 <= len(xs); i += 4 {
		s[0] += xs[i]
		s[1] += xs[i+1]
		s[2] += xs[i+2]
		s[3] += xs[i+3]
	}
	for k := 0; i < len(xs); i, k = i+1, k+1 {
		s[k] += xs[i]
	}
	mean := ((s[0] + s[1]) + (s[2] + s[3])) / n
	if len(xs) < 2 {
		return Summary{Mean: mean}
	}
	s = [4]float64{}
	i = 0
	for ; i+4 <= len(xs); i += 4 {
		d0, d1, d2, d3 := xs[i]-mean, xs[i+1]-mean, xs[i+2]-mean, xs[i+3]-mean
		s[0] += d0 * d0
		s[1] += d1 * d1
		s[2] += d2 * d2
		s[3] += d3 * d3
	}
	for k := 0; i < len(xs); i, k = i+1, k+1 {
		d := xs[i] - mean
		s[k] += d * d
	}
	ss := (s[0] + s[1]) + (s[2] + s[3])
	return Summary{Mean: mean, Stderr: math.Sqrt(ss/(n-1)) / math.Sqrt(n)}
}
