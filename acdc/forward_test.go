package acdc

import (
	"context"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/transformer"
)

var small = transformer.Config{Layers: 2, Hidden: 32, Heads: 8, Vocab: 50, Ctx: 16, LNEps: 1e-5}

// setup is a runner on a random model with MLPs.
func setup(t *testing.T, clean, corrupt []int64) (*runner, *transformer.Model) {
	t.Helper()
	m, err := transformer.Random(small, 3)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(FromTransformer(m), Options{Metric: KL})
	if err != nil {
		t.Fatal(err)
	}
	gr, err := NewGraph(d.layout)
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.newRunner(context.Background(), gr, clean, corrupt)
	if err != nil {
		t.Fatal(err)
	}
	return r, m
}

// evalMasked evaluates outputs of the masked run on mask rows.
func evalMasked(t *testing.T, r *runner, names []string, rows ...[]float32) [][]float64 {
	t.Helper()
	out, err := r.masked(1, len(rows), nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := make([]circuit.Circuit, len(names))
	for i, n := range names {
		cs[i] = out[n]
	}
	mask, err := tensor.FromFloat32([]int{len(rows), len(r.edges)}, slices.Concat(rows...))
	if err != nil {
		t.Fatal(err)
	}
	in, err := r.bindings(1)
	if err != nil {
		t.Fatal(err)
	}
	in = maps.Clone(in)
	in[maskName] = mask
	ts, err := circopt.EvaluateMany(cs, in, circopt.Options{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	res := make([][]float64, len(ts))
	for i, x := range ts {
		res[i] = x.Cast(tensor.Float64).Float64s()
	}
	return res
}

func near(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-4*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %g, want %g", what, i, got[i], want[i])
		}
	}
}

// lastLogits evaluates a bound model's logits [seq, vocab] (bound with
// err) in float64 and keeps the last position's.
func lastLogits(t *testing.T, c circuit.Circuit, err error) []float64 {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := circopt.Evaluate(c, nil, circopt.Options{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	last, err := ref.Select(0, ref.Dim(0)-1)
	if err != nil {
		t.Fatal(err)
	}
	return last.Cast(tensor.Float64).Float64s()
}

// The edge-split forward pass is the transformer's: same last-position
// logits unpatched, and with every edge kept in the masked run.
func TestSplitMatchesTransformer(t *testing.T) {
	ids := []int64{3, 14, 15, 9, 2, 6}
	r, m := setup(t, ids, ids)
	c, err := transformer.BindTokens(m, tokens(t, ids...), transformer.BindOptions{})
	want := lastLogits(t, c, err)
	near(t, "unpatched logits", r.cleanT[Logits], want)
	near(t, "masked logits, all kept", evalMasked(t, r, []string{Logits}, r.row(func(Edge) bool { return true }))[0], want)
}

// Patching every edge gives the corrupt run; patching one edge changes its
// receiver and leaves the other receivers' outputs alone.
func TestPatching(t *testing.T) {
	r, _ := setup(t, []int64{1, 2, 3, 4}, []int64{7, 8, 9, 4})
	cut := Edge{"a0.h3", "a1.h5"}
	outs := evalMasked(t, r, []string{Logits, "a1.h5", "a1.h4"},
		r.row(func(Edge) bool { return false }), r.row(func(Edge) bool { return true }), r.row(func(e Edge) bool { return e != cut }))
	v := small.Vocab
	near(t, "all patched", outs[0][:v], r.corruptT[Logits])
	n := len(outs[1]) / 3
	h5full, h5cut := outs[1][n:2*n], outs[1][2*n:]
	if slices.Equal(h5full, h5cut) {
		t.Error("patching a0.h3->a1.h5 left a1.h5 unchanged")
	}
	near(t, "a1.h4 with a1.h5's edge patched", outs[2][2*n:], outs[2][n:2*n])
}

func TestGraphOrderAndDOT(t *testing.T) {
	gr, err := NewGraph(Layout{Layers: small.Layers, Heads: small.Heads, MLP: true})
	if err != nil {
		t.Fatal(err)
	}
	order, err := gr.ReverseOrder()
	if err != nil {
		t.Fatal(err)
	}
	if order[0] != Logits || order[1] != "m1" || order[len(order)-1] != Embed {
		t.Errorf("reverse order starts %v, ends %s", order[:2], order[len(order)-1])
	}
	es, err := gr.Edges()
	if err != nil {
		t.Fatal(err)
	}
	// embed, 16 heads, 2 MLPs, logits: all forward pairs but heads of one layer.
	n := 1 + 16 + 2 + 1
	if want := n*(n-1)/2 - 2*8*7/2; len(es) != want {
		t.Errorf("%d edges, want %d", len(es), want)
	}
	if gr.Has(Edge{"a0.h1", "a0.h2"}) || !gr.Has(Edge{"a0.h1", "a1.h2"}) {
		t.Error("heads of one layer are connected, or layers are not")
	}
	d := DOT([]Edge{{"b", "c"}, {"a", "c"}, {"a", "b"}})
	want := "digraph acdc {\n  \"a\";\n  \"b\";\n  \"c\";\n  \"a\" -> \"b\";\n  \"a\" -> \"c\";\n  \"b\" -> \"c\";\n}\n"
	if d != want {
		t.Errorf("DOT:\n%s\nwant\n%s", d, want)
	}
}

func TestBadInput(t *testing.T) {
	m := random(t, small, 1)
	ok := tokens(t, 1, 2, 3)
	for _, c := range []struct {
		clean, corrupt *tensor.Tensor
		o              Options
		want           string
	}{
		{ok, ok, Options{Metric: "l2"}, `unknown metric "l2"`},
		{ok, ok, Options{Metric: KL, Threshold: -1}, "negative"},
		{ok, ok, Options{Metric: LogitDiff, Correct: 50}, "token id 50 is outside the vocabulary of 50"},
		{tokens(t, 1, 99), ok, Options{Metric: KL}, "clean tokens: id 99 at position 1"},
		{ok, tokens(t, 1, 2), Options{Metric: KL}, "clean has 3 tokens, corrupt 2"},
	} {
		_, err := Run(context.Background(), m, c.clean, c.corrupt, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.o, err, c.want)
		}
	}
}

// The scorer's KL is the definition Σ p·(log p − log q).
func TestScorerKL(t *testing.T) {
	full, other := []float64{2, -1, 0.5, 3, -40}, []float64{0.1, 1, -2, 2.5, 0}
	sc := newScorer(KL, 0, 0, full)
	lp, lq := logSoftmax(full), logSoftmax(other)
	var want float64
	for i := range lp {
		want += math.Exp(lp[i]) * (lp[i] - lq[i])
	}
	if got := sc.value(other); math.Abs(got-want) > 1e-12 {
		t.Errorf("KL %g, want %g", got, want)
	}
	if got := sc.value(full); math.Abs(got) > 1e-12 {
		t.Errorf("KL of the full logits %g, want 0", got)
	}
}
