package rewrite

import (
	"testing"

	"github.com/circopt/circopt/circuit"
	"pgregory.net/rapid"
)

func TestAddFlattenProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		s := g.shape(0, 3, 3)
		inner := must(circuit.NewAdd("", g.array(g.broadcastable(s)), g.array(g.broadcastable(s))))
		var kids []circuit.Circuit
		kids = append(kids, inner, g.array(s))
		if g.bool("empty") {
			kids = append(kids, must(circuit.NewAdd("")))
		}
		c := must(circuit.NewAdd("sum", kids...))
		r := fires(rt, AddFlatten, c)
		for _, ch := range r.Children() {
			if ch.Kind() == circuit.KindAdd {
				rt.Fatalf("nested Add left: %s", show(r))
			}
		}
		if r.Name() != "sum" {
			rt.Fatalf("name %q, want sum", r.Name())
		}
		doesNotFire(rt, AddFlatten, r)
	})
}

func TestAddElimZerosProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		s := g.shape(0, 3, 3)
		c := must(circuit.NewAdd("", g.array(s), g.scalar(0, g.broadcastable(s)), g.array(g.broadcastable(s))))
		r := fires(rt, AddElimZeros, c)
		if len(r.Children()) != 2 {
			rt.Fatalf("want 2 terms, got %s", show(r))
		}
	})
	// a zero that carries the shape stays
	x := rnd(t, "x", 1, 3)
	doesNotFire(t, AddElimZeros, must(circuit.NewAdd("", x, must(circuit.NewScalar(0, []int{2, 3}, "")))))
}

func TestAddCollapseScalarInputsProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		s := g.shape(0, 3, 3)
		v1 := rapid.Float64Range(-2, 2).Draw(rt, "v1")
		v2 := rapid.Float64Range(-2, 2).Draw(rt, "v2")
		c := must(circuit.NewAdd("", g.scalar(v1, g.broadcastable(s)), g.array(s), g.scalar(v2, g.broadcastable(s))))
		r := fires(rt, AddCollapseScalarInputs, c)
		if len(r.Children()) != 2 || r.Children()[1].Kind() != circuit.KindScalar {
			rt.Fatalf("want x + scalar, got %s", show(r))
		}
	})
}

func TestAddDeduplicateProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		s := g.shape(0, 3, 3)
		x, y := g.array(s), g.array(g.broadcastable(s))
		k := g.intn(2, 4, "k")
		kids := []circuit.Circuit{y}
		for i := 0; i < k; i++ {
			kids = append(kids, x)
		}
		kids = rapid.Permutation(kids).Draw(rt, "order")
		c := must(circuit.NewAdd("", kids...))
		r := fires(rt, AddDeduplicate, c)
		if len(r.Children()) != 2 {
			rt.Fatalf("want 2 terms, got %s", show(r))
		}
		doesNotFire(rt, AddDeduplicate, r)
	})
}

func TestRemoveAddFewInputProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		x := g.array(g.shape(0, 3, 3))
		r := fires(rt, RemoveAddFewInput, must(circuit.NewAdd("one", x)))
		if !circuit.Equal(r, x) {
			rt.Fatalf("want x itself (name kept), got %s named %q", show(r), r.Name())
		}
	})
	r := fires(t, RemoveAddFewInput, must(circuit.NewAdd("none")))
	if s, ok := r.(*circuit.Scalar); !ok || s.Value != 0 || s.Rank() != 0 {
		t.Fatalf("want Scalar 0, got %s", show(r))
	}
	doesNotFire(t, RemoveAddFewInput, must(circuit.NewAdd("", rnd(t, "x", 1, 2), rnd(t, "y", 2, 2))))
}

func TestAddFuseScalarMultiplesProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		s := g.shape(0, 3, 3)
		x, y := g.array(s), g.array(g.broadcastable(s))
		a := rapid.Float64Range(-3, 3).Draw(rt, "a")
		b := rapid.Float64Range(-3, 3).Draw(rt, "b")
		kids := []circuit.Circuit{must(circuit.ScalarMul("", x, a)), y, x}
		if g.bool("third") {
			kids = append(kids, must(circuit.ScalarMul("", x, b)))
		}
		kids = rapid.Permutation(kids).Draw(rt, "order")
		c := must(circuit.NewAdd("", kids...))
		r := fires(rt, AddFuseScalarMultiples, c)
		if len(r.Children()) != 2 {
			rt.Fatalf("want 2 terms, got %s", show(r))
		}
	})
}

func TestAddFuseScalarMultiplesString(t *testing.T) {
	x, y := rnd(t, "x", 1, 2), rnd(t, "y", 2, 2)
	c := must(circuit.NewAdd("", must(circuit.ScalarMul("", x, 2)), y, must(circuit.ScalarMul("", x, -1))))
	r := fires(t, AddFuseScalarMultiples, c)
	if got, want := show(r), "(+ x y)"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
