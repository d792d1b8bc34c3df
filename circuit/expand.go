package circuit

import (
	"fmt"
	"slices"
)

// ReplaceExpand returns root with every node whose hash is a key of repl
// replaced by its value, rebuilding the ancestors. A replacement may add
// leading batch dimensions (a [3] input becoming [8,3]); ancestors are
// rebuilt to carry those dimensions in front (einsums gain batch axes,
// rearranges and indexes pass them through, concats shift their axis and
// broadcast unbatched siblings). Shared subtrees are rebuilt once.
//
// Replacements that change non-batch dimensions are passed to the nodes'
// own constructors, which accept them or report the mismatch.
func ReplaceExpand(root Circuit, repl map[Hash]Circuit) (Circuit, error) {
	e := &expander{repl: repl, memo: map[Hash]expanded{}}
	r, err := e.do(root)
	if err != nil {
		return nil, err
	}
	return r.c, nil
}

type expanded struct {
	c     Circuit
	batch []int // leading batch dims added to the original node's shape
}

type expander struct {
	repl map[Hash]Circuit
	memo map[Hash]expanded
}

func (e *expander) do(c Circuit) (expanded, error) {
	if r, ok := e.memo[c.Hash()]; ok {
		return r, nil
	}
	var res expanded
	if n, ok := e.repl[c.Hash()]; ok {
		extra := n.Rank() - c.Rank()
		if extra < 0 {
			extra = 0
		}
		res = expanded{c: n, batch: cloneInts(n.Shape()[:extra])}
	} else {
		kids := c.Children()
		news := make([]expanded, len(kids))
		changed := false
		var batch []int
		for i, k := range kids {
			var r expanded
			var err error
			if m, ok := c.(*Module); ok && i == 0 {
				r, err = e.moduleSpec(m)
			} else {
				r, err = e.do(k)
			}
			if err != nil {
				return expanded{}, err
			}
			news[i] = r
			if r.c != k {
				changed = true
			}
			if len(r.batch) > 0 {
				b, err := broadcastBatch(batch, r.batch)
				if err != nil {
					return expanded{}, fmt.Errorf("%s: %w", Label(c), err)
				}
				batch = b
			}
		}
		for i, r := range news {
			if len(r.batch) > 0 && len(r.batch) < len(batch) {
				n, err := growBatch(r, batch)
				if err != nil {
					return expanded{}, fmt.Errorf("%s: %w", Label(c), err)
				}
				news[i] = n
			}
		}
		switch {
		case !changed:
			res = expanded{c: c}
		case len(batch) == 0:
			cs := make([]Circuit, len(news))
			for i, n := range news {
				cs[i] = n.c
			}
			if err := checkFixedIndex(c, cs); err != nil {
				return expanded{}, err
			}
			n, err := c.WithChildren(cs)
			if err != nil {
				return expanded{}, err
			}
			res = expanded{c: n}
		default:
			n, err := rebuildBatched(c, news, batch)
			if err != nil {
				return expanded{}, fmt.Errorf("%s: adding batch dims %s: %v", Label(c), shapeString(batch), err)
			}
			res = expanded{c: keepInfoBatched(c, n, len(batch)), batch: batch}
		}
	}
	e.memo[c.Hash()] = res
	return res, nil
}

// moduleSpec replaces inside a Module's spec circuit, but never the symbols
// that Module binds itself: inside its spec they are its parameters, not the
// outer symbols (replacing them would also make substitution recurse forever
// when an argument contains its own call).
func (e *expander) moduleSpec(m *Module) (expanded, error) {
	inner := make(map[Hash]Circuit, len(e.repl))
	for h, r := range e.repl {
		inner[h] = r
	}
	for _, a := range m.ArgSpecs {
		delete(inner, a.Symbol.Hash())
	}
	if len(inner) == len(e.repl) {
		return e.do(m.SpecCircuit)
	}
	sub := &expander{repl: inner, memo: map[Hash]expanded{}}
	return sub.do(m.SpecCircuit)
}

// rebuildBatched rebuilds c over children some of which carry leading
// batch dims, so that the result is c's value with those batch dims in front.
func rebuildBatched(c Circuit, kids []expanded, batch []int) (Circuit, error) {
	nb := len(batch)
	cs := make([]Circuit, len(kids))
	for i, k := range kids {
		cs[i] = k.c
	}
	// alignBatched gives a batched child the node's full rank below its batch
	// dims, so right-aligned broadcasting keeps batch dims in front.
	alignBatched := func(rank int) error {
		for i, k := range kids {
			if len(k.batch) == 0 {
				continue
			}
			old := k.c.Rank() - nb
			if old == rank {
				continue
			}
			// input axis j has id j; the inserted size-1 axes get the ids
			// after them, and go between the batch axes and the rest
			sp := RearrangeSpec{}
			for j := 0; j < k.c.Rank(); j++ {
				sp.Sizes = append(sp.Sizes, -1)
				sp.In = append(sp.In, []int{j})
			}
			for j := 0; j < nb; j++ {
				sp.Out = append(sp.Out, []int{j})
			}
			for x := 0; x < rank-old; x++ {
				sp.Sizes = append(sp.Sizes, 1)
				sp.Out = append(sp.Out, []int{len(sp.Sizes) - 1})
			}
			for j := nb; j < k.c.Rank(); j++ {
				sp.Out = append(sp.Out, []int{j})
			}
			r, err := NewRearrange("", sp, k.c)
			if err != nil {
				return err
			}
			cs[i] = r
		}
		return nil
	}
	name := c.Name()
	switch n := c.(type) {
	case *Add:
		if err := alignBatched(n.Rank()); err != nil {
			return nil, err
		}
		return NewAdd(name, cs...)
	case *GeneralFunction:
		if _, ok := n.GenIndex(); ok {
			// which axes of x and of the index line up depends on the spec
			return nil, nodeErr(KindGeneralFunction, name, "%s: batching its inputs (replacing them by larger ones) is not supported", n.Spec)
		}
		if n.FunctionSpec().Arity == 2 {
			if err := alignBatched(n.Rank()); err != nil {
				return nil, err
			}
		}
		return NewGeneralFunction(name, n.Spec, cs...)
	case *Einsum:
		next := 0
		for _, ax := range n.Axes {
			for _, l := range ax {
				next = max(next, l+1)
			}
		}
		bl := make([]int, nb)
		for i := range bl {
			bl[i] = next + i
		}
		axes := make([][]int, len(n.Axes))
		for i, ax := range n.Axes {
			if len(kids[i].batch) > 0 {
				axes[i] = append(cloneInts(bl), ax...)
			} else {
				axes[i] = cloneInts(ax)
			}
		}
		return NewEinsum(name, axes, append(cloneInts(bl), n.Out...), cs...)
	case *Rearrange:
		sp := RearrangeSpec{Sizes: cloneInts(n.Spec.Sizes)}
		base := len(sp.Sizes)
		for i := 0; i < nb; i++ {
			sp.Sizes = append(sp.Sizes, -1)
			sp.In = append(sp.In, []int{base + i})
			sp.Out = append(sp.Out, []int{base + i})
		}
		sp.In = append(sp.In, cloneGroups(n.Spec.In)...)
		sp.Out = append(sp.Out, cloneGroups(n.Spec.Out)...)
		return NewRearrange(name, sp, cs[0])
	case *Index:
		idx := make([]AxisIndex, 0, nb+len(n.Idx))
		for i := 0; i < nb; i++ {
			idx = append(idx, All())
		}
		return NewIndex(name, append(idx, cloneIndex(n.Idx)...), cs[0])
	case *Scatter:
		idx := make([]AxisIndex, 0, nb+len(n.Idx))
		for i := 0; i < nb; i++ {
			idx = append(idx, All())
		}
		return NewScatter(name, append(idx, cloneIndex(n.Idx)...), append(cloneInts(batch), n.Shape()...), cs[0])
	case *Concat:
		for i, k := range kids {
			if len(k.batch) > 0 {
				continue
			}
			r, err := repeatFront(k.c, batch)
			if err != nil {
				return nil, err
			}
			cs[i] = r
		}
		return NewConcat(name, n.Axis+nb, cs...)
	case *Tag:
		return NewTag(name, n.UUID, cs[0])
	case *Module:
		return n.WithChildren(cs)
	}
	return nil, fmt.Errorf("cannot add batch dims to %s", c.Kind())
}

// keepInfoBatched carries c's AD flag and named axes onto n, its rebuild
// with nb leading batch axes: named axes move past the batch axes.
func keepInfoBatched(c, n Circuit, nb int) Circuit {
	if !c.AutonameDisabled() && c.NamedAxes() == nil {
		return n
	}
	var na map[int]string
	for k, v := range c.NamedAxes() {
		if na == nil {
			na = map[int]string{}
		}
		na[k+nb] = v
	}
	out := n.WithInfo(na, c.AutonameDisabled())
	if c.AutonameDisabled() && out.Name() != c.Name() {
		out = renameNode(out, c.Name())
	}
	return out
}

// repeatFront broadcasts c to have the given leading dims (a repeat).
func repeatFront(c Circuit, lead []int) (Circuit, error) {
	sp := RearrangeSpec{}
	for j := 0; j < c.Rank(); j++ {
		sp.Sizes = append(sp.Sizes, -1)
		sp.In = append(sp.In, []int{j})
	}
	for _, d := range lead {
		sp.Sizes = append(sp.Sizes, d)
		sp.Out = append(sp.Out, []int{len(sp.Sizes) - 1})
	}
	for j := 0; j < c.Rank(); j++ {
		sp.Out = append(sp.Out, []int{j})
	}
	return NewRearrange("", sp, c)
}

// broadcastBatch combines the batch shapes of two arguments as rust_circuit
// does: right-aligned, so [4,3] next to [3] batches over [4,3].
func broadcastBatch(a, b []int) ([]int, error) {
	if len(a) < len(b) {
		a, b = b, a
	}
	if !slices.Equal(a[len(a)-len(b):], b) {
		return nil, fmt.Errorf("children carry batch shapes %s and %s, which do not broadcast", shapeString(a), shapeString(b))
	}
	return a, nil
}

// growBatch gives a child the full batch shape by multiplying it with ones
// over the leading batch dims it lacks.
func growBatch(r expanded, batch []int) (expanded, error) {
	extra := len(batch) - len(r.batch)
	ones, err := NewScalar(1, batch[:extra], "")
	if err != nil {
		return expanded{}, err
	}
	rank := r.c.Rank()
	in := make([]int, rank)
	out := make([]int, 0, extra+rank)
	lead := make([]int, extra)
	for i := range lead {
		lead[i] = rank + i
	}
	for i := range in {
		in[i] = i
	}
	out = append(append(out, lead...), in...)
	e, err := NewEinsum("", [][]int{in, lead}, out, r.c, ones)
	if err != nil {
		return expanded{}, err
	}
	return expanded{c: e, batch: cloneInts(batch)}, nil
}

// checkFixedIndex refuses to rebuild an Index whose indexed (not fully
// sliced) axis changed size: the positions were chosen for the old size
// (rust_circuit's ExpandFixedIndexError).
func checkFixedIndex(c Circuit, cs []Circuit) error {
	ix, ok := c.(*Index)
	if !ok {
		return nil
	}
	old, now := ix.Children()[0].Shape(), cs[0].Shape()
	if len(old) != len(now) {
		return nil
	}
	for i, a := range ix.Idx {
		if a.Kind == IndexSlice && a.Start == nil && a.Stop == nil {
			continue
		}
		if old[i] != now[i] {
			return fmt.Errorf("ExpandFixedIndexError: %s indexes axis %d with %s, fixed for size %s, but the axis now has size %s", Label(c), i, FormatIndex([]AxisIndex{a}), FormatSize(old[i]), FormatSize(now[i]))
		}
	}
	return nil
}
