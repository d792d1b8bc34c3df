package passes

import (
	"math"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/ir/interp"
	"github.com/circopt/circopt/tensor"
)

// Folding bounds. Compile-time evaluation runs the reference kernels
// (naive loops, one goroutine, ~3 ns per FLOP), so a fold may cost far more
// than running the value in the runtime's GEMMs; what is over a bound stays
// in the program for the runtime.
const (
	// maxFoldElements bounds a folded result: a folded constant lives in the
	// program (and in every dump's constant table) for good.
	maxFoldElements = 1 << 22
	// maxFoldFLOPs bounds one folded value's work (ir.FLOPsOf: an einsum
	// counts every point of its full label space), about 10 ms of reference
	// kernel time.
	maxFoldFLOPs = 1 << 22
	// maxFoldBudget bounds the work of one constfold run, so many small
	// folds cannot add up to more than ~0.1 s either.
	maxFoldBudget = 1 << 25
)

// foldCost reports the FLOPs of computing op on operands of types in with
// result t, and whether folding it is within the per-value bounds: result
// at most maxFoldElements elements and not much bigger than its inputs
// (inBytes, a broadcast or outer product of small constants stays lazy),
// work at most maxFoldFLOPs.
func foldCost(op ir.Op, attrs ir.Attrs, in []ir.Type, t ir.Type, inBytes int64) (int64, bool) {
	if t.NumElements() > maxFoldElements || t.Bytes() > 2*inBytes+64 {
		return 0, false
	}
	def, ok := ir.Lookup(op)
	if !ok {
		return 0, false
	}
	f := def.FLOPs(attrs, in, t)
	return f, f <= maxFoldFLOPs
}

// constfold computes at compile time the values whose operands are all
// constants (const tensors or scalar fills):
//
//   - when every operand is a fill, elementwise ops, layout and index ops,
//     a few reductions and einsums (product × number of summed terms,
//     unless an output label repeats) give a fill again (one number, any
//     shape), so no tensor is materialised at all;
//   - otherwise the value is computed with interp.EvalValue (exactly the
//     kernel Run would use, in the value's declared dtype) and becomes a
//     const, if that is cheap (foldCost): at most maxFoldFLOPs of work and
//     maxFoldElements of result, not much bigger than its inputs (a
//     broadcast or outer product of small constants stays lazy, as
//     materialising it would cost memory the lazy form does not), and
//     within the run's maxFoldBudget FLOPs. Anything else is left for the
//     runtime, which computes it at GEMM speed.
//
// "late constfold" runs after einsum fusion, so a chain of constant
// matrices is folded pairwise in the contraction order fusion chose
// (cheap) rather than as one naive n-operand einsum (the FLOP bound refuses
// that one in the early run).
//
// last_dim_size depends only on a shape, so it always becomes a fill.
func constfold(p *ir.Program, _ *Context) (*ir.Program, error) {
	tensors := map[int]*tensor.Tensor{} // new id -> value of folded/const values
	budget := int64(maxFoldBudget)
	return rewrite(p, func(r *rewriter, v *ir.Value, ops []int) (int, bool, error) {
		switch v.Op {
		case ir.OpInput, ir.OpScalar:
			return -1, false, nil
		case ir.OpConst:
			id, err := r.b.Copy(v)
			if err == nil {
				tensors[id] = p.Consts[v.Attrs.String("hash")]
			}
			return id, err == nil, err
		case ir.OpGather:
			// Gathering from a fill is a fill whatever the index is.
			if f, ok := fillValue(r.b, ops[0]); ok {
				id, err := r.b.Scalar(f, v.Type)
				return id, err == nil, err
			}
		case ir.OpLastDimSize:
			s := typeOf(r.b, ops[0]).Shape
			id, err := r.b.Scalar(float64(s[len(s)-1]), v.Type)
			return id, err == nil, err
		}
		allFill, allConst := len(ops) > 0, len(ops) > 0
		fills := make([]float64, len(ops))
		for i, o := range ops {
			if f, ok := fillValue(r.b, o); ok {
				fills[i] = f
				continue
			}
			allFill = false
			if _, ok := tensors[o]; !ok {
				// A const the smart constructors folded (an index op of a
				// const) is as constant as one this pass made.
				if t, ok := r.b.ConstTensor(o); ok {
					tensors[o] = t
				} else {
					allConst = false
				}
			}
		}
		if !allConst {
			return -1, false, nil
		}
		if allFill {
			if f, ok, err := foldFills(v, ops, fills, r.b); err != nil || ok {
				if err != nil {
					return -1, false, err
				}
				id, err := r.b.Scalar(f, v.Type)
				return id, err == nil, err
			}
		}
		// General case: evaluate, if the result is not much bigger than
		// what it is computed from.
		var inBytes int64
		args := make([]*tensor.Tensor, len(ops))
		in := make([]ir.Type, len(ops))
		for i, o := range ops {
			ot := typeOf(r.b, o)
			in[i] = ot
			if t, ok := tensors[o]; ok {
				args[i] = t
				inBytes += ot.Bytes()
				continue
			}
			t, err := tensor.Full(ot.DType, ot.Shape, fills[i])
			if err != nil {
				return -1, false, err
			}
			args[i] = t
			inBytes += int64(ot.DType.Size()) // a fill is one number
		}
		flops, cheap := foldCost(v.Op, v.Attrs, in, v.Type, inBytes)
		if !cheap || flops > budget {
			return -1, false, nil
		}
		budget -= flops
		dt := v.Type.DType
		if !dt.IsFloat() {
			dt = tensor.Float64 // int results keep their dtype in EvalValue
		}
		t, err := interp.EvalValue(p, v, args, dt)
		if err != nil {
			return -1, false, err
		}
		t = t.Contiguous()
		id, err := r.b.Const(t)
		if err != nil {
			return -1, false, err
		}
		tensors[id] = t
		return id, true, nil
	})
}

// foldFills computes the fill value of v when all its operands are fills,
// reporting false for ops whose result is not a fill (einsum with an
// embedding, gather, concat of different values, ...).
func foldFills(v *ir.Value, ops []int, fills []float64, b *ir.Builder) (float64, bool, error) {
	def, _ := ir.Lookup(v.Op)
	switch {
	case def != nil && def.Elementwise:
		// Evaluate on rank-0 tensors in float64: the same kernel, one element.
		args := make([]*tensor.Tensor, len(fills))
		for i, f := range fills {
			args[i] = tensor.ScalarOf(tensor.Float64, f)
		}
		one := &ir.Value{ID: v.ID, Op: v.Op, Attrs: v.Attrs, Type: ir.Type{DType: v.Type.DType, Shape: []int{}}}
		t, err := interp.EvalValue(nil, one, args, tensor.Float64)
		if err != nil {
			return 0, false, err
		}
		x, err := t.Item()
		return x, err == nil, err
	}
	switch v.Op {
	case ir.OpReshape, ir.OpPermute, ir.OpBroadcast, ir.OpSlice, ir.OpSelect, ir.OpGather:
		return fills[0], true, nil
	case ir.OpConcat:
		for _, f := range fills {
			if f != fills[0] && !(math.IsNaN(f) && math.IsNaN(fills[0])) {
				return 0, false, nil
			}
		}
		return fills[0], true, nil
	case ir.OpSum:
		n := typeOf(b, ops[0]).NumElements() / max(v.Type.NumElements(), 1)
		if v.Type.NumElements() == 0 {
			return 0, false, nil
		}
		return fills[0] * float64(n), true, nil
	case ir.OpReduceMax, ir.OpReduceMin:
		s := typeOf(b, ops[0]).Shape
		if s[len(s)-1] == 0 {
			return 0, false, nil // the kernel decides what an empty max is
		}
		return fills[0], true, nil
	case ir.OpEinsum:
		return einsumOfFills(v, ops, fills, b)
	case ir.OpSoftmax, ir.OpLogSoftmax:
		s := typeOf(b, ops[0]).Shape
		n := s[len(s)-1]
		if n == 0 || math.IsInf(fills[0], 0) || math.IsNaN(fills[0]) {
			return 0, false, nil
		}
		if v.Op == ir.OpSoftmax {
			return 1 / float64(n), true, nil
		}
		return -math.Log(float64(n)), true, nil
	}
	return 0, false, nil
}

// einsumOfFills folds an einsum whose operands are all fills: every output
// element sums the same product over the summed labels' extents, so the
// result is one fill, product·count. An output label written twice (an
// embedding, "a->aa") puts zeros off the diagonal: not a fill.
func einsumOfFills(v *ir.Value, ops []int, fills []float64, b *ir.Builder) (float64, bool, error) {
	spec, err := ir.ParseEinsum(v.Attrs.String("spec"), len(ops))
	if err != nil {
		return 0, false, err
	}
	out := map[int]bool{}
	for _, l := range spec.Out {
		if out[l] {
			return 0, false, nil
		}
		out[l] = true
	}
	prod := 1.0
	for _, f := range fills {
		prod *= f
	}
	count := 1.0 // terms per output element: product of the summed extents
	seen := map[int]bool{}
	for k, t := range spec.In {
		shape := typeOf(b, ops[k]).Shape
		for j, l := range t {
			if !out[l] && !seen[l] {
				seen[l] = true
				count *= float64(shape[j])
			}
		}
	}
	if count == 0 {
		return 0, true, nil // an empty sum, whatever the fills are
	}
	return prod * count, true, nil
}
