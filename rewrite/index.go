package rewrite

import (
	"github.com/circopt/circopt/circuit"
)

// IndexElimIdentity replaces an Index that keeps every axis whole by its input.
func IndexElimIdentity(c circuit.Circuit) (circuit.Circuit, bool, error) {
	x, isIdx := c.(*circuit.Index)
	if !isIdx {
		return nil, false, nil
	}
	in := x.Children()[0].Shape()
	for i, a := range x.Idx {
		if !a.IsIdentity(in[i]) {
			return nil, false, nil
		}
	}
	return x.Children()[0], true, nil
}

// IndexMergeScalar replaces an Index of a Scalar by a Scalar of the index's shape.
func IndexMergeScalar(c circuit.Circuit) (circuit.Circuit, bool, error) {
	x, isIdx := c.(*circuit.Index)
	if !isIdx {
		return nil, false, nil
	}
	s, isScalar := x.Children()[0].(*circuit.Scalar)
	if !isScalar {
		return nil, false, nil
	}
	r, err := ok(circuit.NewScalar(s.Value, x.Shape(), resultName(x)))
	return r, err == nil, err
}

// positionsIndex is the axis index that takes exactly pos from an axis:
// a slice when pos is a contiguous run, else a tensor index.
func positionsIndex(pos []int, d int) circuit.AxisIndex {
	run := true
	for i := 1; i < len(pos); i++ {
		run = run && pos[i] == pos[i-1]+1
	}
	switch {
	case len(pos) == d && run && (d == 0 || pos[0] == 0):
		return circuit.All()
	case run && len(pos) > 0:
		return circuit.Slice(pos[0], pos[len(pos)-1]+1)
	case len(pos) == 0:
		return circuit.Slice(0, 0)
	}
	p := make([]int64, len(pos))
	for i, v := range pos {
		p[i] = int64(v)
	}
	return circuit.Positions(p...)
}

// composeIndex returns the single index on an input of shape in equal to
// applying inner and then outer.
func composeIndex(in []int, inner, outer []circuit.AxisIndex) ([]circuit.AxisIndex, error) {
	out := make([]circuit.AxisIndex, len(in))
	j := 0 // axis of the inner result
	for i, a := range inner {
		pos, err := a.Resolve(in[i])
		if err != nil {
			return nil, err
		}
		if a.Kind == circuit.IndexInt {
			out[i] = circuit.Int(pos[0])
			continue
		}
		o := circuit.All()
		if j < len(outer) {
			o = outer[j]
		}
		j++
		sel, err := o.Resolve(len(pos))
		if err != nil {
			return nil, err
		}
		if o.Kind == circuit.IndexInt {
			out[i] = circuit.Int(pos[sel[0]])
			continue
		}
		picked := make([]int, len(sel))
		for k, s := range sel {
			picked[k] = pos[s]
		}
		if o.Kind == circuit.IndexTensor || a.Kind == circuit.IndexTensor {
			p := make([]int64, len(picked))
			for k, v := range picked {
				p[k] = int64(v)
			}
			out[i] = circuit.Positions(p...)
			continue
		}
		out[i] = positionsIndex(picked, in[i])
	}
	return out, nil
}

// IndexFuse replaces an Index of an Index by one Index.
func IndexFuse(c circuit.Circuit) (circuit.Circuit, bool, error) {
	outer, isIdx := c.(*circuit.Index)
	if !isIdx {
		return nil, false, nil
	}
	inner, isIdx := outer.Children()[0].(*circuit.Index)
	if !isIdx {
		return nil, false, nil
	}
	x := inner.Children()[0]
	idx, err := composeIndex(x.Shape(), inner.Idx, outer.Idx)
	if err != nil {
		return nil, false, err
	}
	r, err := ok(circuit.NewIndex(resultName(outer), idx, x))
	return r, err == nil, err
}
