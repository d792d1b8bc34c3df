package rewrite

import (
	"testing"

	"github.com/circopt/circopt/circuit"
	"pgregory.net/rapid"
)

// pushTarget draws an Index over a node of one kind an index can pass.
func (g *gen) pushTarget() *circuit.Index {
	kind := g.intn(0, 6, "target")
	var n circuit.Circuit
	force := -1
	switch kind {
	case 0: // Add with broadcasting
		s := g.shape(1, 3, 3)
		n = must(circuit.NewAdd("", g.array(s), g.array(g.broadcastable(s)), g.array(g.broadcastable(s))))
	case 1: // Einsum without repeated output labels
		n = g.einsumOver(g.shape(1, 3, 3), false, 1)
	case 2: // elementwise or pow
		s := g.shape(1, 3, 3)
		if g.bool("pow") {
			base := must(circuit.NewGeneralFunction("", "exp", g.array(g.broadcastable(s))))
			n = must(circuit.NewGeneralFunction("", "pow", base, g.array(s)))
		} else {
			n = must(circuit.NewGeneralFunction("", rapid.SampledFrom([]string{"relu", "tanh", "exp", "abs"}).Draw(g.t, "fn"), g.array(s)))
		}
	case 3: // last-dim functions: leading axes only
		s := g.shape(2, 3, 3)
		fn := rapid.SampledFrom([]string{"softmax", "log_softmax", "max", "min", "last_dim_size"}).Draw(g.t, "fn")
		n = must(circuit.NewGeneralFunction("", fn, g.array(s)))
		force = g.intn(0, len(s)-2, "force")
	case 4: // Rearrange with a whole input axis passed through
		sp, in := g.rearrangeSpec()
		id := len(sp.Sizes)
		sp.Sizes = append(sp.Sizes, -1)
		at := g.intn(0, len(sp.In), "inpos")
		sp.In = append(sp.In[:at], append([][]int{{id}}, sp.In[at:]...)...)
		in = append(in[:at], append([]int{g.intn(1, 4, "whole")}, in[at:]...)...)
		out := g.intn(0, len(sp.Out), "outpos")
		sp.Out = append(sp.Out[:out], append([][]int{{id}}, sp.Out[out:]...)...)
		n = must(circuit.NewRearrange("", sp, g.array(in)))
		force = out
	case 5: // Concat
		s := g.shape(1, 3, 3)
		ax := g.intn(0, len(s)-1, "axis")
		var parts []circuit.Circuit
		for k := g.intn(1, 3, "parts"); k > 0; k-- {
			p := append([]int(nil), s...)
			p[ax] = g.intn(1, 3, "len")
			parts = append(parts, g.array(p))
		}
		n = must(circuit.NewConcat("", ax, parts...))
		idx := g.index(n.Shape(), -1)
		if idx[ax].Kind == circuit.IndexTensor {
			idx[ax] = circuit.Slice(1, n.Shape()[ax])
		}
		if isIdentityIndex(idx, n.Shape()) {
			idx[ax] = circuit.Int(-1)
		}
		return must(circuit.NewIndex("", idx, n))
	default: // Scalar
		n = g.scalar(rapid.Float64Range(-2, 2).Draw(g.t, "v"), g.shape(1, 3, 3))
	}
	if force < 0 {
		force = g.intn(0, n.Rank()-1, "force")
	}
	return must(circuit.NewIndex("", g.index(n.Shape(), force), n))
}

func TestPushDownIndexOnceProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		x := g.pushTarget()
		r := fires(rt, PushDownIndexOnce, x)
		if r.Kind() == circuit.KindIndex && circuit.Equal(r.Children()[0], x.Children()[0]) {
			rt.Fatalf("index did not move: %s", show(r))
		}
	})
}

func TestPushDownIndexProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		s := g.shape(1, 3, 3)
		body := g.circuit(s, 3)
		x := must(circuit.NewIndex("", g.index(s, 0), body))
		r, applied, err := PushDownIndexRule(x)
		if err != nil {
			rt.Fatalf("%v", err)
		}
		if !applied {
			// only leaves and index chains stop an index at the top
			if k := body.Kind(); k != circuit.KindArray && k != circuit.KindIndex {
				if _, once, _ := PushDownIndexOnce(x); once {
					rt.Fatalf("push_down_index did not apply but push_down_index_once does: %s", show(x))
				}
			}
			return
		}
		sameValue(rt, x, r)
		// the indices created along the way have all been pushed as far as they go
		fresh := map[circuit.Hash]bool{}
		circuit.Walk([]circuit.Circuit{body}, func(n circuit.Circuit) { fresh[n.Hash()] = true })
		circuit.Walk([]circuit.Circuit{r}, func(n circuit.Circuit) {
			if fresh[n.Hash()] || n.Kind() != circuit.KindIndex {
				return
			}
			if _, moved, _ := PushDownIndexOnce(n); moved && n.Children()[0].Kind() != circuit.KindIndex {
				rt.Fatalf("index %s left movable in %s", show(n), show(r))
			}
		})
	})
}

func TestPushDownIndexString(t *testing.T) {
	x, w := rnd(t, "x", 1, 4, 3), rnd(t, "w", 2, 3, 5)
	b := rnd(t, "b", 3, 5)
	lin := must(circuit.NewAdd("lin", must(circuit.NewEinsumSpec("", "ij,jk->ik", x, w)), b))
	act := must(circuit.NewGeneralFunction("act", "relu", lin))
	idx := must(circuit.NewIndex("row", []circuit.AxisIndex{circuit.Int(2)}, act))
	r, applied, err := PushDownIndex(idx, nil)
	if err != nil || !applied {
		t.Fatalf("applied %v err %v", applied, err)
	}
	want := "(relu (+ (einsum a,ab->b (idx [2,:] x) w) b))"
	if got := show(r); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if r.Name() != "row" {
		t.Fatalf("name %q, want row", r.Name())
	}
	sameValue(t, idx, r)

	// the stop predicate keeps the index above the matched node
	r, _, err = PushDownIndex(idx, func(c circuit.Circuit) bool { return c.Name() == "lin" })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := show(r), "(relu (idx [2,:] (+ (einsum ab,bc->ac x w) b)))"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}

	// softmax: the last axis stays on top, the batch axis goes below
	y := rnd(t, "y", 4, 3, 4)
	sm := must(circuit.NewGeneralFunction("", "softmax", y))
	ix := must(circuit.NewIndex("", []circuit.AxisIndex{circuit.Int(1), circuit.Slice(0, 2)}, sm))
	r = fires(t, PushDownIndexOnce, ix)
	if got, want := show(r), "(idx [0:2] (softmax (idx [1,:] y)))"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}

	// concat: an integer picks the part, a slice keeps the overlapping parts
	p, q := rnd(t, "p", 5, 2, 3), rnd(t, "q", 6, 3, 3)
	cat := must(circuit.NewConcat("", 0, p, q))
	r = fires(t, PushDownIndexOnce, must(circuit.NewIndex("", []circuit.AxisIndex{circuit.Int(3), circuit.Int(0)}, cat)))
	if got, want := show(r), "(idx [1,0] q)"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	r = fires(t, PushDownIndexOnce, must(circuit.NewIndex("", []circuit.AxisIndex{circuit.Slice(1, 3)}, cat)))
	if got, want := show(r), "(concat 0 (idx [1:2,:] p) (idx [0:1,:] q))"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}

	// an einsum axis with a repeated output label cannot take the index
	d := rnd(t, "d", 7, 3)
	emb := must(circuit.NewEinsumSpec("", "a->aa", d))
	doesNotFire(t, PushDownIndexOnce, must(circuit.NewIndex("", []circuit.AxisIndex{circuit.Int(0)}, emb)))

	// a rearrange passes an index on a whole input axis only
	z := rnd(t, "z", 8, 2, 3, 4)
	re := must(circuit.NewRearrangeString("", "a b c -> c (a b)", z))
	r = fires(t, PushDownIndexOnce, must(circuit.NewIndex("", []circuit.AxisIndex{circuit.Int(1), circuit.Int(0)}, re)))
	if got, want := show(r), `(idx [0] (rearrange "a b -> (a b)" (idx [:,:,1] z)))`; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
