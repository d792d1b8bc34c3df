package lower

import (
	"slices"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
)

// A Rearrange is lowered as evaluate.go applies it: split the input groups
// into one axis per spec id (reshape), order the ids as the output lists
// them (permute), insert size-1 axes for repeated ids (reshape) and expand
// them (broadcast), then merge the output groups (reshape). The plan below
// drops identity steps, treats a permute that only moves size-1 axes as a
// reshape, and merges adjacent reshapes, so common specs lower to one op
// or none.

// viewStep is one planned op: a reshape or broadcast to shape, or a permute.
type viewStep struct {
	op    ir.Op
	shape []int // result shape
	perm  []int // permute only
}

// viewPlan accumulates steps from the shape start; cur is the shape after
// the last step.
type viewPlan struct {
	start []int
	cur   []int
	steps []viewStep
}

func (p *viewPlan) reshape(to []int) {
	if slices.Equal(p.cur, to) {
		return
	}
	if n := len(p.steps); n > 0 && p.steps[n-1].op == ir.OpReshape {
		// reshape∘reshape is one reshape; it may even become the identity
		p.steps = p.steps[:n-1]
		p.cur = p.before()
		if slices.Equal(p.cur, to) {
			return
		}
	}
	p.steps = append(p.steps, viewStep{op: ir.OpReshape, shape: slices.Clone(to)})
	p.cur = slices.Clone(to)
}

// before is the shape after the last remaining step (start when none is left).
func (p *viewPlan) before() []int {
	if n := len(p.steps); n > 0 {
		return p.steps[n-1].shape
	}
	return p.start
}

func (p *viewPlan) permute(perm []int) {
	out := make([]int, len(perm))
	for i, a := range perm {
		out[i] = p.cur[a]
	}
	if movesOnlyUnitAxes(p.cur, perm) {
		p.reshape(out)
		return
	}
	p.steps = append(p.steps, viewStep{op: ir.OpPermute, shape: out, perm: slices.Clone(perm)})
	p.cur = out
}

func (p *viewPlan) broadcast(to []int) {
	if slices.Equal(p.cur, to) {
		return
	}
	p.steps = append(p.steps, viewStep{op: ir.OpBroadcast, shape: slices.Clone(to)})
	p.cur = slices.Clone(to)
}

// movesOnlyUnitAxes reports whether perm keeps the axes of size other than
// 1 in their order, so that the permute moves no data and equals a reshape.
// The identity permutation is the common case.
func movesOnlyUnitAxes(shape, perm []int) bool {
	last := -1
	for _, a := range perm {
		if shape[a] == 1 {
			continue
		}
		if a < last {
			return false
		}
		last = a
	}
	return true
}

// planRearrange computes the steps for r on an input of shape in.
func planRearrange(r *circuit.Rearrange, in []int) []viewStep {
	sizes := r.AxisSizes()
	sp := r.Spec
	pos := map[int]int{}
	var split []int
	for _, g := range sp.In {
		for _, id := range g {
			pos[id] = len(split)
			split = append(split, sizes[id])
		}
	}
	var perm, unit, full []int
	repeats := false
	for _, g := range sp.Out {
		for _, id := range g {
			full = append(full, sizes[id])
			if p, ok := pos[id]; ok {
				perm = append(perm, p)
				unit = append(unit, sizes[id])
			} else {
				repeats = true
				unit = append(unit, 1)
			}
		}
	}
	p := &viewPlan{start: slices.Clone(in), cur: slices.Clone(in)}
	p.reshape(split)
	p.permute(perm)
	if repeats {
		p.reshape(unit)
		p.broadcast(full)
	}
	p.reshape(r.Shape())
	return p.steps
}

// rearrange emits r's steps on the value x.
func (l *lowerer) rearrange(r *circuit.Rearrange, x int) (int, error) {
	in := r.Children()[0].Shape()
	for _, s := range planRearrange(r, in) {
		var err error
		switch s.op {
		case ir.OpPermute:
			x, err = l.b.Add(ir.OpPermute, ir.Attrs{"perm": s.perm}, x)
		default:
			x, err = l.b.AddTyped(s.op, nil, l.typ(s.shape), x)
		}
		if err != nil {
			return -1, err
		}
	}
	return x, nil
}
