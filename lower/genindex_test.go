package lower

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// Every gen_index form lowers to gathers whose run equals the naive
// evaluator (which circuit's tests hold to an element-by-element oracle),
// and raises back.
func TestLowerGenIndex(t *testing.T) {
	type tc struct {
		spec   circuit.GenIndexSpec
		x, idx []int
	}
	var cases []tc
	for _, d := range []int{0, 1, -2, -1} {
		cases = append(cases,
			tc{circuit.GenIndexSpec{IndexDim: d, BatchX: true, BatchIndex: true, CheckInts: true}, []int{2, 3, 4, 5}, []int{2, 3}},
			tc{circuit.GenIndexSpec{IndexDim: d, BatchIndex: true}, []int{4, 6}, []int{2, 3}},
			tc{circuit.GenIndexSpec{IndexDim: d}, []int{4, 6}, []int{3, 2}},
		)
	}
	cases = append(cases, tc{circuit.GenIndexSpec{IndexDim: 1, BatchIndex: true}, []int{3, 4, 2}, []int{5}})
	for i, c := range cases {
		t.Run(fmt.Sprint(c.spec.Name(), c.x), func(t *testing.T) {
			x := randArr(t, "x", uint64(i+1), c.x...)
			size, n := 1, 0
			for _, d := range c.idx {
				size *= d
			}
			if _, err := c.spec.Shape(c.x, c.idx); err != nil {
				t.Fatal(err)
			}
			// the indexed axis: positions drawn below its size, some negative
			switch {
			case c.spec.BatchX && c.spec.BatchIndex:
				n = c.x[len(c.idx)+(c.spec.IndexDim+len(c.x)-len(c.idx))%(len(c.x)-len(c.idx))]
			default:
				n = c.x[(c.spec.IndexDim+len(c.x))%len(c.x)]
			}
			ids := make([]int64, size)
			for j := range ids {
				ids[j] = int64((j*7+i)%(2*n)) - int64(n)
			}
			it := try(tensor.FromInt64(c.idx, ids)).of(t)
			ia := try(circuit.NewArray(it, "ids")).of(t)
			g := try(circuit.NewGenIndex("g", c.spec, x, ia)).of(t)
			sum := try(circuit.NewAdd("out", g, g)).of(t) // shared, so the gather is lowered once
			roundTrip(t, []circuit.Circuit{sum}, nil)
		})
	}
}

// An index known only at run time has no lowering: a clear error naming
// the node, never a wrong number.
func TestLowerGenIndexComputedIndex(t *testing.T) {
	x := randArr(t, "x", 1, 4, 3)
	ids := sym(t, "ids", 2)
	g := try(circuit.NewGenIndex("emb", circuit.GenIndexSpec{IndexDim: 0, BatchIndex: true, CheckInts: true}, x, ids)).of(t)
	_, err := Lower([]circuit.Circuit{g}, Options{DType: tensor.Float64})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "emb") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %v", err)
	}
}
