package rewrite

import (
	"testing"

	"github.com/circopt/circopt/circuit"
	"pgregory.net/rapid"
)

func TestEinsumFlattenProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		out := g.shape(0, 3, 3)
		e := g.einsumOver(out, true, 2)
		hasInner := false
		for _, ch := range e.Children() {
			hasInner = hasInner || ch.Kind() == circuit.KindEinsum
		}
		if !hasInner {
			// force one nested operand
			inner := g.einsumOver(e.Children()[0].Shape(), true, 1)
			kids := append([]circuit.Circuit{inner}, e.Children()[1:]...)
			e = must(circuit.NewEinsum("", e.Axes, e.Out, kids...))
		}
		r := fires(rt, EinsumFlatten, e)
		// bottom-up flattening leaves no einsum operand
		flat, _, err := Apply(r, []string{"einsum_flatten"}, nil)
		if err != nil {
			rt.Fatalf("%v", err)
		}
		for _, ch := range flat.Children() {
			if ch.Kind() == circuit.KindEinsum {
				rt.Fatalf("einsum operand left after flattening: %s", show(flat))
			}
		}
		sameValue(rt, e, flat)
	})
}

func TestEinsumFlattenString(t *testing.T) {
	x, y, z := rnd(t, "x", 1, 2, 3), rnd(t, "y", 2, 3, 4), rnd(t, "z", 3, 4)
	inner := must(circuit.NewEinsumSpec("", "ab,bc->ac", x, y))
	outer := must(circuit.NewEinsumSpec("out", "ac,c->a", inner, z))
	r := fires(t, EinsumFlatten, outer)
	if got, want := show(r), "(einsum ab,bc,c->a x y z)"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if r.Name() != "out" {
		t.Fatalf("name %q, want out", r.Name())
	}
	// an inner diagonal embedding forces the outer labels together
	d := rnd(t, "d", 4, 3)
	emb := must(circuit.NewEinsumSpec("", "a->aa", d))
	tr := must(circuit.NewEinsumSpec("", "ab->", emb))
	r = fires(t, EinsumFlatten, tr)
	if got, want := show(r), "(einsum a-> d)"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestEinsumElimIdentityProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		x := g.array(g.shape(0, 3, 3))
		l := make([]int, x.Rank())
		for i := range l {
			l[i] = i
		}
		e := must(circuit.NewEinsum("e", [][]int{l}, l, x))
		r := fires(rt, EinsumElimIdentity, e)
		if !circuit.Equal(r, x) {
			rt.Fatalf("want x unchanged, got %s %q", show(r), r.Name())
		}
	})
	r := fires(t, EinsumElimIdentity, must(circuit.NewEinsum("one", nil, nil)))
	if show(r) != "1" {
		t.Fatalf("got %s", show(r))
	}
	doesNotFire(t, EinsumElimIdentity, must(circuit.NewEinsumSpec("", "ab->ba", rnd(t, "x", 1, 2, 3))))
	doesNotFire(t, EinsumElimIdentity, must(circuit.NewEinsumSpec("", "aa->aa", rnd(t, "x", 1, 2, 2))))
}

func TestEinsumElimZeroProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		e := g.einsumOver(g.shape(0, 3, 3), true, 0)
		axes := append(append([][]int(nil), e.Axes...), []int{})
		kids := append(append([]circuit.Circuit(nil), e.Children()...), g.scalar(0, nil))
		c := must(circuit.NewEinsum("", axes, e.Out, kids...))
		r := fires(rt, EinsumElimZero, c)
		if r.Kind() != circuit.KindScalar {
			rt.Fatalf("want a Scalar, got %s", show(r))
		}
	})
}

func TestEinsumMergeScalarsProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		e := g.einsumOver(g.shape(0, 3, 3), true, 0)
		axes := append([][]int(nil), e.Axes...)
		kids := append([]circuit.Circuit(nil), e.Children()...)
		n := g.intn(1, 3, "nscalars")
		for i := 0; i < n; i++ {
			v := rapid.Float64Range(-2, 2).Draw(rt, "v")
			if n == 1 {
				v = 1
			}
			kids = append(kids, g.scalar(v, nil))
			axes = append(axes, []int{})
		}
		// a ranked scalar over a label some operand carries
		if len(e.Axes[0]) > 0 && g.bool("ranked") {
			l := e.Axes[0][0]
			kids = append(kids, g.scalar(rapid.Float64Range(-2, 2).Draw(rt, "w"), []int{e.Children()[0].Shape()[0]}))
			axes = append(axes, []int{l})
		}
		c := must(circuit.NewEinsum("", axes, e.Out, kids...))
		r := fires(rt, EinsumMergeScalars, c).(*circuit.Einsum)
		scalars := 0
		for _, ch := range r.Children() {
			if ch.Kind() == circuit.KindScalar {
				scalars++
			}
		}
		if scalars > 1 {
			rt.Fatalf("more than one scalar left: %s", show(r))
		}
	})
}

func TestEinsumOfPermuteMergeProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		e := g.einsumOver(g.shape(0, 3, 3), true, 0)
		k := g.intn(0, len(e.Children())-1, "operand")
		x := e.Children()[k]
		ids := make([]int, x.Rank())
		for i := range ids {
			ids[i] = i
		}
		perm := rapid.Permutation(ids).Draw(rt, "perm")
		// the rearranged operand must carry the permuted labels' sizes
		shape := make([]int, len(perm))
		for i, p := range perm {
			shape[p] = x.Shape()[i]
		}
		base := g.array(shape)
		pm := must(circuit.Permute("", base, perm...))
		kids := append([]circuit.Circuit(nil), e.Children()...)
		kids[k] = pm
		c := must(circuit.NewEinsum("", e.Axes, e.Out, kids...))
		r := fires(rt, EinsumOfPermuteMerge, c)
		for _, ch := range r.Children() {
			if ch.Kind() == circuit.KindRearrange {
				rt.Fatalf("permute left: %s", show(r))
			}
		}
	})
}

func TestPermuteOfEinsumMergeProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		e := g.einsumOver(g.shape(0, 3, 3), true, 1)
		ids := make([]int, e.Rank())
		for i := range ids {
			ids[i] = i
		}
		perm := rapid.Permutation(ids).Draw(rt, "perm")
		c := must(circuit.Permute("p", e, perm...))
		r := fires(rt, PermuteOfEinsumMerge, c)
		if r.Kind() != circuit.KindEinsum || r.Name() != "p" {
			rt.Fatalf("want an Einsum named p, got %s %q", show(r), r.Name())
		}
	})
}

func TestEinsumPermuteToRearrangeProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		x := g.array(g.shape(2, 4, 3))
		ids := make([]int, x.Rank())
		for i := range ids {
			ids[i] = i
		}
		perm := rapid.Permutation(ids).Draw(rt, "perm")
		if sameInts(perm, ids) {
			perm[0], perm[1] = perm[1], perm[0]
		}
		c := must(circuit.NewEinsum("", [][]int{ids}, perm, x))
		r := fires(rt, EinsumPermuteToRearrange, c)
		if r.Kind() != circuit.KindRearrange {
			rt.Fatalf("want a Rearrange, got %s", show(r))
		}
		// and back: the permute merges into a parent-less einsum again
		back := must(circuit.NewEinsum("", [][]int{ids}, ids, r))
		sameValue(rt, c, fires(rt, EinsumOfPermuteMerge, back))
	})
}
