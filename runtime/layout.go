package runtime

import (
	"slices"
	"sort"

	"github.com/circopt/circopt/ir"
)

// Elementwise results follow their operands' layout, as PyTorch's
// elementwise kernels do: when every operand of the result's full size is
// stored densely in one permuted order that keeps the last axis innermost
// (a bias added to a GEMM's result viewed as [batch, head, seq, d] but
// stored as [batch, seq, head, d]), the result is stored in that order too,
// so the operands are read along long runs instead of short rows. Otherwise,
// and whenever a reader needs C order (the value is an output, or a reshape
// reads it), the result is in C order. Each element is computed as in C
// order. A fused region's result takes the layout its values would have
// one by one (regionLayout), so readers see the same layout, and compute the
// same bits, fused or not.

// followLayout is the order (outermost axis first) an elementwise result of
// shape is stored in, nil for C order, given each operand's strides at that
// shape (0 along broadcast axes).
func followLayout(shape []int, operands [][]int) []int {
	var order []int
	for _, st := range operands {
		if !fullSize(shape, st) {
			continue
		}
		o := strideOrder(st, shape)
		if o == nil || !denseOrder(st, shape, o) || !innermostLast(shape, o) {
			return nil
		}
		if order == nil {
			order = o
		} else if !slices.Equal(order, o) {
			return nil
		}
	}
	return order
}

// anyLayout reports the values whose readers take any layout: not outputs,
// not read by a reshape (which would copy a permuted value), directly or
// through views.
func anyLayout(p *ir.Program) map[int]bool {
	ok := map[int]bool{}
	for _, v := range p.Values {
		ok[v.ID] = true
	}
	for _, o := range p.Outputs {
		ok[o.ID] = false
	}
	for i := len(p.Values) - 1; i >= 0; i-- {
		v := p.Values[i]
		view := v.Op == ir.OpPermute || v.Op == ir.OpBroadcast || v.Op == ir.OpSlice || v.Op == ir.OpSelect
		if v.Op == ir.OpReshape || view && !ok[v.ID] {
			for _, o := range v.Operands {
				ok[o] = false
			}
		}
	}
	return ok
}

// elementwise reports the ops whose fast kernels (kAddN, kBinaryOp,
// kUnaryOp) compute each element alone, in any layout.
func elementwise(op ir.Op) bool {
	switch op {
	case ir.OpAdd, ir.OpMul, ir.OpPow, ir.OpScale:
		return true
	}
	return slices.Contains(ir.UnaryOps, op)
}

// elementwiseLayout is followLayout for an unfused elementwise value.
func elementwiseLayout(v *ir.Value, args []*arr) []int {
	shape := v.Shape()
	sts := make([][]int, len(args))
	for i, a := range args {
		if len(a.shape) > len(shape) {
			return nil
		}
		sts[i] = a.broadcastTo(shape).strides
	}
	return followLayout(shape, sts)
}

// regionLayout is the layout the region's root would have computed value
// by value: followLayout over each op's operands, leaves as they are,
// registers as the ops before stored them, multiplying einsums in C order.
func (k *fusedKernel) regionLayout(args []*arr) []int {
	if k.rowOp != "" {
		return nil // a softmax's result is in C order, fused or not
	}
	leaves := make([][]int, len(k.leaves))
	for i, lf := range k.leaves {
		leaves[i] = k.leafStrides(lf, args)
	}
	regs := make([][]int, k.nregs)
	var root []int
	for _, op := range k.ops {
		var lay []int
		if !op.einsum {
			sts := make([][]int, len(op.args))
			for i, a := range op.args {
				if a < len(leaves) {
					sts[i] = leaves[a]
				} else {
					sts[i] = denseStrides(k.shape, regs[a-len(leaves)])
				}
			}
			lay = followLayout(k.shape, sts)
		}
		if op.dst >= 0 {
			regs[op.dst] = lay
		} else {
			root = lay
		}
	}
	return root
}

func fullSize(shape, strides []int) bool {
	for j, d := range shape {
		if d > 1 && strides[j] == 0 {
			return false
		}
	}
	return true
}

// strideOrder is the axes of shape longer than 1 sorted by stride, largest
// first (ties keep their order), then the size-1 axes; nil when the long
// axes are already in C order.
func strideOrder(strides, shape []int) []int {
	var order, ones []int
	for i, d := range shape {
		if d > 1 {
			order = append(order, i)
		} else {
			ones = append(ones, i)
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return strides[order[i]] > strides[order[j]] })
	if slices.IsSorted(order) {
		return nil
	}
	return append(order, ones...)
}

// denseOrder reports whether strides lay shape out with no gaps in order.
func denseOrder(strides, shape, order []int) bool {
	s := 1
	for i := len(order) - 1; i >= 0; i-- {
		ax := order[i]
		if shape[ax] > 1 && strides[ax] != s {
			return false
		}
		s *= shape[ax]
	}
	return true
}

// innermostLast reports whether order's innermost axis longer than 1 is
// shape's last such axis, so row kernels (softmax) keep contiguous rows.
func innermostLast(shape, order []int) bool {
	for i := len(order) - 1; i >= 0; i-- {
		if shape[order[i]] > 1 {
			for j := len(shape) - 1; j >= 0; j-- {
				if shape[j] > 1 {
					return order[i] == j
				}
			}
		}
	}
	return true
}

// denseStrides are the strides of shape stored densely in order (nil: C
// order).
func denseStrides(shape, order []int) []int {
	if order == nil {
		return contiguousStrides(shape)
	}
	strides := make([]int, len(shape))
	s := 1
	for i := len(order) - 1; i >= 0; i-- {
		strides[order[i]] = s
		s *= shape[order[i]]
	}
	return strides
}

// denseIn views out (fresh, C order) with the same shape stored in order.
func denseIn(out *arr, order []int) *arr {
	return out.view(out.shape, denseStrides(out.shape, order), 0)
}

func permuteInts(xs, order []int) []int {
	p := make([]int, len(order))
	for i, o := range order {
		p[i] = xs[o]
	}
	return p
}
