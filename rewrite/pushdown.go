package rewrite

import (
	"github.com/circopt/circopt/circuit"
)

// pusher moves one Index below its input. created records the Index nodes
// it placed on operands (candidates to push further); fresh records every
// node it built, so the full push only descends through new structure.
type pusher struct {
	stop    func(circuit.Circuit) bool
	created map[circuit.Hash]bool
	fresh   map[circuit.Hash]bool
}

func newPusher(stop func(circuit.Circuit) bool) *pusher {
	return &pusher{stop: stop, created: map[circuit.Hash]bool{}, fresh: map[circuit.Hash]bool{}}
}

func isIdentityIndex(idx []circuit.AxisIndex, shape []int) bool {
	for i, a := range idx {
		if !a.IsIdentity(shape[i]) {
			return false
		}
	}
	return true
}

// index builds idx over c, or returns c when idx keeps everything.
func (p *pusher) index(idx []circuit.AxisIndex, c circuit.Circuit, name string) (circuit.Circuit, error) {
	if isIdentityIndex(idx, c.Shape()) {
		return c, nil
	}
	x, err := circuit.NewIndex(name, idx, c)
	if err != nil {
		return nil, err
	}
	p.created[x.Hash()] = true
	p.fresh[x.Hash()] = true
	return x, nil
}

func (p *pusher) mark(c circuit.Circuit, err error) (circuit.Circuit, error) {
	if err == nil {
		p.fresh[c.Hash()] = true
	}
	return c, err
}

// once pushes x one level down. push[i] says which axes of x's input the
// node below can take; the rest stay in an Index on top.
func (p *pusher) once(x *circuit.Index) (circuit.Circuit, bool, error) {
	n := x.Children()[0]
	if p.stop != nil && p.stop(n) {
		return nil, false, nil
	}
	if s, isScalar := n.(*circuit.Scalar); isScalar {
		r, err := ok(circuit.NewScalar(s.Value, x.Shape(), resultName(x)))
		return r, err == nil, err
	}
	push := p.pushable(x, n)
	if push == nil {
		return nil, false, nil
	}
	useful := false
	bottom := make([]circuit.AxisIndex, len(x.Idx))
	var top []circuit.AxisIndex
	for i, a := range x.Idx {
		if push[i] {
			bottom[i] = a
			useful = useful || !a.IsIdentity(n.Shape()[i])
			if a.Kind != circuit.IndexInt {
				top = append(top, circuit.All())
			}
			continue
		}
		bottom[i] = circuit.All()
		top = append(top, a)
	}
	if !useful {
		return nil, false, nil
	}
	hasTop := false
	for i, a := range x.Idx {
		hasTop = hasTop || (!push[i] && !a.IsIdentity(n.Shape()[i]))
	}
	name := resultName(x)
	if hasTop {
		name = ""
	}
	below, err := p.below(n, bottom, name)
	if err != nil {
		return nil, false, err
	}
	if !hasTop {
		return below, true, nil
	}
	r, err := ok(circuit.NewIndex(resultName(x), top, below))
	if err != nil {
		return nil, false, err
	}
	p.fresh[r.Hash()] = true
	return r, true, nil
}

// pushable marks the axes of n's output an index can move below n, or nil
// when n's kind lets none through.
func (p *pusher) pushable(x *circuit.Index, n circuit.Circuit) []bool {
	r := n.Rank()
	all := func(v bool) []bool {
		m := make([]bool, r)
		for i := range m {
			m[i] = v
		}
		return m
	}
	switch n := n.(type) {
	case *circuit.Add:
		return all(true)
	case *circuit.Einsum:
		count := map[int]int{}
		for _, l := range n.Out {
			count[l]++
		}
		m := all(false)
		for i, l := range n.Out {
			m[i] = count[l] == 1
		}
		return m
	case *circuit.GeneralFunction:
		fs := n.FunctionSpec()
		switch {
		case fs.GenIndex != nil:
			return nil // its output axes are not its inputs' axes
		case fs.Arity == 2 || fs.Elementwise != nil || fs.RemovesLastDim:
			return all(true)
		case fs.LastDim:
			m := all(true)
			m[r-1] = false
			return m
		}
		return nil
	case *circuit.Rearrange:
		m := all(false)
		for j, g := range n.Spec.Out {
			if len(g) == 1 {
				for _, ig := range n.Spec.In {
					if len(ig) == 1 && ig[0] == g[0] {
						m[j] = true
					}
				}
			}
		}
		return m
	case *circuit.Concat:
		m := all(true)
		m[n.Axis] = x.Idx[n.Axis].Kind != circuit.IndexTensor
		return m
	}
	return nil
}

// below applies bottom (an index on n's output) beneath n and names the
// rebuilt node name.
func (p *pusher) below(n circuit.Circuit, bottom []circuit.AxisIndex, name string) (circuit.Circuit, error) {
	switch n := n.(type) {
	case *circuit.Add:
		kids, err := p.broadcastOperands(n.Children(), n.Shape(), bottom)
		if err != nil {
			return nil, err
		}
		return p.mark(ok(circuit.NewAdd(name, kids...)))
	case *circuit.GeneralFunction:
		fs := n.FunctionSpec()
		if fs.Arity == 2 {
			kids, err := p.broadcastOperands(n.Children(), n.Shape(), bottom)
			if err != nil {
				return nil, err
			}
			return p.mark(ok(circuit.NewGeneralFunction(name, n.Spec, kids...)))
		}
		idx := append([]circuit.AxisIndex(nil), bottom...)
		if fs.RemovesLastDim {
			idx = append(idx, circuit.All())
		}
		k, err := p.index(idx, n.Children()[0], "")
		if err != nil {
			return nil, err
		}
		return p.mark(ok(circuit.NewGeneralFunction(name, n.Spec, k)))
	case *circuit.Einsum:
		byLabel := map[int]circuit.AxisIndex{}
		for i, l := range n.Out {
			byLabel[l] = bottom[i]
		}
		kids := make([]circuit.Circuit, len(n.Children()))
		axes := make([][]int, len(n.Children()))
		for k, ch := range n.Children() {
			idx := make([]circuit.AxisIndex, len(n.Axes[k]))
			ls := []int{}
			for j, l := range n.Axes[k] {
				a, found := byLabel[l]
				if !found {
					a = circuit.All()
				}
				idx[j] = a
				if a.Kind != circuit.IndexInt {
					ls = append(ls, l)
				}
			}
			kid, err := p.index(idx, ch, "")
			if err != nil {
				return nil, err
			}
			kids[k], axes[k] = kid, ls
		}
		out := []int{}
		for i, l := range n.Out {
			if bottom[i].Kind != circuit.IndexInt {
				out = append(out, l)
			}
		}
		return p.mark(ok(circuit.NewEinsum(name, axes, out, kids...)))
	case *circuit.Rearrange:
		sp := circuit.RearrangeSpec{Sizes: append([]int(nil), n.Spec.Sizes...)}
		inAxis := map[int]int{}
		for k, g := range n.Spec.In {
			if len(g) == 1 {
				inAxis[g[0]] = k
			}
		}
		childIdx := make([]circuit.AxisIndex, len(n.Spec.In))
		for k := range childIdx {
			childIdx[k] = circuit.All()
		}
		dropIn := map[int]bool{}
		for j, g := range n.Spec.Out {
			a := bottom[j]
			if a.IsIdentity(n.Shape()[j]) {
				sp.Out = append(sp.Out, g)
				continue
			}
			k := inAxis[g[0]]
			childIdx[k] = a
			if a.Kind == circuit.IndexInt {
				dropIn[k] = true
				continue
			}
			sp.Sizes[g[0]] = -1
			sp.Out = append(sp.Out, g)
		}
		for k, g := range n.Spec.In {
			if !dropIn[k] {
				sp.In = append(sp.In, g)
			}
		}
		if sp.Out == nil {
			sp.Out = [][]int{}
		}
		k, err := p.index(childIdx, n.Children()[0], "")
		if err != nil {
			return nil, err
		}
		return p.mark(ok(circuit.NewRearrange(name, compactSpec(sp), k)))
	case *circuit.Concat:
		return p.concat(n, bottom, name)
	}
	return nil, errNoPush
}

// broadcastOperands indexes each operand of a broadcasting node: axes an
// operand lacks are skipped, and a size-1 axis that broadcasts takes
// position 0 for an integer index and stays whole otherwise.
func (p *pusher) broadcastOperands(ops []circuit.Circuit, shape []int, bottom []circuit.AxisIndex) ([]circuit.Circuit, error) {
	kids := make([]circuit.Circuit, len(ops))
	for k, op := range ops {
		lead := len(shape) - op.Rank()
		idx := make([]circuit.AxisIndex, op.Rank())
		for j, d := range op.Shape() {
			a := bottom[lead+j]
			if d != shape[lead+j] {
				if a.Kind == circuit.IndexInt {
					a = circuit.Int(0)
				} else {
					a = circuit.All()
				}
			}
			idx[j] = a
		}
		kid, err := p.index(idx, op, "")
		if err != nil {
			return nil, err
		}
		kids[k] = kid
	}
	return kids, nil
}

// concat pushes an index into the parts of a Concat: other axes go to every
// part; an integer on the concat axis selects one part; a slice keeps the
// overlapping parts, each sliced.
func (p *pusher) concat(n *circuit.Concat, bottom []circuit.AxisIndex, name string) (circuit.Circuit, error) {
	ax := n.Axis
	a := bottom[ax]
	newAxis := ax
	for i := 0; i < ax; i++ {
		if bottom[i].Kind == circuit.IndexInt {
			newAxis--
		}
	}
	withAxis := func(v circuit.AxisIndex) []circuit.AxisIndex {
		idx := append([]circuit.AxisIndex(nil), bottom...)
		idx[ax] = v
		return idx
	}
	pos, err := a.Resolve(n.Shape()[ax])
	if err != nil {
		return nil, err
	}
	if a.Kind == circuit.IndexInt {
		off := 0
		for _, ch := range n.Children() {
			s := ch.Shape()[ax]
			if pos[0] < off+s {
				idx := withAxis(circuit.Int(pos[0] - off))
				x, err := circuit.NewIndex(name, idx, ch)
				if err != nil {
					return nil, err
				}
				p.created[x.Hash()] = true
				p.fresh[x.Hash()] = true
				return x, nil
			}
			off += s
		}
		return nil, errNoPush
	}
	lo, hi := 0, 0
	if len(pos) > 0 {
		lo, hi = pos[0], pos[len(pos)-1]+1
	}
	var kids []circuit.Circuit
	off := 0
	for _, ch := range n.Children() {
		s := ch.Shape()[ax]
		l, h := max(lo, off), min(hi, off+s)
		if l < h {
			kid, err := p.index(withAxis(circuit.Slice(l-off, h-off)), ch, "")
			if err != nil {
				return nil, err
			}
			kids = append(kids, kid)
		}
		off += s
	}
	if kids == nil {
		// an empty slice: one empty part keeps the shape
		kid, err := p.index(withAxis(circuit.Slice(0, 0)), n.Children()[0], "")
		if err != nil {
			return nil, err
		}
		kids = []circuit.Circuit{kid}
	}
	return p.mark(ok(circuit.NewConcat(name, newAxis, kids...)))
}

type pushError struct{}

func (pushError) Error() string { return "index cannot be pushed here" }

var errNoPush error = pushError{}

// PushDownIndexOnce moves an Index one level below its input: through an
// Add or pow (broadcast-aware), an Einsum (output axes whose label is not
// repeated in the output), a GeneralFunction (elementwise: every axis;
// last-dim functions: the leading axes), a Rearrange (output axes that are
// whole input axes), a Concat (any axis; on the concat axis, integers and
// slices) or a Scalar. Axes that cannot go below stay in an Index on top.
func PushDownIndexOnce(c circuit.Circuit) (circuit.Circuit, bool, error) {
	x, isIdx := c.(*circuit.Index)
	if !isIdx {
		return nil, false, nil
	}
	return newPusher(nil).once(x)
}

// PushDownIndex moves the Index x below its input as far as it goes,
// stopping at leaves, at nodes no index can pass, and at nodes for which
// stop returns true (nil: never stop). It reports whether anything moved.
func PushDownIndex(x *circuit.Index, stop func(circuit.Circuit) bool) (circuit.Circuit, bool, error) {
	return newPusher(stop).push(x)
}

func (p *pusher) push(x *circuit.Index) (circuit.Circuit, bool, error) {
	r, moved, err := p.once(x)
	if err != nil || !moved {
		return nil, moved, err
	}
	out, err := p.deep(r)
	return out, err == nil, err
}

// deep pushes the indices created by once further, descending only through
// nodes once built.
func (p *pusher) deep(c circuit.Circuit) (circuit.Circuit, error) {
	if x, isIdx := c.(*circuit.Index); isIdx && p.created[c.Hash()] {
		r, moved, err := p.push(x)
		if err != nil {
			return nil, err
		}
		if moved {
			return r, nil
		}
		return c, nil
	}
	if !p.fresh[c.Hash()] {
		return c, nil
	}
	kids := make([]circuit.Circuit, len(c.Children()))
	for i, ch := range c.Children() {
		k, err := p.deep(ch)
		if err != nil {
			return nil, err
		}
		kids[i] = k
	}
	return withChildren(c, kids)
}

// PushDownIndexRule is PushDownIndex with no stopping condition, as a Func.
func PushDownIndexRule(c circuit.Circuit) (circuit.Circuit, bool, error) {
	x, isIdx := c.(*circuit.Index)
	if !isIdx {
		return nil, false, nil
	}
	return PushDownIndex(x, nil)
}

// compactSpec renumbers a spec's axis ids densely, dropping ids that no
// group uses any more (an integer index removed them).
func compactSpec(sp circuit.RearrangeSpec) circuit.RearrangeSpec {
	re := map[int]int{}
	out := circuit.RearrangeSpec{}
	remap := func(gs [][]int) [][]int {
		res := make([][]int, len(gs))
		for i, g := range gs {
			res[i] = []int{}
			for _, id := range g {
				n, seen := re[id]
				if !seen {
					n = len(out.Sizes)
					re[id] = n
					out.Sizes = append(out.Sizes, sp.Sizes[id])
				}
				res[i] = append(res[i], n)
			}
		}
		return res
	}
	out.In = remap(sp.In)
	out.Out = remap(sp.Out)
	return out
}
