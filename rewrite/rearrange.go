package rewrite

import (
	"sort"

	"github.com/circopt/circopt/circuit"
)

// RearrangeElimIdentity replaces a Rearrange whose input and output groups
// are the same id lists in the same order by its input.
func RearrangeElimIdentity(c circuit.Circuit) (circuit.Circuit, bool, error) {
	r, isR := c.(*circuit.Rearrange)
	if !isR {
		return nil, false, nil
	}
	sp := r.Spec
	if len(sp.In) != len(sp.Out) {
		return nil, false, nil
	}
	for i := range sp.In {
		if !sameInts(sp.In[i], sp.Out[i]) {
			return nil, false, nil
		}
	}
	return r.Children()[0], true, nil
}

// refine splits one axis of total size N, factored (major first) as the
// sizes as and bs, into their common refinement. It returns, per factor of
// each side, the sizes of its pieces, or false when no common refinement
// exists (the boundaries must form a divisibility chain).
func refine(as, bs []int) ([][]int, [][]int, bool) {
	bounds := func(fs []int) []int {
		p, out := 1, []int{1}
		for _, f := range fs {
			p *= f
			out = append(out, p)
		}
		return out
	}
	set := map[int]bool{}
	for _, b := range append(bounds(as), bounds(bs)...) {
		set[b] = true
	}
	var all []int
	for b := range set {
		all = append(all, b)
	}
	sort.Ints(all)
	for i := 1; i < len(all); i++ {
		if all[i]%all[i-1] != 0 {
			return nil, nil, false
		}
	}
	pieces := func(fs []int) [][]int {
		out := make([][]int, len(fs))
		lo := 1
		for i, f := range fs {
			hi := lo * f
			for _, b := range all {
				if b > lo && b <= hi {
					out[i] = append(out[i], b/lo)
					lo = b
				}
			}
			lo = hi
		}
		return out
	}
	return pieces(as), pieces(bs), true
}

// RearrangeFuse composes a Rearrange of a Rearrange into one. Both specs
// are read as products of atomic axes (ids, sizes conformed); size-1 atoms
// are dropped; each intermediate axis gets the common refinement of the
// inner output factorization and the outer input factorization. It does not
// apply when no refinement exists (e.g. "(a b)" regrouped as "(b a)") or
// an axis has size 0.
func RearrangeFuse(c circuit.Circuit) (circuit.Circuit, bool, error) {
	outer, isR := c.(*circuit.Rearrange)
	if !isR {
		return nil, false, nil
	}
	inner, isR := outer.Children()[0].(*circuit.Rearrange)
	if !isR {
		return nil, false, nil
	}
	s1, s2 := inner.AxisSizes(), outer.AxisSizes()
	for _, s := range append(append([]int(nil), s1...), s2...) {
		if s == 0 {
			return nil, false, nil
		}
	}
	big := func(g []int, sizes []int) []int {
		var out []int
		for _, id := range g {
			if sizes[id] != 1 {
				out = append(out, id)
			}
		}
		return out
	}
	var sizes []int
	newIDs := func(ps []int) []int {
		out := make([]int, len(ps))
		for i, p := range ps {
			out[i] = len(sizes)
			sizes = append(sizes, p)
		}
		return out
	}
	innerPieces := map[int][]int{}
	outerPieces := map[int][]int{}
	for j, g := range inner.Spec.Out {
		a := big(g, s1)
		b := big(outer.Spec.In[j], s2)
		as, bs := make([]int, len(a)), make([]int, len(b))
		for k, id := range a {
			as[k] = s1[id]
		}
		for k, id := range b {
			bs[k] = s2[id]
		}
		pa, pb, ok := refine(as, bs)
		if !ok {
			return nil, false, nil
		}
		// both sides name the same pieces, in order
		var flat []int
		for _, ps := range pa {
			flat = append(flat, ps...)
		}
		ids := newIDs(flat)
		k := 0
		for x, ps := range pa {
			innerPieces[a[x]] = ids[k : k+len(ps)]
			k += len(ps)
		}
		k = 0
		for x, ps := range pb {
			outerPieces[b[x]] = ids[k : k+len(ps)]
			k += len(ps)
		}
	}
	sp := circuit.RearrangeSpec{}
	for _, g := range inner.Spec.In {
		grp := []int{}
		for _, id := range big(g, s1) {
			grp = append(grp, innerPieces[id]...)
		}
		sp.In = append(sp.In, grp)
	}
	inOuter := map[int]bool{}
	for _, g := range outer.Spec.In {
		for _, id := range g {
			inOuter[id] = true
		}
	}
	for _, g := range outer.Spec.Out {
		grp := []int{}
		for _, id := range big(g, s2) {
			if inOuter[id] {
				grp = append(grp, outerPieces[id]...)
			} else {
				grp = append(grp, newIDs([]int{s2[id]})...)
			}
		}
		sp.Out = append(sp.Out, grp)
	}
	sp.Sizes = sizes
	r, err := ok(circuit.NewRearrange(resultName(outer), sp, inner.Children()[0]))
	return r, err == nil, err
}
