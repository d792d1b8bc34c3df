package lower

import (
	"slices"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// genIndex lowers a gen_index GeneralFunction to the IR's gather. The IR
// gathers by an i64 value and has no float-to-int conversion, so the index
// must be known when lowering (an Array or a Scalar, as a bound model's
// token ids are); its values become the gather's i64 const, checked and
// made non-negative here. With batch_x and batch_index, x's batch axes and
// the indexed axis merge into one axis that a single gather reads at
// b·n + index[b].
func (l *lowerer) genIndex(g *circuit.GeneralFunction, s circuit.GenIndexSpec) (int, error) {
	xc, ic := g.Children()[0], g.Children()[1]
	var vals []float64
	switch n := ic.(type) {
	case *circuit.Array:
		t, err := n.Tensor()
		if err != nil {
			return -1, errorf(g, "%w", err)
		}
		vals = t.Float64s()
	case *circuit.Scalar:
		vals = make([]float64, product(n.Shape()))
		for i := range vals {
			vals[i] = n.Value
		}
	default:
		return -1, errorf(g, "%w: %s by %s, an index computed at run time (the IR gathers only by known positions; bind the index to an Array)", ErrUnsupported, g.Spec, circuit.Label(ic))
	}
	xs, is := xc.Shape(), ic.Shape()
	// the dim and batch prefix are those circuit.GenIndexSpec.Shape checked
	out := g.Shape()
	d, prefix, err := s.Layout(xs, is)
	if err != nil {
		return -1, errorf(g, "%w", err)
	}
	pos, err := s.Positions(vals, is, xs[d])
	if err != nil {
		return -1, errorf(g, "index %s: %w", circuit.Label(ic), err)
	}
	x, err := l.lower(xc)
	if err != nil {
		return -1, err
	}
	id, err := l.genIndexOps(x, xs, d, prefix, s.BatchIndex, pos, out)
	if err != nil {
		return -1, errorf(g, "%w", err)
	}
	return id, nil
}

func (l *lowerer) genIndexOps(x int, xs []int, d, prefix int, batchIndex bool, pos []int64, out []int) (int, error) {
	b := l.b
	var err error
	if prefix > 0 {
		nb, n := product(xs[:prefix]), xs[d]
		// [batch..., suffix...] -> [nb, n, others...] -> [nb·n, others...]
		suffix := xs[prefix:]
		perm := []int{0, 1 + d - prefix}
		others := []int{}
		for ax := range suffix {
			if ax != d-prefix {
				perm = append(perm, 1+ax)
				others = append(others, suffix[ax])
			}
		}
		if x, err = l.reshape(x, append([]int{nb}, suffix...)); err != nil {
			return -1, err
		}
		if !isIdentity(perm) {
			if x, err = b.Add(ir.OpPermute, ir.Attrs{"perm": perm}, x); err != nil {
				return -1, err
			}
		}
		if x, err = l.reshape(x, append([]int{nb * n}, others...)); err != nil {
			return -1, err
		}
		flat := make([]int64, len(pos))
		for i, p := range pos {
			flat[i] = int64(i*n) + p
		}
		if x, err = l.gather(x, 0, flat); err != nil {
			return -1, err
		}
		return l.reshape(x, out)
	}
	if x, err = l.gather(x, d, pos); err != nil {
		return -1, err
	}
	if batchIndex && d > 0 {
		perm := []int{d}
		for ax := range xs {
			if ax != d {
				perm = append(perm, ax)
			}
		}
		if x, err = b.Add(ir.OpPermute, ir.Attrs{"perm": perm}, x); err != nil {
			return -1, err
		}
	}
	return l.reshape(x, out)
}

// gather takes positions pos along axis.
func (l *lowerer) gather(x, axis int, pos []int64) (int, error) {
	t, err := tensor.FromInt64([]int{len(pos)}, pos)
	if err != nil {
		return -1, err
	}
	c, err := l.b.Const(t)
	if err != nil {
		return -1, err
	}
	return l.b.Add(ir.OpGather, ir.Attrs{"axis": axis}, x, c)
}

// reshape reshapes x to shape unless it already has it.
func (l *lowerer) reshape(x int, shape []int) (int, error) {
	if t, ok := l.b.TypeOf(x); ok && slices.Equal(t.Shape, shape) {
		return x, nil
	}
	return l.b.AddTyped(ir.OpReshape, nil, l.typ(shape), x)
}

func product(s []int) int {
	p := 1
	for _, d := range s {
		p *= d
	}
	return p
}

func isIdentity(perm []int) bool {
	for i, p := range perm {
		if i != p {
			return false
		}
	}
	return true
}
