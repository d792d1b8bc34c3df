package rewrite

import (
	"bytes"
	"sort"

	"github.com/circopt/circopt/circuit"
)

func hashLess(a, b circuit.Circuit) bool {
	ha, hb := a.Hash(), b.Hash()
	return bytes.Compare(ha[:], hb[:]) < 0
}

// canonicalIndex writes each axis index in one form: integers and tensor
// positions non-negative, whole axes as ":", contiguous runs as slices.
func canonicalIndex(idx []circuit.AxisIndex, shape []int) []circuit.AxisIndex {
	out := make([]circuit.AxisIndex, len(idx))
	for i, a := range idx {
		pos, err := a.Resolve(shape[i])
		if err != nil {
			return idx
		}
		if a.Kind == circuit.IndexInt {
			out[i] = circuit.Int(pos[0])
			continue
		}
		out[i] = positionsIndex(pos, shape[i])
	}
	return out
}

// canonicalNode canonicalizes one node over already canonical children.
func canonicalNode(c circuit.Circuit, kids []circuit.Circuit) (circuit.Circuit, error) {
	name := resultName(c)
	switch n := c.(type) {
	case *circuit.Add:
		sorted := append([]circuit.Circuit(nil), kids...)
		sort.SliceStable(sorted, func(i, j int) bool { return hashLess(sorted[i], sorted[j]) })
		if sameCircuits(sorted, n.Children()) {
			return c, nil
		}
		a, err := circuit.NewAdd(name, sorted...)
		return keepFlags(c, a, err)
	case *circuit.Einsum:
		order := make([]int, len(kids))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(i, j int) bool { return hashLess(kids[order[i]], kids[order[j]]) })
		e, err := bestEinsumOrder(n, kids, order, name)
		if err != nil {
			return nil, err
		}
		if e.Hash() == c.Hash() {
			return c, nil
		}
		return keepFlags(c, e, nil)
	case *circuit.Index:
		idx := canonicalIndex(n.Idx, kids[0].Shape())
		x, err := circuit.NewIndex(name, idx, kids[0])
		if err != nil {
			return nil, err
		}
		if x.Hash() == c.Hash() {
			return c, nil
		}
		return keepFlags(c, x, nil)
	}
	return withChildren(c, kids)
}

// keepFlags keeps a node's explicit "no autoname" flag on its replacement.
func keepFlags(old circuit.Circuit, n circuit.Circuit, err error) (circuit.Circuit, error) {
	if err != nil {
		return nil, err
	}
	if old.AutonameDisabled() && old.Name() == "" && n.Name() != "" {
		return n.Rename(""), nil
	}
	return n, nil
}

// DeepCanonicalize puts c in a canonical form all the way down: Add terms
// sorted by hash, Einsum operands sorted by hash (labels renumbered by
// first appearance, as the constructor does), Index axes written in one
// form. Circuits equal up to these reorderings canonicalize to one circuit.
func DeepCanonicalize(c circuit.Circuit) (circuit.Circuit, error) {
	return mapBottomUp(c, canonicalNode)
}

// DeepCanonicalizeRule canonicalizes the subtree at c; it applies when that
// changes anything.
func DeepCanonicalizeRule(c circuit.Circuit) (circuit.Circuit, bool, error) {
	r, err := DeepCanonicalize(c)
	if err != nil || circuit.Equal(r, c) {
		return nil, false, err
	}
	return r, true, nil
}

// bestEinsumOrder builds the einsum with operands in the given hash order;
// operands with equal hashes (x·xᵀ) are ordered to give the smallest
// relabelled spec, trying every arrangement of each tie while that stays
// cheap, so the result does not depend on the input order.
func bestEinsumOrder(n *circuit.Einsum, kids []circuit.Circuit, order []int, name string) (*circuit.Einsum, error) {
	build := func(order []int) (*circuit.Einsum, error) {
		ks := make([]circuit.Circuit, len(order))
		axes := make([][]int, len(order))
		for i, o := range order {
			ks[i], axes[i] = kids[o], n.Axes[o]
		}
		return circuit.NewEinsum(name, axes, n.Out, ks...)
	}
	best, err := build(order)
	if err != nil {
		return nil, err
	}
	budget := 720
	for lo := 0; lo < len(order); {
		hi := lo + 1
		for hi < len(order) && kids[order[hi]].Hash() == kids[order[lo]].Hash() {
			hi++
		}
		if hi-lo > 1 && factorial(hi-lo) <= budget {
			budget /= factorial(hi - lo)
			cur := append([]int(nil), order...)
			var bestOrder []int
			permute(cur[lo:hi], 0, func() {
				e, err := build(cur)
				if err == nil && e.Spec() < best.Spec() {
					best, bestOrder = e, append([]int(nil), cur...)
				}
			})
			if bestOrder != nil {
				order = bestOrder
			}
		}
		lo = hi
	}
	return best, nil
}

func factorial(n int) int {
	f := 1
	for i := 2; i <= n; i++ {
		f *= i
	}
	return f
}

// permute calls visit with s in every order (swapping in place).
func permute(s []int, k int, visit func()) {
	if k == len(s) {
		visit()
		return
	}
	for i := k; i < len(s); i++ {
		s[k], s[i] = s[i], s[k]
		permute(s, k+1, visit)
		s[k], s[i] = s[i], s[k]
	}
}
