package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	goruntime "runtime"
	"testing"

	"github.com/circopt/circopt/internal/vec32"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// TestSoftmaxShortRowsBits: the fast executor's float32 softmax and
// log_softmax over short last axes (the block path, vec32.SoftmaxRows)
// equal softmaxRow32, the per-row path, bit for bit (NaN as NaN), on
// [a,b,c,d] shapes with rows of 1 to 257 (257: past vec32.RowsMaxD), contiguous and through a permute
// (rows contiguous but not consecutive), on rows holding NaN, ±Inf, ±0,
// huge and tiny values and fully masked rows, on 1 and 4 goroutines.
func TestSoftmaxShortRowsBits(t *testing.T) {
	if !vec32.RowsFast() {
		t.Log("no AVX-512: the block path runs only in vec32's tests here")
	}
	inf := float32(math.Inf(1))
	specials := []float32{float32(math.NaN()), -float32(math.NaN()), inf, -inf, 0, float32(math.Copysign(0, -1)),
		math.MaxFloat32, -math.MaxFloat32, 1e-40, -1e-45, 150, -150, 700}
	rng := rand.New(rand.NewPCG(21, 22))
	shapes := [][]int{{1663, 4, 8, 8}, {7, 8, 42, 42}, {50, 4, 16, 16}, {3, 5, 7, 1}, {2, 3, 4, 64}, {9, 2, 5, 3}, {300, 2, 3, 33}, {3, 2, 5, 128}, {2, 3, 5, 129}, {2, 3, 5, 256}, {2, 3, 3, 257}}
	for _, perm := range []bool{false, true} {
		for _, shape := range shapes {
			n := shape[0] * shape[1] * shape[2] * shape[3]
			d := shape[3]
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64() * []float64{1e-3, 1, 30}[rng.IntN(3)])
				if rng.IntN(40) == 0 {
					x[i] = specials[rng.IntN(len(specials))]
				}
			}
			for r := 0; r < n/d; r += 17 { // fully masked rows
				for i := range d {
					x[r*d+i] = -inf
				}
			}
			in, err := tensor.FromFloat32(shape, x)
			if err != nil {
				t.Fatal(err)
			}
			// rows in the output's order: x itself, or x with its first
			// two axes swapped
			rows := x
			oshape := shape
			if perm {
				oshape = []int{shape[1], shape[0], shape[2], shape[3]}
				rows = make([]float32, n)
				inner := shape[2] * d
				for i := range shape[0] {
					for j := range shape[1] {
						copy(rows[(j*shape[0]+i)*inner:][:inner], x[(i*shape[1]+j)*inner:][:inner])
					}
				}
			}
			for _, op := range []ir.Op{ir.OpSoftmax, ir.OpLogSoftmax} {
				want := make([]float32, n)
				for r := range n / d {
					softmaxRow32(op, rows, r*d, d, 1, want[r*d:r*d+d])
				}
				src := fmt.Sprintf("%%0 = input \"x\" : f32%v\n%%1 = %s %%0 : f32%v\noutput \"y\" %%1\n", irShape(shape), op, irShape(shape))
				if perm {
					src = fmt.Sprintf("%%0 = input \"x\" : f32%v\n%%1 = permute [1,0,2,3] %%0 : f32%v\n%%2 = %s %%1 : f32%v\noutput \"y\" %%2\n",
						irShape(shape), irShape(oshape), op, irShape(oshape))
				}
				p := program(t, src)
				for _, procs := range []int{1, 4} {
					old := goruntime.GOMAXPROCS(procs)
					out, _, err := (Fast{}).Run(p, map[string]*tensor.Tensor{"x": in}, tensor.Float32)
					goruntime.GOMAXPROCS(old)
					if err != nil {
						t.Fatal(err)
					}
					got := out["y"].Float32s()
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) && (got[i] == got[i] || want[i] == want[i]) {
							r := i / d
							t.Fatalf("%s %v (permuted %v, %d goroutines) row %d %v: [%d] = %g (%#x), per-row path %g (%#x)",
								op, shape, perm, procs, r, rows[r*d:r*d+d], i%d, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
						}
					}
				}
			}
		}
	}
}

// irShape is shape as the IR writes it: [a,b,c,d].
func irShape(shape []int) string {
	s := "["
	for i, n := range shape {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(n)
	}
	return s + "]"
}
