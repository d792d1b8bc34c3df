package vec32

// The softmax and log_softmax row sums: e^(x-m) for every x of a row (m
// its maximum; any m with x-m ≤ 700 will do), the argument clamped at -150 (e^-150 rounds to float32 0
// and is ~1e-65 of a sum that is at least 1), NaN passing through.

// ExpSum is the float64 sum of e^(x-m) over r, in four interleaved
// partial sums (element i goes to sum i%4, the last len%4 to sum 0; then
// (s0+s1)+(s2+s3)): a fixed order, so deterministic, that overlaps the
// exponentials' latency and is the vector kernel's lane order.
func ExpSum(r []float32, m float64) float64 {
	var s [4]float64
	n := 0
	if useAVX2 {
		if n = len(r) &^ 7; n > 0 {
			expSumAVX2(r[:n], m, &s)
		}
	}
	return expSumGo(r, m, n, s)
}

// ExpStore is ExpSum that also stores each e^(x-m), rounded, in dst
// (len(dst) elements of r).
func ExpStore(dst, r []float32, m float64) float64 {
	r = r[:len(dst)]
	var s [4]float64
	n := 0
	if useAVX2 {
		if n = len(dst) &^ 7; n > 0 {
			expStoreAVX2(dst[:n], r[:n], m, &s)
		}
	}
	return expStoreGo(dst, r, m, n, s)
}
