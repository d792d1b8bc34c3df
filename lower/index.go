package lower

import (
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
)

// index lowers an orthogonal index: first one slice covering every slice
// axis (other axes kept whole), then a gather per tensor axis, then a select
// per int axis from the last axis backwards. Slices and gathers keep the
// rank, so axis numbers stay those of the input until the selects, and
// selecting from the back keeps the earlier axis numbers valid.
func (l *lowerer) index(n *circuit.Index, x int) (int, error) {
	in := n.Children()[0].Shape()
	idx := n.Idx
	starts := make([]int, len(in))
	stops := make([]int, len(in))
	sliced := false
	for ax, a := range idx {
		starts[ax], stops[ax] = 0, in[ax]
		if a.Kind != circuit.IndexSlice {
			continue
		}
		pos, err := a.Resolve(in[ax])
		if err != nil {
			return -1, err
		}
		lo := 0
		if len(pos) > 0 {
			lo = pos[0]
		} else {
			// an empty slice: any in-range start gives the same empty result
			lo = min(sliceStart(a, in[ax]), in[ax])
		}
		starts[ax], stops[ax] = lo, lo+len(pos)
		if starts[ax] != 0 || stops[ax] != in[ax] {
			sliced = true
		}
	}
	var err error
	if sliced {
		if x, err = l.b.Add(ir.OpSlice, ir.Attrs{"starts": starts, "stops": stops}, x); err != nil {
			return -1, err
		}
	}
	for ax, a := range idx {
		if a.Kind != circuit.IndexTensor {
			continue
		}
		pos, err := a.Resolve(in[ax])
		if err != nil {
			return -1, err
		}
		if isRange(pos, in[ax]) {
			continue
		}
		data := make([]int64, len(pos))
		for i, p := range pos {
			data[i] = int64(p)
		}
		if x, err = l.gather(x, ax, data); err != nil {
			return -1, err
		}
	}
	for ax := len(idx) - 1; ax >= 0; ax-- {
		a := idx[ax]
		if a.Kind != circuit.IndexInt {
			continue
		}
		pos, err := a.Resolve(in[ax])
		if err != nil {
			return -1, err
		}
		if x, err = l.b.Add(ir.OpSelect, ir.Attrs{"axis": ax, "index": pos[0]}, x); err != nil {
			return -1, err
		}
	}
	return x, nil
}

// sliceStart is a slice's start clamped to [0, d] (Python's rules).
func sliceStart(a circuit.AxisIndex, d int) int {
	if a.Start == nil {
		return 0
	}
	v := *a.Start
	if v < 0 {
		v += d
	}
	return min(max(v, 0), d)
}

// isRange reports whether pos is 0, 1, ..., d-1: a gather that changes nothing.
func isRange(pos []int, d int) bool {
	if len(pos) != d {
		return false
	}
	for i, p := range pos {
		if p != i {
			return false
		}
	}
	return true
}
