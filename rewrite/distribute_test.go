package rewrite

import (
	"testing"

	"github.com/circopt/circopt/circuit"
	"pgregory.net/rapid"
)

func TestDistributeOnceProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		e := g.einsumOver(g.shape(0, 3, 3), true, 0)
		k := g.intn(0, len(e.Children())-1, "operand")
		s := e.Children()[k].Shape()
		n := g.intn(1, 3, "terms")
		terms := make([]circuit.Circuit, n)
		for i := range terms {
			if g.intn(0, 4, "scalarterm") == 0 {
				terms[i] = g.scalar(rapid.Float64Range(-2, 2).Draw(rt, "v"), g.broadcastable(s))
			} else {
				terms[i] = g.array(g.broadcastable(s))
			}
		}
		terms[0] = g.array(s) // keeps the Add's shape
		kids := append([]circuit.Circuit(nil), e.Children()...)
		kids[k] = must(circuit.NewAdd("", terms...))
		c := must(circuit.NewEinsum("e", e.Axes, e.Out, kids...))
		r := fires(rt, DistributeOnceRule, c)
		if r.Kind() != circuit.KindAdd || len(r.Children()) != n || r.Name() != "e" {
			rt.Fatalf("want an Add named e of %d einsums, got %s %q", n, show(r), r.Name())
		}
	})
}

func TestDistributeOnceString(t *testing.T) {
	a, b := rnd(t, "a", 1, 2, 3), rnd(t, "b", 2, 3)
	w := rnd(t, "w", 3, 3, 4)
	sum := must(circuit.NewAdd("", a, b))
	e := must(circuit.NewEinsumSpec("", "ij,jk->ik", sum, w))
	r := fires(t, DistributeOnceRule, e)
	want := `(+ (einsum ab,bc->ac a w) (einsum ab,bc->ac (rearrange "a -> b:2 a" b) w))`
	if got := show(r); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if r.Name() != "a * w + b rearrange * w" {
		t.Fatalf("name %q", r.Name())
	}
	if _, err := DistributeOnce(e, 1); err == nil {
		t.Fatal("distributing over a non-Add operand should fail")
	}
	if _, err := DistributeOnce(e, 5); err == nil {
		t.Fatal("operand out of range should fail")
	}
	doesNotFire(t, DistributeOnceRule, must(circuit.NewEinsumSpec("", "ij,jk->ik", a, w)))
}

func TestResidualProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		s := g.shape(0, 3, 3)
		a, b := g.array(s), g.array(g.broadcastable(s))
		r := fires(rt, ResidualRule(b), a)
		if r.Kind() != circuit.KindAdd || !circuit.Equal(r.Children()[0], b) {
			rt.Fatalf("want b + (a - b), got %s", show(r))
		}
		doesNotFire(rt, ResidualRule(b), b)
	})
	a, b := rnd(t, "a", 1, 3), rnd(t, "b", 2, 2, 3)
	if _, err := Residual(a, b); err == nil {
		t.Fatal("b that does not broadcast to a must be refused")
	}
	r := must(Residual(b, a))
	if got, want := show(r), "(+ a (+ b (einsum a,->a a -1)))"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if r.Children()[1].Name() != "b - a" {
		t.Fatalf("difference named %q", r.Children()[1].Name())
	}
}
