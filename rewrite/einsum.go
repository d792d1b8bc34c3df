package rewrite

import (
	"github.com/circopt/circopt/circuit"
)

// unionFind merges einsum labels that flattening forces equal.
type unionFind []int

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = i
	}
	return u
}

func (u unionFind) find(x int) int {
	for u[x] != x {
		u[x] = u[u[x]]
		x = u[x]
	}
	return x
}

func (u unionFind) union(a, b int) { u[u.find(a)] = u.find(b) }

// EinsumFlatten merges Einsum operands into their parent. The inner
// einsum's output labels are identified with the outer labels of that
// operand (a repeated label on either side forces labels equal, which is
// exactly the diagonal the inner or outer einsum takes or embeds); the
// inner summed labels get fresh labels.
func EinsumFlatten(c circuit.Circuit) (circuit.Circuit, bool, error) {
	e, isEinsum := c.(*circuit.Einsum)
	if !isEinsum {
		return nil, false, nil
	}
	any := false
	next := 0
	for _, ax := range e.Axes {
		for _, l := range ax {
			next = max(next, l+1)
		}
	}
	for _, l := range e.Out {
		next = max(next, l+1)
	}
	// offsets[i] is where operand i's inner labels start in the global space
	offsets := make([]int, len(e.Children()))
	for i, ch := range e.Children() {
		if inner, ok := ch.(*circuit.Einsum); ok {
			any = true
			offsets[i] = next
			n := 0
			for _, ax := range inner.Axes {
				for _, l := range ax {
					n = max(n, l+1)
				}
			}
			for _, l := range inner.Out {
				n = max(n, l+1)
			}
			next += n
		}
	}
	if !any {
		return nil, false, nil
	}
	uf := newUnionFind(next)
	for i, ch := range e.Children() {
		if inner, ok := ch.(*circuit.Einsum); ok {
			for j, l := range inner.Out {
				uf.union(offsets[i]+l, e.Axes[i][j])
			}
		}
	}
	var axes [][]int
	var kids []circuit.Circuit
	relabel := func(ls []int, off int) []int {
		out := make([]int, len(ls))
		for k, l := range ls {
			out[k] = uf.find(off + l)
		}
		return out
	}
	for i, ch := range e.Children() {
		if inner, ok := ch.(*circuit.Einsum); ok {
			for k, g := range inner.Children() {
				axes = append(axes, relabel(inner.Axes[k], offsets[i]))
				kids = append(kids, g)
			}
			continue
		}
		axes = append(axes, relabel(e.Axes[i], 0))
		kids = append(kids, ch)
	}
	out := relabel(e.Out, 0)
	if countLabels(axes) > circuit.MaxEinsumLabels {
		return nil, false, nil
	}
	r, err := ok(circuit.NewEinsum(resultName(e), axes, out, kids...))
	return r, err == nil, err
}

func countLabels(axes [][]int) int {
	seen := map[int]bool{}
	for _, ax := range axes {
		for _, l := range ax {
			seen[l] = true
		}
	}
	return len(seen)
}

// EinsumElimIdentity replaces an Einsum that returns its single operand
// unchanged (same distinct labels in the same order) by that operand, and
// an Einsum of no operands by the Scalar 1.
func EinsumElimIdentity(c circuit.Circuit) (circuit.Circuit, bool, error) {
	e, isEinsum := c.(*circuit.Einsum)
	if !isEinsum {
		return nil, false, nil
	}
	switch {
	case len(e.Children()) == 0:
		r, err := ok(circuit.NewScalar(1, nil, e.Name()))
		return r, err == nil, err
	case len(e.Children()) == 1 && sameInts(e.Axes[0], e.Out) && distinct(e.Out):
		return e.Children()[0], true, nil
	}
	return nil, false, nil
}

// EinsumElimZero replaces an Einsum with a zero Scalar operand by a zero
// Scalar of its shape (as rust_circuit does, ignoring infinities elsewhere).
func EinsumElimZero(c circuit.Circuit) (circuit.Circuit, bool, error) {
	e, isEinsum := c.(*circuit.Einsum)
	if !isEinsum {
		return nil, false, nil
	}
	for _, ch := range e.Children() {
		if s, ok := ch.(*circuit.Scalar); ok && s.Value == 0 {
			r, err := circuit.NewScalar(0, e.Shape(), resultName(e))
			if err != nil {
				return nil, false, err
			}
			return r, true, nil
		}
	}
	return nil, false, nil
}

// EinsumMergeScalars multiplies the Scalar operands that carry no size
// information (rank 0, or every label also on a non-Scalar operand) into
// one rank-0 Scalar, dropped when the product is 1 and other operands remain.
func EinsumMergeScalars(c circuit.Circuit) (circuit.Circuit, bool, error) {
	e, isEinsum := c.(*circuit.Einsum)
	if !isEinsum {
		return nil, false, nil
	}
	onOther := map[int]bool{}
	for i, ch := range e.Children() {
		if ch.Kind() != circuit.KindScalar {
			for _, l := range e.Axes[i] {
				onOther[l] = true
			}
		}
	}
	var kids []circuit.Circuit
	var axes [][]int
	prod, n, ranked := 1.0, 0, false
	for i, ch := range e.Children() {
		if s, ok := ch.(*circuit.Scalar); ok {
			free := true
			for _, l := range e.Axes[i] {
				free = free && onOther[l]
			}
			if free {
				prod *= s.Value
				n++
				ranked = ranked || s.Rank() > 0
				continue
			}
		}
		kids = append(kids, ch)
		axes = append(axes, e.Axes[i])
	}
	switch {
	case n == 0:
		return nil, false, nil
	case n == 1 && !ranked && (prod != 1 || len(kids) == 0):
		return nil, false, nil
	}
	if prod != 1 || len(kids) == 0 {
		s, err := circuit.NewScalar(prod, nil, "")
		if err != nil {
			return nil, false, err
		}
		kids = append(kids, s)
		axes = append(axes, []int{})
	}
	r, err := ok(circuit.NewEinsum(resultName(e), axes, e.Out, kids...))
	return r, err == nil, err
}

// EinsumOfPermuteMerge absorbs operands that are permuting Rearranges: the
// rearrange's input axis perm[i] gets the label of its output axis i.
func EinsumOfPermuteMerge(c circuit.Circuit) (circuit.Circuit, bool, error) {
	e, isEinsum := c.(*circuit.Einsum)
	if !isEinsum {
		return nil, false, nil
	}
	did := false
	kids := make([]circuit.Circuit, len(e.Children()))
	axes := make([][]int, len(e.Children()))
	for i, ch := range e.Children() {
		kids[i], axes[i] = ch, e.Axes[i]
		r, isR := ch.(*circuit.Rearrange)
		if !isR {
			continue
		}
		perm := r.Spec.Permutation()
		if perm == nil {
			continue
		}
		did = true
		ls := make([]int, len(perm))
		for k, p := range perm {
			ls[p] = e.Axes[i][k]
		}
		kids[i], axes[i] = r.Children()[0], ls
	}
	if !did {
		return nil, false, nil
	}
	r, err := ok(circuit.NewEinsum(resultName(e), axes, e.Out, kids...))
	return r, err == nil, err
}

// PermuteOfEinsumMerge absorbs a permuting Rearrange of an Einsum into the
// einsum's output labels.
func PermuteOfEinsumMerge(c circuit.Circuit) (circuit.Circuit, bool, error) {
	r, isR := c.(*circuit.Rearrange)
	if !isR {
		return nil, false, nil
	}
	e, isEinsum := r.Children()[0].(*circuit.Einsum)
	perm := r.Spec.Permutation()
	if !isEinsum || perm == nil {
		return nil, false, nil
	}
	out := make([]int, len(perm))
	for i, p := range perm {
		out[i] = e.Out[p]
	}
	res, err := ok(circuit.NewEinsum(resultName(r), e.Axes, out, e.Children()...))
	return res, err == nil, err
}

// EinsumPermuteToRearrange turns an Einsum that only permutes its single
// operand (distinct labels, nothing summed, not the identity) into a
// permuting Rearrange.
func EinsumPermuteToRearrange(c circuit.Circuit) (circuit.Circuit, bool, error) {
	e, isEinsum := c.(*circuit.Einsum)
	if !isEinsum || len(e.Children()) != 1 {
		return nil, false, nil
	}
	in := e.Axes[0]
	if len(in) != len(e.Out) || !distinct(in) || !distinct(e.Out) || sameInts(in, e.Out) {
		return nil, false, nil
	}
	pos := map[int]int{}
	for i, l := range in {
		pos[l] = i
	}
	perm := make([]int, len(e.Out))
	for i, l := range e.Out {
		p, found := pos[l]
		if !found {
			return nil, false, nil
		}
		perm[i] = p
	}
	r, err := ok(circuit.Permute(resultName(e), e.Children()[0], perm...))
	return r, err == nil, err
}
