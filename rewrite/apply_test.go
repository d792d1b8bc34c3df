package rewrite

import (
	"errors"
	"testing"

	"github.com/circopt/circopt/circuit"
	"pgregory.net/rapid"
)

func TestApplyProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		c := g.circuit(g.shape(0, 3, 3), 3)
		names := rapid.SliceOfN(rapid.SampledFrom(RuleNames()), 1, 3).Draw(rt, "rules")
		r, n, err := Apply(c, names, nil)
		var se *StopError
		if errors.As(err, &se) {
			// distribute_once and push_down_index may keep growing; the bound stops them
			return
		}
		if err != nil {
			rt.Fatalf("%v", err)
		}
		if (n == 0) != circuit.Equal(r, c) {
			rt.Fatalf("%d applications but equal=%v", n, circuit.Equal(r, c))
		}
		sameValue(rt, c, r)
	})
}

func TestApplyAt(t *testing.T) {
	x, y := rnd(t, "x", 1, 2), rnd(t, "y", 2, 2)
	a := must(circuit.NewAdd("a", must(circuit.NewAdd("", x, y)), x))
	b := must(circuit.NewAdd("b", must(circuit.NewAdd("", x, y)), y))
	root := must(circuit.NewConcat("root", 0, a, b))
	r, n, err := Apply(root, []string{"add_flatten"}, func(c circuit.Circuit) bool { return c.Name() == "a" })
	if err != nil || n != 1 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if got, want := show(r), "(concat 0 (+ x y x) (+ (+ x y) y))"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	r, n, err = Apply(root, []string{"add_flatten", "add_deduplicate"}, nil)
	if err != nil || n != 4 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if got, want := show(r), "(concat 0 (+ (einsum a,->a x 2) y) (+ x (einsum a,->a y 2)))"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	sameValue(t, root, r)
	if r.Children()[0].Name() != "a" || r.Name() != "root" {
		t.Fatalf("names %q %q", r.Name(), r.Children()[0].Name())
	}
	if _, _, err := Apply(root, []string{"bogus"}, nil); err == nil {
		t.Fatal("unknown rule must be an error")
	}
	if _, _, err := Apply(root, nil, nil); err == nil {
		t.Fatal("no rules must be an error")
	}
}

func TestApplyDistributeEverywhere(t *testing.T) {
	a, b := rnd(t, "a", 1, 2), rnd(t, "b", 2, 2)
	c, d := rnd(t, "c", 3, 2), rnd(t, "d", 4, 2)
	e := must(circuit.NewEinsumSpec("", "i,i->", must(circuit.NewAdd("", a, b)), must(circuit.NewAdd("", c, d))))
	r, n, err := Apply(e, []string{"distribute_once", "add_flatten"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := show(r), "(+ (einsum a,a-> a c) (einsum a,a-> a d) (einsum a,a-> b c) (einsum a,a-> b d))"; got != want {
		t.Fatalf("got  %s\nwant %s (%d)", got, want, n)
	}
	sameValue(t, e, r)
}
