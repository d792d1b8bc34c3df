package vec32

import (
	"math"
	"slices"
)

// The softmax and log_softmax row kernels: the row's maximum m (Max);
// e^(x-m) for every x (any m with x-m ≤ 700 will do), the argument clamped
// at -150 (e^-150 rounds to float32 0 and is ~1e-65 of a sum that is at
// least 1), NaN passing through, summed (ExpSum) or also stored
// (ExpStore); the last pass, scaling by 1/sum (MulF64) or subtracting
// m + log sum (SubF64), in float64 with one rounding.

// ExpSum is the float64 sum of e^(x-m) over r, in four interleaved
// partial sums (element i goes to sum i%4, the last len%4 to sum 0; then
// (s0+s1)+(s2+s3)): a fixed order, so deterministic, that overlaps the
// exponentials' latency and is the vector kernel's lane order.
func ExpSum(r []float32, m float64) float64 {
	var s [4]float64
	n := 0
	if useAVX512 {
		if n = len(r) &^ 15; n > 0 {
			expSumAVX512(r[:n], m, &s)
		}
	}
	if useAVX2 {
		if k := (len(r) - n) &^ 7; k > 0 {
			expSumAVX2(r[n:n+k], m, &s)
			n += k
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
	if useAVX512 {
		if n = len(dst) &^ 15; n > 0 {
			expStoreAVX512(dst[:n], r[:n], m, &s)
		}
	}
	if useAVX2 {
		if k := (len(dst) - n) &^ 7; k > 0 {
			expStoreAVX2(dst[n:n+k], r[n:n+k], m, &s)
			n += k
		}
	}
	return expStoreGo(dst, r, m, n, s)
}

// Max is the largest of r as Go's max gives it: -Inf if r is empty, NaN
// if any is NaN, +0 over -0.
func Max(r []float32) float32 {
	m := float32(math.Inf(-1))
	n := 0
	if useAVX2 {
		if n = len(r) &^ 7; n > 0 {
			var lanes [8]float32
			if maxAVX2(r[:n], &lanes) {
				return float32(math.NaN())
			}
			m = maxGo(lanes[:], m)
			if m == 0 && math.Signbit(float64(m)) && slices.ContainsFunc(r[:n], isPosZero) {
				m = 0 // VMAXPS kept a -0 where Go's max prefers +0
			}
		}
	}
	return maxGo(r[n:], m)
}

func isPosZero(x float32) bool { return math.Float32bits(x) == 0 }

// MulF64 is dst[i] = float32(float64(a[i]) · f): softmax's normalization.
func MulF64(dst, a []float32, f float64) { splitArg(dst, a, f, mulF64AVX2, mulF64Go) }

// SubF64 is dst[i] = float32(float64(a[i]) - f): log_softmax's last step.
func SubF64(dst, a []float32, f float64) { splitArg(dst, a, f, subF64AVX2, subF64Go) }
