package runtime

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// Gathers of many rows (a scrub's 10,000 positions), on every axis, in
// both float dtypes, match the reference kernel, with one worker and
// several; a gather of a transposed (non-contiguous) value too.
func TestGatherManyRows(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		for ax := range 3 {
			for _, transposed := range []bool{false, true} {
				shape := []int{40, 3, 5}
				rng := rand.New(rand.NewPCG(uint64(ax), 1))
				b := ir.NewBuilder()
				x, err := b.Input("x", ir.Type{DType: dt, Shape: shape})
				if err != nil {
					t.Fatal(err)
				}
				d := shape[ax]
				if transposed {
					if x, err = b.Add(ir.OpPermute, ir.Attrs{"perm": []int{2, 1, 0}}, x); err != nil {
						t.Fatal(err)
					}
					d = shape[2-ax]
				}
				idx := make([]int64, 10000)
				for i := range idx {
					idx[i] = int64(rng.IntN(d))
				}
				idx[0] = -1 // counts from the end
				it, _ := tensor.FromInt64([]int{len(idx)}, idx)
				c, err := b.Const(it)
				if err != nil {
					t.Fatal(err)
				}
				g, err := b.Add(ir.OpGather, ir.Attrs{"axis": ax}, x, c)
				if err != nil {
					t.Fatal(err)
				}
				if err := b.Output("g", g); err != nil {
					t.Fatal(err)
				}
				p := b.Build()
				in := randInputs(p, 3)
				for _, f := range []Fast{{Workers: 1}, {Workers: 4}} {
					t.Run(fmt.Sprintf("%v/axis%d/transposed=%v/workers=%d", dt, ax, transposed, f.Workers), func(t *testing.T) {
						compareRuns(t, p, in, dt, f)
					})
				}
			}
		}
	}
}
