package rewrite

import (
	"testing"

	"github.com/circopt/circopt/circuit"
	"pgregory.net/rapid"
)

func TestIndexFuseProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		s := g.shape(1, 3, 4)
		x := g.array(s)
		inner := must(circuit.NewIndex("", g.index(s, -1), x))
		outer := must(circuit.NewIndex("", g.index(inner.Shape(), -1), inner))
		r := fires(rt, IndexFuse, outer)
		if r.Kind() != circuit.KindIndex || !circuit.Equal(r.Children()[0], x) {
			rt.Fatalf("want one Index of x, got %s", show(r))
		}
	})
}

func TestIndexFuseString(t *testing.T) {
	x := rnd(t, "x", 1, 5, 4, 3)
	inner := must(circuit.NewIndex("", []circuit.AxisIndex{circuit.Slice(1, 5), circuit.Int(-1), circuit.Positions(2, 0)}, x))
	outer := must(circuit.NewIndex("", []circuit.AxisIndex{circuit.Slice(1, 3), circuit.Int(1)}, inner))
	r := fires(t, IndexFuse, outer)
	if got, want := show(r), "(idx [2:4,3,0] x)"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// autonamed "x idx idx" becomes "x idx"
	if r.Name() != "x idx" {
		t.Fatalf("name %q, want %q", r.Name(), "x idx")
	}
}

func TestIndexElimIdentityProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		s := g.shape(0, 3, 4)
		x := g.array(s)
		idx := make([]circuit.AxisIndex, len(s))
		for i, d := range s {
			switch g.intn(0, 2, "form") {
			case 0:
				idx[i] = circuit.All()
			case 1:
				idx[i] = circuit.Slice(0, d+g.intn(0, 3, "over"))
			default:
				idx[i] = circuit.Slice(-d, d)
			}
		}
		r := fires(rt, IndexElimIdentity, must(circuit.NewIndex("i", idx, x)))
		if !circuit.Equal(r, x) {
			rt.Fatalf("got %s", show(r))
		}
	})
	doesNotFire(t, IndexElimIdentity, must(circuit.NewIndex("", []circuit.AxisIndex{circuit.Positions(0, 1)}, rnd(t, "x", 1, 2))))
}

func TestIndexMergeScalarProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		s := g.shape(1, 3, 4)
		c := must(circuit.NewIndex("", g.index(s, 0), g.scalar(rapid.Float64Range(-3, 3).Draw(rt, "v"), s)))
		r := fires(rt, IndexMergeScalar, c)
		if r.Kind() != circuit.KindScalar {
			rt.Fatalf("got %s", show(r))
		}
	})
}

func TestConcatElimIdentityProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		x := g.array(g.shape(1, 3, 3))
		r := fires(rt, ConcatElimIdentity, must(circuit.NewConcat("c", g.intn(0, x.Rank()-1, "axis"), x)))
		if !circuit.Equal(r, x) {
			rt.Fatalf("got %s", show(r))
		}
	})
}

func TestConcatFuseProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		s := g.shape(1, 3, 3)
		ax := g.intn(0, len(s)-1, "axis")
		part := func() circuit.Circuit {
			p := append([]int(nil), s...)
			p[ax] = g.intn(0, 3, "len")
			return g.array(p)
		}
		inner := must(circuit.NewConcat("", ax, part(), part()))
		kids := rapid.Permutation([]circuit.Circuit{inner, part(), part()}).Draw(rt, "order")
		c := must(circuit.NewConcat("", ax, kids...))
		r := fires(rt, ConcatFuse, c)
		if len(r.Children()) != 4 {
			rt.Fatalf("want 4 parts, got %s", show(r))
		}
	})
	// a Concat on another axis is not spliced
	a, b := rnd(t, "a", 1, 2, 2), rnd(t, "b", 2, 2, 2)
	doesNotFire(t, ConcatFuse, must(circuit.NewConcat("", 0, must(circuit.NewConcat("", 1, a, b)), rnd(t, "c", 3, 2, 4))))
}

func TestGeneralFunctionMergeInversesProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		x := g.array(g.shape(0, 3, 3))
		pair := rapid.SampledFrom(InversePairs).Draw(rt, "pair")
		c := must(circuit.NewGeneralFunction("", pair[0], must(circuit.NewGeneralFunction("", pair[1], x))))
		r := fires(rt, GeneralFunctionMergeInverses, c)
		if !circuit.Equal(r, x) {
			rt.Fatalf("got %s", show(r))
		}
	})
	x := rnd(t, "x", 1, 3)
	doesNotFire(t, GeneralFunctionMergeInverses, must(circuit.NewGeneralFunction("", "exp", must(circuit.NewGeneralFunction("", "log", x)))))
}
