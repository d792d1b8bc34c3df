package rewrite

import (
	"testing"

	"github.com/circopt/circopt/circuit"
	"pgregory.net/rapid"
)

// shuffle rebuilds c with Add terms and Einsum operands in a random order.
func (g *gen) shuffle(c circuit.Circuit) circuit.Circuit {
	r, err := mapBottomUp(c, func(c circuit.Circuit, kids []circuit.Circuit) (circuit.Circuit, error) {
		switch n := c.(type) {
		case *circuit.Add:
			return ok(circuit.NewAdd(resultName(n), rapid.Permutation(kids).Draw(g.t, "addorder")...))
		case *circuit.Einsum:
			ids := make([]int, len(kids))
			for i := range ids {
				ids[i] = i
			}
			order := rapid.Permutation(ids).Draw(g.t, "einorder")
			ks := make([]circuit.Circuit, len(kids))
			axes := make([][]int, len(kids))
			for i, o := range order {
				ks[i], axes[i] = kids[o], n.Axes[o]
			}
			return ok(circuit.NewEinsum(resultName(n), axes, n.Out, ks...))
		}
		return withChildren(c, kids)
	})
	if err != nil {
		g.t.Fatalf("%v", err)
	}
	return r
}

func TestDeepCanonicalizeProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		c := must(StripNamesAndTags(g.circuit(g.shape(0, 2, 3), 3)))
		a := must(DeepCanonicalize(c))
		sameValue(rt, c, a)
		b := must(DeepCanonicalize(g.shuffle(c)))
		if !circuit.Equal(a, b) {
			rt.Fatalf("reordered circuits canonicalize differently:\n%s\n%s", show(a), show(b))
		}
		if again := must(DeepCanonicalize(a)); !circuit.Equal(again, a) {
			rt.Fatalf("not idempotent:\n%s\n%s", show(a), show(again))
		}
	})
}

func TestDeepCanonicalizeString(t *testing.T) {
	x, y := rnd(t, "x", 1, 3), rnd(t, "y", 2, 3)
	xy := must(circuit.NewAdd("", x, y))
	yx := must(circuit.NewAdd("", y, x))
	a, b := must(DeepCanonicalize(xy)), must(DeepCanonicalize(yx))
	if !circuit.Equal(a, b) {
		t.Fatalf("%s vs %s", show(a), show(b))
	}
	// the automatic name follows the new order
	if want := a.Children()[0].Name() + " + " + a.Children()[1].Name(); a.Name() != want {
		t.Fatalf("name %q, want %q", a.Name(), want)
	}
	idx := must(circuit.NewIndex("", []circuit.AxisIndex{circuit.Positions(-3, -2)}, x))
	r := fires(t, DeepCanonicalizeRule, idx)
	if got, want := show(r), "(idx [0:2] x)"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestDeepCanonicalizeEqualOperands(t *testing.T) {
	x := rnd(t, "x", 1, 2, 3)
	a := must(circuit.NewEinsumSpec("", "ab,cb->ac", x, x))
	b := must(circuit.NewEinsumSpec("", "cb,ab->ac", x, x))
	ca, cb := must(DeepCanonicalize(a)), must(DeepCanonicalize(b))
	if !circuit.Equal(ca, cb) {
		t.Fatalf("%s vs %s", show(ca), show(cb))
	}
	sameValue(t, a, ca)
	sameValue(t, b, cb)
}
