package rewrite

import (
	"testing"

	"github.com/circopt/circopt/circuit"
	"pgregory.net/rapid"
)

// outerSpecOver draws a spec whose input groups split each axis of the
// inner output along the inner atoms (blocks of consecutive atoms, and a
// size-4 atom sometimes into 2·2), so a common refinement exists.
func (g *gen) outerSpecOver(inner circuit.RearrangeSpec, sizes []int) circuit.RearrangeSpec {
	sp := circuit.RearrangeSpec{}
	var ids []int
	for _, grp := range inner.Out {
		var atoms []int
		for _, id := range grp {
			if sizes[id] == 4 && g.bool("split4") {
				atoms = append(atoms, 2, 2)
				continue
			}
			atoms = append(atoms, sizes[id])
		}
		in := []int{}
		block := 1
		for k, a := range atoms {
			block *= a
			if k == len(atoms)-1 || g.bool("blockcut") {
				id := len(sp.Sizes)
				sp.Sizes = append(sp.Sizes, block)
				in = append(in, id)
				ids = append(ids, id)
				block = 1
			}
		}
		sp.In = append(sp.In, in)
	}
	out := rapid.Permutation(ids).Draw(g.t, "outerperm")
	if g.bool("outerrepeat") {
		id := len(sp.Sizes)
		sp.Sizes = append(sp.Sizes, 2)
		out = append(out, id)
	}
	sp.Out = g.groups(out)
	return sp
}

func TestRearrangeFuseProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		sp1, in := g.rearrangeSpec()
		x := g.array(in)
		r1 := must(circuit.NewRearrange("", sp1, x))
		sp2 := g.outerSpecOver(sp1, r1.AxisSizes())
		r2 := must(circuit.NewRearrange("", sp2, r1))
		r := fires(rt, RearrangeFuse, r2)
		if r.Kind() != circuit.KindRearrange || !circuit.Equal(r.Children()[0], x) {
			rt.Fatalf("want one Rearrange of x, got %s", show(r))
		}
	})
}

func TestRearrangeFuseString(t *testing.T) {
	x := rnd(t, "x", 1, 6, 5)
	inner := must(circuit.NewRearrangeString("", "(a:2 b) c -> c a b", x))
	outer := must(circuit.NewRearrangeString("", "c a b -> (a b) c", inner))
	r := fires(t, RearrangeFuse, outer)
	if got, want := show(r), `(rearrange "(a:2 b:3) c:5 -> (a:2 b:3) c:5" x)`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// the round trip is the identity, which is then eliminated
	if got := fires(t, RearrangeElimIdentity, r); !circuit.Equal(got, x) {
		t.Fatalf("got %s", show(got))
	}
	// a split then a regrouping in the other order fuses into one permute
	y := rnd(t, "y", 2, 6)
	split := must(circuit.NewRearrangeString("", "(a:2 b:3) -> a b", y))
	swap := must(circuit.NewRearrangeString("", "a b -> (b a)", split))
	r = fires(t, RearrangeFuse, swap)
	if got, want := show(r), `(rearrange "(a:2 b:3) -> (b:3 a:2)" y)`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// merging (a:2 b:3) then splitting as (c:3 d:2) has no common refinement
	merge := must(circuit.NewRearrangeString("", "a b -> (a b)", split))
	resplit := must(circuit.NewRearrangeString("", "(c:3 d:2) -> c d", merge))
	doesNotFire(t, RearrangeFuse, resplit)
	// a size-4 axis split 2·2 by the outer spec refines the inner atom
	z := rnd(t, "z", 3, 4, 3)
	perm := must(circuit.NewRearrangeString("", "a b -> b a", z))
	quarter := must(circuit.NewRearrangeString("", "b (c:2 d) -> d b c", perm))
	r = fires(t, RearrangeFuse, quarter)
	if got, want := show(r), `(rearrange "(a:2 b:2) c:3 -> b:2 c:3 a:2" z)`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestRearrangeElimIdentityProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		sp, in := g.rearrangeSpec()
		id := circuit.RearrangeSpec{In: sp.In, Out: sp.In, Sizes: sp.Sizes}
		x := g.array(in)
		r := fires(rt, RearrangeElimIdentity, must(circuit.NewRearrange("", id, x)))
		if !circuit.Equal(r, x) {
			rt.Fatalf("got %s", show(r))
		}
	})
}
