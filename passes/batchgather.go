package passes

import (
	"fmt"
	"slices"

	"github.com/circopt/circopt/ir"
)

// batchGather is batch-gather commutation: when a computation f that treats
// an axis row by row is evaluated both on x and on x[perm] (rows gathered,
// as resampling ablation and path patching with shuffled inputs do), then
// f(x[perm]) = f(x)[perm], and the second evaluation becomes a gather of the
// first one's result. Slices commute the same way:
//
//	%g = gather 0 %x %perm ; %y = f(%g, w)   with %c = f(%x, w) earlier
//	  ->  %y = gather 0 %c %perm
//	%s = slice [..] [..] %x ; %y = f(%s, w)   with %c = f(%x, w) earlier
//	  ->  %y = slice [..] [..] %c
//
// It fires only when f(x) is already computed earlier in the program (the
// pass never adds work) and only for values that leave every indexed axis
// alone, op by op:
//
//	elementwise ops    each operand indexed the same way, or constant along
//	                   the indexed axes (missing there, or of size 1)
//	softmax, log_softmax, reduce_max/min, last_dim_size   the last axis is
//	                   not indexed
//	sum                no indexed axis is summed
//	permute, select    indexed axes move along (select: not the selected one)
//	einsum             each indexed label appears once in the result and in
//	                   each indexed operand (indexed alike), and in no other
//	                   operand
//
// Anything mixing rows (a sum or softmax over the indexed axis, an operand
// varying along it that is not indexed the same way) stops it. Chains commute
// value by value: f2(f1(x[perm])) finds f1(x), then f2(f1(x)). The f(x[perm])
// chain left unused is pruned.
func batchGather(p *ir.Program, ctx *Context) (*ir.Program, error) {
	q, notes, err := commuteIndexes(p, false)
	if err != nil {
		// A counterpart later in the program that (through other
		// replacements) depends on what it replaces: keep to counterparts
		// defined earlier, which can never form a cycle.
		q, notes, err = commuteIndexes(p, true)
		if err != nil {
			return nil, err
		}
	}
	for _, n := range notes {
		ctx.Notef("%s", n)
	}
	return q, nil
}

// commuteIndexes rewrites every value that commutes with its operands'
// index op; with earlierOnly, only onto counterparts defined before it.
func commuteIndexes(p *ir.Program, earlierOnly bool) (*ir.Program, []string, error) {
	index := map[string]int{} // structural key -> id
	if !earlierOnly {
		for _, v := range p.Values {
			index[structKey(v.Op, v.Attrs, v.Operands, v.Type)] = v.ID
		}
	}
	forms := map[int]rowIndex{}
	replace := map[int]*ir.Value{}
	var notes []string
	for _, v := range p.Values {
		if r, ok := indexForm(p, v); ok {
			forms[v.ID] = r
		} else if r, c, ok := commute(p, v, forms, index); ok && c != v.ID {
			forms[v.ID] = r
			nv, err := r.apply(v, c)
			if err != nil {
				return nil, nil, err
			}
			replace[v.ID] = nv
			notes = append(notes, fmt.Sprintf("batchgather: %v becomes %v", v, nv))
		}
		if earlierOnly {
			index[structKey(v.Op, v.Attrs, v.Operands, v.Type)] = v.ID
		}
	}
	if len(replace) == 0 {
		return p, nil, nil
	}
	values := make([]*ir.Value, len(p.Values))
	for i, v := range p.Values {
		if nv, ok := replace[v.ID]; ok {
			v = nv
		}
		values[i] = v
	}
	q, err := ir.SortTopological(&ir.Program{Values: values, Outputs: slices.Clone(p.Outputs), Consts: p.Consts})
	if err != nil {
		return nil, nil, fmt.Errorf("batchgather: %w", err)
	}
	q, err = prune(q)
	return q, notes, err
}

// commutingValues returns the values batchGather would turn into an index
// op of a counterpart (the first sweep's rule: counterparts anywhere in p).
// Einsum fusion leaves them in the form batchGather recognises.
func commutingValues(p *ir.Program) map[int]bool {
	index := map[string]int{}
	for _, v := range p.Values {
		index[structKey(v.Op, v.Attrs, v.Operands, v.Type)] = v.ID
	}
	forms := map[int]rowIndex{}
	out := map[int]bool{}
	for _, v := range p.Values {
		if r, ok := indexForm(p, v); ok {
			forms[v.ID] = r
		} else if r, c, ok := commute(p, v, forms, index); ok && c != v.ID {
			forms[v.ID] = r
			out[v.ID] = true
		}
	}
	return out
}

// rowIndex says a value equals an index op applied to base: a gather of
// positions idx along axis, or a slice [starts, stops).
type rowIndex struct {
	base          int
	gather        bool
	axis, idx     int   // gather
	starts, stops []int // slice, one per axis
	bshape        []int // the base's shape
}

// indexed reports whether axis ax of the value is indexed.
func (r rowIndex) indexed(ax int) bool {
	if r.gather {
		return ax == r.axis
	}
	return r.starts[ax] != 0 || r.stops[ax] != r.bshape[ax]
}

// sameIndex reports whether two forms index alike (bases aside).
func (r rowIndex) sameIndex(s rowIndex) bool {
	if r.gather != s.gather {
		return false
	}
	if r.gather {
		return r.axis == s.axis && r.idx == s.idx
	}
	return slices.Equal(r.starts, s.starts) && slices.Equal(r.stops, s.stops)
}

// indexForm recognises a gather or a non-identity slice.
func indexForm(p *ir.Program, v *ir.Value) (rowIndex, bool) {
	switch v.Op {
	case ir.OpGather:
		return rowIndex{base: v.Operands[0], gather: true, axis: v.Attrs.Int("axis"), idx: v.Operands[1], bshape: p.Value(v.Operands[0]).Type.Shape}, true
	case ir.OpSlice:
		in := p.Value(v.Operands[0]).Type.Shape
		r := rowIndex{base: v.Operands[0], starts: v.Attrs.Ints("starts"), stops: v.Attrs.Ints("stops"), bshape: in}
		for ax := range in {
			if r.indexed(ax) {
				return r, true
			}
		}
	}
	return rowIndex{}, false
}

// axisMap gives, for each result axis of v, the axis of an indexed
// operand it comes from (-1: none), and whether the op is row-wise for the
// operand's indexed axes.
func axisMap(v *ir.Value, inShape []int, isIndexed func(int) bool) ([]int, bool) {
	rank := len(v.Type.Shape)
	ident := func(n int) []int {
		m := make([]int, n)
		for i := range m {
			m[i] = i
		}
		return m
	}
	if d, ok := ir.Lookup(v.Op); ok && d.Elementwise {
		return ident(rank), len(inShape) == rank
	}
	switch v.Op {
	case ir.OpSoftmax, ir.OpLogSoftmax:
		return ident(rank), rank >= 1 && !isIndexed(rank-1)
	case ir.OpReduceMax, ir.OpReduceMin, ir.OpLastDimSize:
		return ident(rank), len(inShape) >= 1 && !isIndexed(len(inShape)-1)
	case ir.OpSum:
		axes := v.Attrs.Ints("axes")
		var m []int
		for ax := range inShape {
			if slices.Contains(axes, ax) {
				if isIndexed(ax) {
					return nil, false
				}
				continue
			}
			m = append(m, ax)
		}
		return m, true
	case ir.OpPermute:
		return slices.Clone(v.Attrs.Ints("perm")), true
	case ir.OpSelect:
		a := v.Attrs.Int("axis")
		m := ident(rank)
		for i := a; i < rank; i++ {
			m[i] = i + 1
		}
		return m, !isIndexed(a)
	}
	return nil, false
}

// commute decides whether v, computed on indexed operands, equals the same
// index applied to an earlier value c; it returns v's form and c.
func commute(p *ir.Program, v *ir.Value, forms map[int]rowIndex, index map[string]int) (rowIndex, int, bool) {
	var form rowIndex
	found := false
	for _, o := range v.Operands {
		if f, ok := forms[o]; ok {
			if found && !f.sameIndex(form) {
				return rowIndex{}, -1, false
			}
			form, found = f, true
		}
	}
	if !found || len(v.Type.Shape) == 0 {
		return rowIndex{}, -1, false
	}
	var out mapped
	var ok bool
	if v.Op == ir.OpEinsum {
		out, ok = commuteEinsum(p, v, forms)
	} else {
		out, ok = commuteRowwise(p, v, forms, form)
	}
	if !ok {
		return rowIndex{}, -1, false
	}
	// The counterpart: v's op on the bases, at the bases' sizes.
	ops := slices.Clone(v.Operands)
	for i, o := range ops {
		if f, ok := forms[o]; ok {
			ops[i] = f.base
		}
	}
	t := ir.Type{DType: v.Type.DType, Shape: slices.Clone(v.Type.Shape)}
	for ax, d := range out.baseShape {
		t.Shape[ax] = d
	}
	c, ok := index[structKey(v.Op, v.Attrs, ops, t)]
	if !ok {
		return rowIndex{}, -1, false
	}
	out.form.base = c
	out.form.bshape = t.Shape
	return out.form, c, true
}

// mapped is a result's index form plus the sizes its indexed axes have in
// the counterpart.
type mapped struct {
	form      rowIndex
	baseShape map[int]int
}

// commuteRowwise handles every op but einsum: one indexed operand layout,
// mapped to the result through axisMap.
func commuteRowwise(p *ir.Program, v *ir.Value, forms map[int]rowIndex, form rowIndex) (mapped, bool) {
	rank := len(v.Type.Shape)
	var in []int // shape of the indexed operands
	for _, o := range v.Operands {
		if _, ok := forms[o]; ok {
			s := p.Value(o).Type.Shape
			if in != nil && !slices.Equal(in, s) {
				return mapped{}, false
			}
			in = s
		}
	}
	isIndexed := func(ax int) bool { return form.indexed(ax) }
	m, ok := axisMap(v, in, isIndexed)
	if !ok || len(m) != rank {
		return mapped{}, false
	}
	if d, _ := ir.Lookup(v.Op); d != nil && d.Elementwise {
		// indexed operands must fill the result; the others must be
		// constant along every indexed axis.
		if !slices.Equal(in, v.Type.Shape) {
			return mapped{}, false
		}
		for _, o := range v.Operands {
			if _, ok := forms[o]; ok {
				continue
			}
			s := p.Value(o).Type.Shape
			for ax := 0; ax < rank; ax++ {
				j := ax - (rank - len(s))
				if isIndexed(ax) && j >= 0 && s[j] != 1 {
					return mapped{}, false
				}
			}
		}
	} else if len(v.Operands) != 1 {
		return mapped{}, false
	}
	// Every indexed operand axis must reach the result.
	baseIn := p.Value(form.base).Type.Shape
	res := mapped{baseShape: map[int]int{}}
	reached := 0
	if form.gather {
		res.form = rowIndex{gather: true, idx: form.idx, axis: -1}
	} else {
		res.form = rowIndex{starts: make([]int, rank), stops: slices.Clone(v.Type.Shape)}
	}
	for ax, j := range m {
		if j < 0 || !isIndexed(j) {
			continue
		}
		reached++
		res.baseShape[ax] = baseIn[j]
		if form.gather {
			res.form.axis = ax
		} else {
			res.form.starts[ax], res.form.stops[ax] = form.starts[j], form.stops[j]
		}
	}
	want := 0
	for j := range in {
		if isIndexed(j) {
			want++
		}
	}
	if reached != want || want == 0 {
		return mapped{}, false
	}
	if !form.gather {
		// stops on non-indexed axes are the counterpart's sizes there.
		for ax := range res.form.stops {
			if _, ok := res.baseShape[ax]; !ok {
				res.form.stops[ax] = v.Type.Shape[ax]
			}
		}
	}
	return res, true
}

// commuteEinsum: indexed labels must be indexed alike wherever they occur,
// occur once per term, appear in the result, and be absent from operands
// that are not indexed.
func commuteEinsum(p *ir.Program, v *ir.Value, forms map[int]rowIndex) (mapped, bool) {
	spec, err := ir.ParseEinsum(v.Attrs.String("spec"), len(v.Operands))
	if err != nil {
		return mapped{}, false
	}
	type axisIndex struct{ start, stop, base int }
	labels := map[int]axisIndex{}
	var gather *rowIndex
	for i, o := range v.Operands {
		f, ok := forms[o]
		if !ok {
			continue
		}
		base := p.Value(f.base).Type.Shape
		for ax, l := range spec.In[i] {
			if !f.indexed(ax) {
				continue
			}
			if count(spec.In[i], l) != 1 || count(spec.Out, l) != 1 {
				return mapped{}, false
			}
			ai := axisIndex{base: base[ax]}
			if f.gather {
				g := f
				gather = &g
			} else {
				ai.start, ai.stop = f.starts[ax], f.stops[ax]
			}
			if old, seen := labels[l]; seen && old != ai {
				return mapped{}, false
			}
			labels[l] = ai
		}
	}
	if len(labels) == 0 {
		return mapped{}, false
	}
	// Every operand: indexed labels only on its own indexed axes.
	for i, o := range v.Operands {
		f, isForm := forms[o]
		for ax, l := range spec.In[i] {
			if _, ok := labels[l]; ok && (!isForm || !f.indexed(ax)) {
				return mapped{}, false
			}
		}
	}
	rank := len(v.Type.Shape)
	res := mapped{baseShape: map[int]int{}}
	if gather != nil {
		if len(labels) != 1 {
			return mapped{}, false
		}
		res.form = rowIndex{gather: true, idx: gather.idx}
	} else {
		res.form = rowIndex{starts: make([]int, rank), stops: slices.Clone(v.Type.Shape)}
	}
	for ax, l := range spec.Out {
		ai, ok := labels[l]
		if !ok {
			continue
		}
		res.baseShape[ax] = ai.base
		if gather != nil {
			res.form.axis = ax
		} else {
			res.form.starts[ax], res.form.stops[ax] = ai.start, ai.stop
		}
	}
	return res, true
}

// apply builds the value replacing v: the index op on the counterpart c.
func (r rowIndex) apply(v *ir.Value, c int) (*ir.Value, error) {
	if r.gather {
		return &ir.Value{ID: v.ID, Op: ir.OpGather, Operands: []int{c, r.idx}, Attrs: ir.Attrs{"axis": r.axis}, Type: v.Type}, nil
	}
	if len(r.starts) != len(v.Type.Shape) {
		return nil, fmt.Errorf("batchgather: %v: slice of rank %d", v, len(r.starts))
	}
	return &ir.Value{ID: v.ID, Op: ir.OpSlice, Operands: []int{c}, Attrs: ir.Attrs{"starts": slices.Clone(r.starts), "stops": slices.Clone(r.stops)}, Type: v.Type}, nil
}

// structKey is the value's printed line with a fixed id: op, attributes,
// operands (sorted for commutative ops, as cse does) and type.
func structKey(op ir.Op, a ir.Attrs, operands []int, t ir.Type) string {
	if op == ir.OpAdd || op == ir.OpMul {
		operands = slices.Sorted(slices.Values(operands))
	}
	return (&ir.Value{Op: op, Operands: operands, Attrs: a, Type: t}).String()
}

func count(xs []int, x int) int {
	n := 0
	for _, y := range xs {
		if y == x {
			n++
		}
	}
	return n
}
