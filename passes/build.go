package passes

import (
	"slices"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/ir/interp"
	"github.com/circopt/circopt/tensor"
)

// Smart constructors: each builds a value in b and returns an already
// simplified form. Every pass that creates index or layout ops goes through
// them, so all passes agree on one normal form (identities removed, chains
// fused, fills reshaped instead of computed) and a second pipeline run finds
// nothing left to do.

// fillValue reports whether id is a scalar fill in b, and its value.
func fillValue(b *ir.Builder, id int) (float64, bool) {
	v := b.Value(id)
	if v == nil || v.Op != ir.OpScalar {
		return 0, false
	}
	return v.Attrs.Float("value"), true
}

func typeOf(b *ir.Builder, id int) ir.Type {
	t, _ := b.TypeOf(id)
	return t
}

func withShape(t ir.Type, shape []int) ir.Type {
	return ir.Type{DType: t.DType, Shape: slices.Clone(shape)}
}

// mkSlice is x[starts:stops] on every axis.
func mkSlice(b *ir.Builder, x int, starts, stops []int) (int, error) {
	xv := b.Value(x)
	shape := make([]int, len(starts))
	identity := true
	for i := range starts {
		shape[i] = stops[i] - starts[i]
		if starts[i] != 0 || stops[i] != xv.Type.Shape[i] {
			identity = false
		}
	}
	if identity {
		return x, nil
	}
	if f, ok := fillValue(b, x); ok {
		return b.Scalar(f, withShape(xv.Type, shape))
	}
	if c, ok, err := foldConst(b, ir.OpSlice, ir.Attrs{"starts": slices.Clone(starts), "stops": slices.Clone(stops)}, withShape(xv.Type, shape), x); ok || err != nil {
		return c, err
	}
	if g, ok := sliceOfGather(b, xv, starts, stops); ok {
		return g, nil
	}
	switch xv.Op {
	case ir.OpSlice: // slice of a slice: offsets add
		s0 := xv.Attrs.Ints("starts")
		ns, ne := make([]int, len(starts)), make([]int, len(starts))
		for i := range starts {
			ns[i], ne[i] = s0[i]+starts[i], s0[i]+stops[i]
		}
		return mkSlice(b, xv.Operands[0], ns, ne)
	case ir.OpConcat: // a range inside one piece is a slice of that piece
		ax := xv.Attrs.Int("axis")
		off := 0
		for _, piece := range xv.Operands {
			n := typeOf(b, piece).Shape[ax]
			if starts[ax] >= off && stops[ax] <= off+n && (n > 0 || len(xv.Operands) == 1) {
				ns, ne := slices.Clone(starts), slices.Clone(stops)
				ns[ax], ne[ax] = starts[ax]-off, stops[ax]-off
				return mkSlice(b, piece, ns, ne)
			}
			off += n
		}
	}
	return b.Add(ir.OpSlice, ir.Attrs{"starts": slices.Clone(starts), "stops": slices.Clone(stops)}, x)
}

// constIndex returns the positions of a const i64 index value.
func constIndex(b *ir.Builder, id int) ([]int64, bool) {
	t, ok := b.ConstTensor(id)
	if !ok || t.DType() != tensor.Int64 || t.Rank() != 1 {
		return nil, false
	}
	return t.Int64s(), true
}

// gatherConst gathers x along axis at positions through a new const index.
func gatherConst(b *ir.Builder, x, axis int, pos []int64) (int, error) {
	t, err := tensor.FromInt64([]int{len(pos)}, pos)
	if err != nil {
		return -1, err
	}
	idx, err := b.Const(t)
	if err != nil {
		return -1, err
	}
	return mkGather(b, x, axis, idx)
}

// sliceOfGather turns a slice that only narrows a const gather's axis into
// a gather of the sliced positions: one op instead of two, and the gather
// reads only the rows it keeps.
func sliceOfGather(b *ir.Builder, xv *ir.Value, starts, stops []int) (int, bool) {
	if xv.Op != ir.OpGather {
		return -1, false
	}
	axis := xv.Attrs.Int("axis")
	for i := range starts {
		if i != axis && (starts[i] != 0 || stops[i] != xv.Type.Shape[i]) {
			return -1, false
		}
	}
	pos, ok := constIndex(b, xv.Operands[1])
	if !ok {
		return -1, false
	}
	id, err := gatherConst(b, xv.Operands[0], axis, pos[starts[axis]:stops[axis]])
	return id, err == nil
}

// mkGather is x gathered along axis at the positions of idx. A gather of a
// const gather on the same axis composes the positions (y[p][q] = y[p[q]]),
// so a resampled value indexed again reads its source once.
func mkGather(b *ir.Builder, x, axis, idx int) (int, error) {
	xv := b.Value(x)
	if n := typeOf(b, idx).Shape; len(n) == 1 {
		shape := slices.Clone(xv.Type.Shape)
		shape[axis] = n[0]
		if c, ok, err := foldConst(b, ir.OpGather, ir.Attrs{"axis": axis}, withShape(xv.Type, shape), x, idx); ok || err != nil {
			return c, err
		}
	}
	if q, ok := constIndex(b, idx); ok && xv.Op == ir.OpGather && xv.Attrs.Int("axis") == axis {
		if p, ok := constIndex(b, xv.Operands[1]); ok {
			n := int64(len(p))
			comp := make([]int64, len(q))
			for i, j := range q {
				if j < 0 {
					j += n
				}
				if j < 0 || j >= n {
					return b.Add(ir.OpGather, ir.Attrs{"axis": axis}, x, idx)
				}
				comp[i] = p[j]
			}
			return gatherConst(b, xv.Operands[0], axis, comp)
		}
	}
	if q, ok := constIndex(b, idx); ok && xv.Op == ir.OpSlice {
		// A const gather of a slice on the sliced axis reads the source at
		// shifted positions; the other axes stay sliced.
		s0, e0 := xv.Attrs.Ints("starts"), xv.Attrs.Ints("stops")
		if shifted, ok := shiftPositions(q, s0[axis], e0[axis]-s0[axis]); ok && (s0[axis] != 0 || e0[axis] != typeOf(b, xv.Operands[0]).Shape[axis]) {
			g, err := gatherConst(b, xv.Operands[0], axis, shifted)
			if err != nil {
				return -1, err
			}
			ns, ne := slices.Clone(s0), slices.Clone(e0)
			ns[axis], ne[axis] = 0, len(q)
			return mkSlice(b, g, ns, ne)
		}
	}
	return b.Add(ir.OpGather, ir.Attrs{"axis": axis}, x, idx)
}

// shiftPositions maps gather positions into an axis of n elements (negative
// counting from the end) to positions off further along; false if one is
// out of range (the runtime reports that).
func shiftPositions(q []int64, off, n int) ([]int64, bool) {
	out := make([]int64, len(q))
	for i, j := range q {
		if j < 0 {
			j += int64(n)
		}
		if j < 0 || j >= int64(n) {
			return nil, false
		}
		out[i] = j + int64(off)
	}
	return out, true
}

// foldConst evaluates op (result type t) on const operands at build time,
// under constfold's per-value bounds (foldCost). Index ops and contractions created after
// constfold has run (late push-down moves a gather into a product with a
// constant; fusion sums a constant operand over a private label first) then
// never leave work on constants that only a second pipeline run would
// fold. ok=false: some operand is not a const, or the result would be too
// big to materialise.
func foldConst(b *ir.Builder, op ir.Op, attrs ir.Attrs, t ir.Type, ops ...int) (int, bool, error) {
	args := make([]*tensor.Tensor, len(ops))
	in := make([]ir.Type, len(ops))
	var inBytes int64
	for i, o := range ops {
		ct, ok := b.ConstTensor(o)
		if !ok {
			return -1, false, nil
		}
		args[i] = ct
		in[i] = typeOf(b, o)
		inBytes += in[i].Bytes()
	}
	if _, cheap := foldCost(op, attrs, in, t, inBytes); len(ops) == 0 || !cheap {
		return -1, false, nil
	}
	dt := t.DType
	if !dt.IsFloat() {
		dt = tensor.Float64 // int results keep their dtype in EvalValue
	}
	res, err := interp.EvalValue(nil, &ir.Value{Op: op, Attrs: attrs, Type: t}, args, dt)
	if err != nil {
		return -1, false, nil // e.g. an index out of range: the runtime reports it
	}
	id, err := b.Const(res.Contiguous())
	return id, err == nil, err
}

// mkEinsum is einsum spec of ops (type inferred), folded when every
// operand is a const.
func mkEinsum(b *ir.Builder, spec string, ops ...int) (int, error) {
	id, err := b.Add(ir.OpEinsum, ir.Attrs{"spec": spec}, ops...)
	if err != nil {
		return -1, err
	}
	v := b.Value(id)
	if c, ok, err := foldConst(b, v.Op, v.Attrs, v.Type, ops...); ok || err != nil {
		return c, err // the einsum just added is dead: rewrite prunes it
	}
	return id, nil
}

// mkSelect is x with axis fixed at index (the axis dropped).
func mkSelect(b *ir.Builder, x, axis, index int) (int, error) {
	xv := b.Value(x)
	if f, ok := fillValue(b, x); ok {
		shape := slices.Delete(slices.Clone(xv.Type.Shape), axis, axis+1)
		return b.Scalar(f, withShape(xv.Type, shape))
	}
	shape := slices.Delete(slices.Clone(xv.Type.Shape), axis, axis+1)
	if c, ok, err := foldConst(b, ir.OpSelect, ir.Attrs{"axis": axis, "index": index}, withShape(xv.Type, shape), x); ok || err != nil {
		return c, err
	}
	switch xv.Op {
	case ir.OpSlice: // select inside a slice: select the source, then slice the rest
		s0, e0 := xv.Attrs.Ints("starts"), xv.Attrs.Ints("stops")
		sel, err := mkSelect(b, xv.Operands[0], axis, s0[axis]+index)
		if err != nil {
			return -1, err
		}
		return mkSlice(b, sel, slices.Delete(slices.Clone(s0), axis, axis+1), slices.Delete(slices.Clone(e0), axis, axis+1))
	case ir.OpReshape:
		// Selecting the only index of a size-1 axis just drops the axis,
		// which is a reshape: composed with this one, it may give the
		// source back (a reshape that only added the axis), which frees
		// push-down to move index ops below whatever computed it.
		if xv.Type.Shape[axis] == 1 {
			return mkReshape(b, xv.Operands[0], slices.Delete(slices.Clone(xv.Type.Shape), axis, axis+1))
		}
	case ir.OpBroadcast:
		// Selecting along an axis the broadcast added gives the source
		// back, broadcast to the remaining axes.
		if lead := len(xv.Type.Shape) - len(typeOf(b, xv.Operands[0]).Shape); axis < lead {
			return mkBroadcast(b, xv.Operands[0], slices.Delete(slices.Clone(xv.Type.Shape), axis, axis+1))
		}
	case ir.OpConcat:
		ax := xv.Attrs.Int("axis")
		if ax != axis {
			break
		}
		off := 0
		for _, piece := range xv.Operands {
			n := typeOf(b, piece).Shape[ax]
			if index >= off && index < off+n {
				return mkSelect(b, piece, axis, index-off)
			}
			off += n
		}
	case ir.OpGather:
		// Selecting one row of a const gather on its axis selects the
		// source row it took; selecting on another axis commutes with the
		// gather, which then moves less.
		p, ok := constIndex(b, xv.Operands[1])
		if !ok {
			break
		}
		src, ga := xv.Operands[0], xv.Attrs.Int("axis")
		if ga != axis {
			sel, err := mkSelect(b, src, axis, index)
			if err != nil {
				return -1, err
			}
			if axis < ga {
				ga--
			}
			return mkGather(b, sel, ga, xv.Operands[1])
		}
		if pos, ok := shiftPositions(p[index:index+1], 0, typeOf(b, src).Shape[axis]); ok {
			return mkSelect(b, src, axis, int(pos[0]))
		}
	}
	return b.Add(ir.OpSelect, ir.Attrs{"axis": axis, "index": index}, x)
}

// mkPermute is x with result axis i taken from x's axis perm[i].
func mkPermute(b *ir.Builder, x int, perm []int) (int, error) {
	xv := b.Value(x)
	identity := true
	shape := make([]int, len(perm))
	for i, p := range perm {
		shape[i] = xv.Type.Shape[p]
		if p != i {
			identity = false
		}
	}
	if identity {
		return x, nil
	}
	if f, ok := fillValue(b, x); ok {
		return b.Scalar(f, withShape(xv.Type, shape))
	}
	if xv.Op == ir.OpPermute { // result axis i = inner axis perm[i] = source axis q[perm[i]]
		q := xv.Attrs.Ints("perm")
		c := make([]int, len(perm))
		for i, p := range perm {
			c[i] = q[p]
		}
		return mkPermute(b, xv.Operands[0], c)
	}
	return b.Add(ir.OpPermute, ir.Attrs{"perm": slices.Clone(perm)}, x)
}

// mkReshape is x reshaped to shape (same element count).
func mkReshape(b *ir.Builder, x int, shape []int) (int, error) {
	xv := b.Value(x)
	if slices.Equal(xv.Type.Shape, shape) {
		return x, nil
	}
	if f, ok := fillValue(b, x); ok {
		return b.Scalar(f, withShape(xv.Type, shape))
	}
	if xv.Op == ir.OpReshape {
		return mkReshape(b, xv.Operands[0], shape)
	}
	return b.AddTyped(ir.OpReshape, nil, withShape(xv.Type, shape), x)
}

// mkBroadcast is x broadcast (numpy rules) to shape.
func mkBroadcast(b *ir.Builder, x int, shape []int) (int, error) {
	xv := b.Value(x)
	if slices.Equal(xv.Type.Shape, shape) {
		return x, nil
	}
	if f, ok := fillValue(b, x); ok {
		return b.Scalar(f, withShape(xv.Type, shape))
	}
	if xv.Op == ir.OpBroadcast { // broadcasting composes
		return mkBroadcast(b, xv.Operands[0], shape)
	}
	return b.AddTyped(ir.OpBroadcast, nil, withShape(xv.Type, shape), x)
}

// mkScale is x·factor.
func mkScale(b *ir.Builder, x int, factor float64) (int, error) {
	if factor == 1 {
		return x, nil
	}
	xv := b.Value(x)
	if f, ok := fillValue(b, x); ok {
		return b.Scalar(f*factor, xv.Type)
	}
	if xv.Op == ir.OpScale {
		return mkScale(b, xv.Operands[0], xv.Attrs.Float("factor")*factor)
	}
	return b.Add(ir.OpScale, ir.Attrs{"factor": factor}, x)
}

// normalize re-makes v on new operands ops through the smart constructors
// when it is a layout, index or scale op, and copies it otherwise.
func normalize(b *ir.Builder, v *ir.Value, ops []int) (int, error) {
	switch v.Op {
	case ir.OpPermute:
		return mkPermute(b, ops[0], v.Attrs.Ints("perm"))
	case ir.OpReshape:
		return mkReshape(b, ops[0], v.Type.Shape)
	case ir.OpBroadcast:
		return mkBroadcast(b, ops[0], v.Type.Shape)
	case ir.OpSlice:
		return mkSlice(b, ops[0], v.Attrs.Ints("starts"), v.Attrs.Ints("stops"))
	case ir.OpSelect:
		return mkSelect(b, ops[0], v.Attrs.Int("axis"), v.Attrs.Int("index"))
	case ir.OpGather:
		return mkGather(b, ops[0], v.Attrs.Int("axis"), ops[1])
	case ir.OpScale:
		return mkScale(b, ops[0], v.Attrs.Float("factor"))
	}
	return b.Copy(v, ops...)
}
