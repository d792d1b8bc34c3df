package vec32

import (
	"math"
	"math/rand/v2"
	"testing"
)

// softmaxRowRef is one row through the per-row kernels, as runtime's
// softmaxRow32 calls them: the bits SoftmaxRows must give.
func softmaxRowRef(dst, x []float32, log bool) {
	m := float64(Max(x))
	if log {
		SubF64(dst, x, m+math.Log(ExpSum(x, m)))
		return
	}
	s := ExpStore(dst, x, m)
	MulF64(dst, dst, 1/s)
}

// specialRows fills a with rows of d at offs: random values at a random
// scale, some entries special (NaN, ±Inf, ±0, ±MaxFloat32, denormals, the
// clamp's edge), some rows all -Inf (masked), all zeros of mixed sign, all
// equal, or a kept prefix then -Inf (a causal mask).
func specialRows(rng *rand.Rand, a []float32, offs []int, d int) {
	inf := float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	specials := []float32{float32(math.NaN()), -float32(math.NaN()), inf, -inf, 0, negZero, math.MaxFloat32, -math.MaxFloat32,
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 1e-40, 150, -150, 151, 700, -700, 88.72, -103.98}
	scales := []float64{1e-30, 1e-6, 1, 8, 40, 200, 1e4, 1e38}
	for _, p := range offs {
		x := a[p : p+d]
		sc := scales[rng.IntN(len(scales))]
		for i := range x {
			x[i] = float32(rng.NormFloat64() * sc)
		}
		switch rng.IntN(12) {
		case 0:
			for i := range x {
				x[i] = -inf
			}
		case 1:
			for i := range x {
				x[i] = [2]float32{0, negZero}[rng.IntN(2)]
			}
		case 2:
			for i := range x {
				x[i] = x[0]
			}
		case 3:
			for i := 1 + rng.IntN(d); i < d; i++ {
				x[i] = -inf
			}
		case 4, 5, 6:
			for range 1 + rng.IntN(3) {
				x[rng.IntN(d)] = specials[rng.IntN(len(specials))]
			}
		}
	}
}

// TestSoftmaxRowsBits: SoftmaxRows equals the per-row kernels bit for bit
// (NaN as NaN) for every row length 1..RowsMaxD, random row counts up to
// 300, contiguous rows and rows with gaps, on special-valued rows, on every
// path the CPU has; dst beyond the rows is untouched.
func TestSoftmaxRowsBits(t *testing.T) {
	paths(t, func(t *testing.T) {
		SoftmaxRows(nil, nil, nil, 5, false) // no rows: nothing read or written
		SoftmaxRows(nil, nil, nil, 5, true)
		rng := rand.New(rand.NewPCG(11, 12))
		for d := 1; d <= RowsMaxD; d++ {
			for trial := range 12 {
				rows := 1 + rng.IntN(300)
				if trial == 0 {
					rows = 1
				}
				gap := 0
				if trial%2 == 1 {
					gap = rng.IntN(9)
				}
				offs := make([]int, rows)
				for r := range offs {
					offs[r] = rng.IntN(3) + r*(d+gap)
				}
				a := make([]float32, offs[rows-1]+d+rng.IntN(3))
				specialRows(rng, a, offs, d)
				for _, log := range []bool{false, true} {
					got := make([]float32, rows*d+3)
					for i := range got {
						got[i] = guard
					}
					SoftmaxRows(got[:rows*d], a, offs, d, log)
					want := make([]float32, d)
					for r, p := range offs {
						softmaxRowRef(want, a[p:p+d], log)
						for i, w := range want {
							if g := got[r*d+i]; !same32(g, w) {
								t.Fatalf("d=%d log=%v row %d %v: [%d] = %g (%#x), per-row kernels give %g (%#x)",
									d, log, r, a[p:p+d], i, g, math.Float32bits(g), w, math.Float32bits(w))
							}
						}
					}
					if log && RowsFast() && rows <= rowsBlock {
						kernelSums(t, a, offs, d)
					}
					for i := rows * d; i < len(got); i++ {
						if got[i] != guard {
							t.Fatalf("d=%d: dst[%d] beyond the rows written", d, i)
						}
					}
				}
			}
		}
	})
}

// kernelSums checks the AVX-512 kernel's per-row max and float64 sum
// against Max and ExpSum bit for bit: a sum's last bits seldom reach a
// float32 output, so the outputs alone would let a wrong order through.
func kernelSums(t *testing.T, a []float32, offs []int, d int) {
	t.Helper()
	fullBytes, lastMask, fullMask, rem := rowsChunks(d)
	ms, ss := make([]float64, len(offs)), make([]float64, len(offs))
	dst := make([]float32, len(offs)*d)
	softmaxRowsAVX512(dst, a, offs, ms, ss, nil, fullBytes, lastMask, fullMask, rem, d)
	for r, p := range offs {
		x := a[p : p+d]
		m := float64(Max(x))
		if m == m && !same64(ms[r], m) {
			t.Fatalf("d=%d row %v: kernel max %g, Max %g", d, x, ms[r], m)
		}
		if s := ExpSum(x, m); !same64(ss[r], s) {
			t.Fatalf("d=%d row %v: kernel sum %g (%#x), ExpSum %g (%#x)", d, x, ss[r], math.Float64bits(ss[r]), s, math.Float64bits(s))
		}
	}
}
