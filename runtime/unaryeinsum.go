package runtime

import (
	"slices"

	"github.com/circopt/circopt/ir"
)

// Unary einsums that summedAxes does not take — ones whose output adds
// labels the input lacks, or reorders the input's — run here instead of
// through the reference kernel (which converts to float64 and back):
// layer norm's statistics are "abc->abd" with d of size 1, broadcasts are
// "ab->abc". Two shapes of them:
//   - a sum (some input labels absent from the output) whose kept labels
//     stay in input order and whose new labels all have size 1: the output
//     holds the sum's elements in the same order, so sumAxes writes them
//     into it directly (the float32 accumulator is its only scratch, as for
//     summedAxes, and schedule.go predicts it);
//   - no sum: the output is the input viewed at the output's labels, stride
//     0 along new labels, copied.
// Anything else (a repeated label, a sum with a permutation or a broadcast)
// still runs the reference kernel.

// unaryEinsumPlan is how one of these einsums runs.
type unaryEinsumPlan struct {
	sum  []int // input axes summed away (empty: a copy)
	kept []int // the output shape without its new labels (sum case)
	perm []int // per output axis, the input axis, or -1 for a new label (copy case)
}

// planUnaryEinsum reports whether v is such an einsum, and how it runs.
func planUnaryEinsum(v *ir.Value) (unaryEinsumPlan, bool) {
	var p unaryEinsumPlan
	if v.Op != ir.OpEinsum || len(v.Operands) != 1 {
		return p, false
	}
	sp, err := ir.ParseEinsum(v.Attrs.String("spec"), 1)
	if err != nil {
		return p, false
	}
	in, out, shape := sp.In[0], sp.Out, v.Shape()
	if len(shape) != len(out) {
		return p, false
	}
	for i, l := range in {
		if slices.Contains(in[i+1:], l) {
			return p, false
		}
		if !slices.Contains(out, l) {
			p.sum = append(p.sum, i)
		}
	}
	last := -1
	for i, l := range out {
		if slices.Contains(out[i+1:], l) {
			return p, false
		}
		j := slices.Index(in, l)
		p.perm = append(p.perm, j)
		if j < 0 {
			if len(p.sum) > 0 && shape[i] != 1 {
				return p, false // a sum broadcast along a new axis
			}
			continue
		}
		if len(p.sum) > 0 && j < last {
			return p, false // a sum with its kept axes reordered
		}
		last = j
		p.kept = append(p.kept, shape[i])
	}
	return p, true
}

// runUnaryEinsum writes v's value (planned by planUnaryEinsum) into out.
func runUnaryEinsum(x *execState, p unaryEinsumPlan, a, out *arr) {
	if len(p.sum) > 0 {
		sumAxes(x, a, p.sum, out.view(p.kept, contiguousStrides(p.kept), out.off))
		return
	}
	strides := make([]int, len(p.perm))
	for i, j := range p.perm {
		if j >= 0 {
			strides[i] = a.strides[j]
		}
	}
	copyInto(out, a.view(out.shape, strides, a.off))
}
