package runtime

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/circopt/circopt/ir"
)

// TestSoftmax32Accuracy: the float32 softmax and log_softmax rows
// (softmaxRow32) are within 2 ulp (in practice 1) of the float64 kernel's
// results rounded to float32, on rows of normal, large, tiny, masked
// (-Inf), NaN and +Inf entries, contiguous and strided; all -Inf rows and
// rows holding NaN are NaN as in float64.
func TestSoftmax32Accuracy(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	rng := rand.New(rand.NewPCG(5, 6))
	randRow := func(d int, scale float64) []float32 {
		r := make([]float32, d)
		for i := range r {
			r[i] = float32(rng.NormFloat64() * scale)
		}
		return r
	}
	rows := [][]float32{
		{0}, {1, 2, 3}, {-inf, -inf, -inf}, {-inf, 0, -inf}, {1, nan, 2}, {inf, 1, 2}, {inf, inf}, {-inf, inf},
		{1e30, -1e30, 0}, {88, 89, 90, -200}, {1e-30, -1e-30, 1e-38, 0}, {-1e-7, 0, 1e-7},
		{3.4e38, 3.4e38}, {-3.4e38, -3.4e38, -3.4e38}, {0, -1e-6}, {20, 0}, {40, 0, 0, 0},
	}
	for _, sc := range []float64{1e-6, 0.01, 1, 8, 40, 300} {
		for _, d := range []int{2, 7, 64, 1000} {
			rows = append(rows, randRow(d, sc))
		}
	}
	masked := randRow(512, 4) // causal-mask style: a prefix kept, the rest -Inf
	for i := 100; i < len(masked); i++ {
		masked[i] = -inf
	}
	rows = append(rows, masked, randRow(50257, 3))
	for _, op := range []ir.Op{ir.OpSoftmax, ir.OpLogSoftmax} {
		worst := int64(0)
		for _, row := range rows {
			for _, sd := range []int{1, 3} { // contiguous and strided
				d := len(row)
				a32 := make([]float32, d*sd)
				a64 := make([]float64, d*sd)
				for i, x := range row {
					a32[i*sd], a64[i*sd] = x, float64(x)
				}
				got := make([]float32, d)
				want := make([]float64, d)
				lastAxisT(op, []int{0}, d, sd, a32, got)
				lastAxisT(op, []int{0}, d, sd, a64, want)
				for i := range got {
					w := float32(want[i])
					u := ulps32(got[i], w)
					if u > worst {
						worst = u
					}
					if u > 2 {
						t.Fatalf("%s row %v... (d=%d, stride %d)[%d] = %g, float64 kernel says %g: %d ulp", op, row[:min(d, 4)], d, sd, i, got[i], w, u)
					}
				}
			}
		}
		t.Logf("%s: worst %d ulp over %d rows", op, worst, len(rows))
	}
	// All -Inf (fully masked) rows stay NaN, as before and as in float64.
	for _, op := range []ir.Op{ir.OpSoftmax, ir.OpLogSoftmax} {
		got := make([]float32, 3)
		lastAxisT(op, []int{0}, 3, 1, []float32{-inf, -inf, -inf}, got)
		for _, g := range got {
			if g == g {
				t.Errorf("%s of an all -Inf row = %v, want NaN", op, got)
			}
		}
	}
}
