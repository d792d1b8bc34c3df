package passes

import (
	"fmt"
	"slices"

	"github.com/circopt/circopt/ir"
)

// pushdown moves index ops towards the inputs: a slice, select or gather of
// a value computes only the part that is kept, so
//
//	slice(f(x, y))         -> f(slice(x), slice(y))   f elementwise (add, mul, unary, scale ...)
//	slice(permute(x))      -> permute(slice(x))
//	slice(broadcast(x))    -> broadcast(slice(x))      (slice, select only)
//	slice(einsum(x, y))    -> einsum(slice(x), slice(y)) on output labels, which are not contracted
//	slice(softmax(x))      -> softmax(slice(x))        rows only: the last axis of x whole
//	                          (also log_softmax, reduce_max, reduce_min, last_dim_size)
//
// and likewise for select and gather. Operands that broadcast along an
// indexed axis (size 1, or missing on the left) are left alone on that axis.
// The indexed value must have no other use (equal index ops count as one
// use): otherwise it is computed in full anyway and the sliced copy would
// be extra work. Push-down recurses as long as the operands are themselves
// single-use. A select meeting a select swaps below it when the value
// beneath is split by selects on one axis (per-head outputs), so that
// every reader can come to select the same thing:
//
//	select(select(x, a0, i0), a, i) -> select(select(x, a', i), a0', i0)
func pushdown(p *ir.Program, ctx *Context) (*ir.Program, error) {
	// One sweep pushes each index op through the chain of values it finds
	// in the input; values that sweep creates (a select pushed into an add
	// that a slice then meets) need another sweep.
	return fixpoint(p, ctx, pushdownOnce)
}

func pushdownOnce(p *ir.Program) (*ir.Program, error) {
	// pushed holds, per index op (by indexKey), what the first of
	// several equal index ops on one value became: the others reuse it
	// rather than rebuild the chain.
	pushed := map[string]int{}
	return rewrite(p, func(r *rewriter, v *ir.Value, ops []int) (int, bool, error) {
		var ix *indexOp
		switch v.Op {
		case ir.OpSlice:
			ix = &indexOp{kind: ir.OpSlice, starts: v.Attrs.Ints("starts"), stops: v.Attrs.Ints("stops")}
		case ir.OpSelect:
			ix = &indexOp{kind: ir.OpSelect, axis: v.Attrs.Int("axis"), index: v.Attrs.Int("index")}
		case ir.OpGather:
			ix = &indexOp{kind: ir.OpGather, axis: v.Attrs.Int("axis"), idx: ops[1]}
		default:
			return -1, false, nil
		}
		key := indexKey(v)
		if id, ok := pushed[key]; ok {
			return id, true, nil
		}
		if !r.onlyIndexedAs(v) || !pushable(r.old.Value(v.Operands[0])) {
			return -1, false, nil
		}
		id, err := r.push(ix, v.Operands[0])
		if err == nil {
			pushed[key] = id
		}
		return id, err == nil, err
	})
}

// onlyIndexedAs reports whether every use of v's operand is an index op
// equal to v (the same op, attributes and index operand) and the operand
// is not an output. Push-down itself leaves such twins (a layer norm reads
// x - mean twice, and both reads get the select); the operand is then
// needed only where they index it, so pushing one serves them all.
func (r *rewriter) onlyIndexedAs(v *ir.Value) bool {
	x := v.Operands[0]
	if r.old.IsOutput(x) {
		return false
	}
	key := indexKey(v)
	for _, u := range r.old.Users(x) {
		uv := r.old.Value(u)
		if uv.Operands[0] != x || indexKey(uv) != key {
			return false
		}
		for _, o := range uv.Operands[1:] {
			if o == x {
				return false
			}
		}
	}
	return true
}

// indexKey identifies an index op by what it computes: op, attributes,
// operands. Equal keys are equal values.
func indexKey(v *ir.Value) string {
	return fmt.Sprint(v.Op, v.Attrs, v.Operands)
}

// indexOp is one slice, select or gather to apply.
type indexOp struct {
	kind          ir.Op
	starts, stops []int // slice
	axis, index   int   // select (axis, index), gather (axis)
	idx           int   // gather: index value id in the new program
}

func pushable(v *ir.Value) bool {
	if d, ok := ir.Lookup(v.Op); ok && d.Elementwise {
		return true
	}
	return v.Op == ir.OpPermute || v.Op == ir.OpEinsum || v.Op == ir.OpBroadcast || v.Op == ir.OpSelect || rowwise(v.Op)
}

// rowwise ops compute each row (everything but the last axis of the
// operand) from that row alone: softmax and log_softmax keep the last axis,
// the reductions drop it. Indexing their result on any other axis is
// indexing their operand the same way.
func rowwise(op ir.Op) bool {
	switch op {
	case ir.OpSoftmax, ir.OpLogSoftmax, ir.OpReduceMax, ir.OpReduceMin, ir.OpLastDimSize:
		return true
	}
	return false
}

// apply builds ix on the new value x without pushing further.
func (r *rewriter) apply(ix *indexOp, x int) (int, error) {
	switch ix.kind {
	case ir.OpSlice:
		return mkSlice(r.b, x, ix.starts, ix.stops)
	case ir.OpSelect:
		return mkSelect(r.b, x, ix.axis, ix.index)
	}
	if f, ok := fillValue(r.b, x); ok {
		t := typeOf(r.b, x)
		t.Shape = slices.Clone(t.Shape)
		t.Shape[ix.axis] = typeOf(r.b, ix.idx).Shape[0]
		return r.b.Scalar(f, t)
	}
	return r.b.Add(ir.OpGather, ir.Attrs{"axis": ix.axis}, x, ix.idx)
}

// push returns ix applied to the old value oldID, pushed as deep as
// single-use pushable values allow.
func (r *rewriter) push(ix *indexOp, oldID int) (int, error) {
	v := r.old.Value(oldID)
	if d, ok := ir.Lookup(v.Op); ok && d.Elementwise {
		return r.pushElementwise(ix, v)
	}
	switch v.Op {
	case ir.OpPermute:
		return r.pushPermute(ix, v)
	case ir.OpBroadcast:
		if ix.kind != ir.OpGather {
			return r.pushBroadcast(ix, v)
		}
	case ir.OpEinsum:
		if id, ok, err := r.pushEinsum(ix, v); ok || err != nil {
			return id, err
		}
	case ir.OpSelect:
		if ix.kind == ir.OpSelect && r.splitBySelects(v) {
			return r.pushSelectSelect(ix, v)
		}
	case ir.OpSoftmax, ir.OpLogSoftmax, ir.OpReduceMax, ir.OpReduceMin, ir.OpLastDimSize:
		if sub, ok := ix.forRows(v.Type.Shape, r.old.Value(v.Operands[0]).Type.Shape); ok {
			x, err := r.pushOperand(sub, v.Operands[0], v.ID)
			if err != nil {
				return -1, err
			}
			return r.b.Add(v.Op, v.Attrs, x)
		}
	}
	return r.apply(ix, r.m[oldID])
}

// forRows adapts ix on the result (shape out) of a row-wise op to its
// operand (shape in): the same index on the same axes, the operand's last
// axis whole. ok=false when ix touches the operand's last axis (softmax and
// log_softmax keep it, so it is out's last axis too).
func (ix *indexOp) forRows(out, in []int) (*indexOp, bool) {
	last := len(in) - 1
	switch ix.kind {
	case ir.OpSlice:
		st, sp := make([]int, len(in)), slices.Clone(in)
		for i := range ix.starts {
			if i == last && (ix.starts[i] != 0 || ix.stops[i] != out[i]) {
				return nil, false
			}
			st[i], sp[i] = ix.starts[i], ix.stops[i]
		}
		return &indexOp{kind: ir.OpSlice, starts: st, stops: sp}, true
	case ir.OpSelect:
		if ix.axis == last {
			return nil, false
		}
		return &indexOp{kind: ir.OpSelect, axis: ix.axis, index: ix.index}, true
	}
	if ix.axis == last {
		return nil, false
	}
	return &indexOp{kind: ir.OpGather, axis: ix.axis, idx: ix.idx}, true
}

// pushOperand pushes into operand oldID of the old value parent when that
// is still worth it (parent is its only user, pushable op), else applies ix
// on top of it. A value parent uses twice (x + x) is pushed once per use;
// cse merges the copies.
func (r *rewriter) pushOperand(ix *indexOp, oldID, parent int) (int, error) {
	if r.onlyUser(oldID, parent) && pushable(r.old.Value(oldID)) {
		return r.push(ix, oldID)
	}
	return r.apply(ix, r.m[oldID])
}

// forOperand adapts ix (on the result's axes, result shape out) to an
// operand of the given shape that broadcasts into the result; ok=false means
// the operand is not indexed at all (the indexed axes are all broadcast).
func (ix *indexOp) forOperand(shape, out []int) (*indexOp, bool) {
	lead := len(out) - len(shape)
	// bcast: operand axis j is stretched to a bigger result axis.
	bcast := func(j int) bool { return shape[j] == 1 && out[j+lead] != 1 }
	switch ix.kind {
	case ir.OpSlice:
		st, sp := make([]int, len(shape)), slices.Clone(shape)
		any := false
		for j := range shape {
			if bcast(j) {
				continue
			}
			i := j + lead
			st[j], sp[j] = ix.starts[i], ix.stops[i]
			any = true
		}
		return &indexOp{kind: ir.OpSlice, starts: st, stops: sp}, any
	case ir.OpSelect:
		j := ix.axis - lead
		if j < 0 {
			return nil, false // the operand lacks the axis: unchanged
		}
		if bcast(j) {
			return &indexOp{kind: ir.OpSelect, axis: j, index: 0}, true
		}
		return &indexOp{kind: ir.OpSelect, axis: j, index: ix.index}, true
	}
	j := ix.axis - lead
	if j < 0 || bcast(j) {
		return nil, false
	}
	return &indexOp{kind: ir.OpGather, axis: j, idx: ix.idx}, true
}

func (r *rewriter) pushElementwise(ix *indexOp, v *ir.Value) (int, error) {
	ops := make([]int, len(v.Operands))
	for i, o := range v.Operands {
		sub, ok := ix.forOperand(r.old.Value(o).Type.Shape, v.Type.Shape)
		if !ok {
			ops[i] = r.m[o]
			continue
		}
		id, err := r.pushOperand(sub, o, v.ID)
		if err != nil {
			return -1, err
		}
		ops[i] = id
	}
	if v.Op == ir.OpAdd {
		return r.b.Add(ir.OpAdd, nil, ops...)
	}
	return r.b.Add(v.Op, v.Attrs, ops...)
}

// pushPermute: result axis i of permute(x, perm) is x's axis perm[i].
func (r *rewriter) pushPermute(ix *indexOp, v *ir.Value) (int, error) {
	perm := v.Attrs.Ints("perm")
	x := v.Operands[0]
	switch ix.kind {
	case ir.OpSlice:
		st, sp := make([]int, len(perm)), make([]int, len(perm))
		for i, a := range perm {
			st[a], sp[a] = ix.starts[i], ix.stops[i]
		}
		s, err := r.pushOperand(&indexOp{kind: ir.OpSlice, starts: st, stops: sp}, x, v.ID)
		if err != nil {
			return -1, err
		}
		return mkPermute(r.b, s, perm)
	case ir.OpSelect:
		a := perm[ix.axis]
		s, err := r.pushOperand(&indexOp{kind: ir.OpSelect, axis: a, index: ix.index}, x, v.ID)
		if err != nil {
			return -1, err
		}
		np := make([]int, 0, len(perm)-1)
		for i, q := range perm {
			if i == ix.axis {
				continue
			}
			if q > a {
				q--
			}
			np = append(np, q)
		}
		return mkPermute(r.b, s, np)
	}
	s, err := r.pushOperand(&indexOp{kind: ir.OpGather, axis: perm[ix.axis], idx: ix.idx}, x, v.ID)
	if err != nil {
		return -1, err
	}
	return mkPermute(r.b, s, perm)
}

// splitBySelects reports whether the select v's operand is read only by
// selects on v's axis at more than one index (per-head outputs): then
// swapping ix below v can make every reader select the same thing. When
// all read one index, v itself is pushed into the operand instead, and ix
// stays on top (swapping then would swap back on the next sweep).
func (r *rewriter) splitBySelects(v *ir.Value) bool {
	x := v.Operands[0]
	if r.old.IsOutput(x) {
		return false
	}
	axis, index, mixed := v.Attrs.Int("axis"), v.Attrs.Int("index"), false
	for _, u := range r.old.Users(x) {
		uv := r.old.Value(u)
		if uv.Op != ir.OpSelect || uv.Attrs.Int("axis") != axis {
			return false
		}
		mixed = mixed || uv.Attrs.Int("index") != index
	}
	return mixed
}

// pushSelectSelect swaps two selects, ix on the result of v = select(x,
// a0, i0): ix's axis is x's axis a (a0 does not count), so the pair is
// select(select(x, a, i), a0 or a0-1, i0). The select on a moves towards
// x: when x's readers are one select per index of an axis (per-head
// outputs), each then reads x through the same select on a, and the next
// sweep pushes it into x.
func (r *rewriter) pushSelectSelect(ix *indexOp, v *ir.Value) (int, error) {
	a0, i0 := v.Attrs.Int("axis"), v.Attrs.Int("index")
	a := ix.axis
	if a >= a0 {
		a++
	}
	s, err := r.pushOperand(&indexOp{kind: ir.OpSelect, axis: a, index: ix.index}, v.Operands[0], v.ID)
	if err != nil {
		return -1, err
	}
	if a < a0 {
		a0--
	}
	return mkSelect(r.b, s, a0, i0)
}

// pushBroadcast indexes the source on the axes it really has.
func (r *rewriter) pushBroadcast(ix *indexOp, v *ir.Value) (int, error) {
	x := v.Operands[0]
	sub, ok := ix.forOperand(r.old.Value(x).Type.Shape, v.Type.Shape)
	src := r.m[x]
	if ok {
		var err error
		if src, err = r.pushOperand(sub, x, v.ID); err != nil {
			return -1, err
		}
	}
	var shape []int
	if ix.kind == ir.OpSlice {
		for i := range ix.starts {
			shape = append(shape, ix.stops[i]-ix.starts[i])
		}
	} else {
		shape = slices.Delete(slices.Clone(v.Type.Shape), ix.axis, ix.axis+1)
	}
	return mkBroadcast(r.b, src, shape)
}

// pushEinsum indexes every operand axis carrying an output label that is
// indexed. Output labels are never contracted, so this commutes; an output
// label repeated in the output (an embedding) is left alone.
func (r *rewriter) pushEinsum(ix *indexOp, v *ir.Value) (int, bool, error) {
	spec, err := ir.ParseEinsum(v.Attrs.String("spec"), len(v.Operands))
	if err != nil {
		return -1, false, err
	}
	count := map[int]int{}
	for _, l := range spec.Out {
		count[l]++
	}
	var axes []int // indexed output axes
	switch ix.kind {
	case ir.OpSlice:
		for i := range ix.starts {
			if ix.starts[i] != 0 || ix.stops[i] != v.Type.Shape[i] {
				axes = append(axes, i)
			}
		}
	default:
		axes = []int{ix.axis}
	}
	for _, a := range axes {
		if count[spec.Out[a]] > 1 {
			return -1, false, nil
		}
	}
	newIn := slices.Clone(spec.In) // terms change only for select
	ops := make([]int, len(v.Operands))
	for k, o := range v.Operands {
		terms := spec.In[k]
		shape := r.old.Value(o).Type.Shape
		id := -1
		switch ix.kind {
		case ir.OpSlice:
			st, sp := make([]int, len(shape)), slices.Clone(shape)
			touched := false
			for j, l := range terms {
				for _, a := range axes {
					if spec.Out[a] == l {
						st[j], sp[j] = ix.starts[a], ix.stops[a]
						touched = true
					}
				}
			}
			if touched {
				id, err = r.pushOperand(&indexOp{kind: ir.OpSlice, starts: st, stops: sp}, o, v.ID)
			}
		case ir.OpSelect:
			l := spec.Out[ix.axis]
			var js []int
			for j, t := range terms {
				if t == l {
					js = append(js, j)
				}
			}
			if len(js) > 0 {
				// Select from the last matching axis down so earlier axis
				// numbers stay valid; push only the first select.
				cur := -1
				for n := len(js) - 1; n >= 0; n-- {
					sub := &indexOp{kind: ir.OpSelect, axis: js[n], index: ix.index}
					if cur < 0 {
						cur, err = r.pushOperand(sub, o, v.ID)
					} else {
						cur, err = r.apply(sub, cur)
					}
					if err != nil {
						return -1, false, err
					}
				}
				id = cur
				newIn[k] = slices.DeleteFunc(slices.Clone(terms), func(t int) bool { return t == l })
			}
		case ir.OpGather:
			l := spec.Out[ix.axis]
			var js []int
			for j, t := range terms {
				if t == l {
					js = append(js, j)
				}
			}
			cur := -1
			for n, j := range js {
				sub := &indexOp{kind: ir.OpGather, axis: j, idx: ix.idx}
				if n == 0 {
					cur, err = r.pushOperand(sub, o, v.ID)
				} else {
					cur, err = r.apply(sub, cur)
				}
				if err != nil {
					return -1, false, err
				}
			}
			id = cur
		}
		if err != nil {
			return -1, false, err
		}
		if id < 0 {
			id = r.m[o]
		}
		ops[k] = id
	}
	out := spec.Out
	if ix.kind == ir.OpSelect {
		out = slices.Delete(slices.Clone(spec.Out), ix.axis, ix.axis+1)
	}
	ns := &ir.EinsumSpec{In: newIn, Out: out}
	// The result type is the index op's: declared, so output-only labels
	// (which no operand sizes) get their extents.
	t := r.indexedType(ix, v.Type)
	id, err := r.b.AddTyped(ir.OpEinsum, ir.Attrs{"spec": ns.String()}, t, ops...)
	return id, err == nil, err
}

// indexedType is the type of ix applied to a value of type t.
func (r *rewriter) indexedType(ix *indexOp, t ir.Type) ir.Type {
	s := slices.Clone(t.Shape)
	switch ix.kind {
	case ir.OpSlice:
		for i := range s {
			s[i] = ix.stops[i] - ix.starts[i]
		}
	case ir.OpSelect:
		s = slices.Delete(s, ix.axis, ix.axis+1)
	default:
		s[ix.axis] = typeOf(r.b, ix.idx).Shape[0]
	}
	return ir.Type{DType: t.DType, Shape: s}
}
