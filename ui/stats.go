package ui

import "math"

// stats summarises values: the extremes and mean of the finite ones, and
// how many are not finite.
func stats(data []float64) (lo, hi, mean float64, nonfinite int) {
	lo, hi = math.Inf(1), math.Inf(-1)
	sum, n := 0.0, 0
	for _, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			nonfinite++
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
		sum += v
		n++
	}
	if n == 0 {
		return 0, 0, 0, nonfinite
	}
	return lo, hi, sum / float64(n), nonfinite
}
