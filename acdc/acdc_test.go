package acdc

import (
	"context"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/transformer"
)

func tokens(t *testing.T, ids ...int64) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromInt64([]int{len(ids)}, ids)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// planted is a 2-layer attention-only model whose only circuit is
// embed -> a0.h1 -> a1.h0 -> logits: every other head and both MLPs write
// nothing, head 0.1 copies the token subspace (dims 0:4) into dims 4:8,
// head 1.0 copies dims 4:8 into 8:12, and the unembedding reads 8:12.
// Attention is uniform (q and k are zero). Token embeddings are
// zero-mean with one norm, so the layer norms hardly see which token is
// where except through the planted path.
func planted(t *testing.T) *Model {
	t.Helper()
	cfg := transformer.Config{Layers: 2, Hidden: 16, Heads: 4, Vocab: 4, Ctx: 8, LNEps: 1e-5}
	w := map[string]*tensor.Tensor{}
	for n, sh := range cfg.Shapes() {
		size := 1
		for _, d := range sh {
			size *= d
		}
		d := make([]float32, size)
		if strings.HasSuffix(n, ".ln.w.scale") {
			for i := range d {
				d[i] = 1
			}
		}
		x, err := tensor.FromFloat32(sh, d)
		if err != nil {
			t.Fatal(err)
		}
		w[n] = x
	}
	m, err := transformer.NewModel(cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	set := func(name string, v float32, idx ...int) {
		t.Helper()
		w := m.Weights[name]
		off := 0
		for i, st := range w.Strides() {
			off += idx[i] * st
		}
		w.Float32Data()[w.Offset()+off] = v
	}
	for tok := range 4 {
		for j := range 4 {
			v := float32(-2.5)
			if j == tok {
				v = 7.5
			}
			set("t.w.tok_embeds", v, tok, j)
		}
	}
	hd := cfg.HeadDim()
	for j := range hd {
		set("a0.w.v", 1, 1, j, j)       // head 0.1 reads the token dims
		set("a0.w.o", 0.1, 1, 4+j, j)   // and writes 4:8, small beside the embedding
		set("a1.w.v", 100, 0, j, 4+j)   // head 1.0 reads 4:8
		set("a1.w.o", 0.1, 0, 8+j, j)   // and writes 8:12
		set("t.w.unembed", 500, j, 8+j) // the logits read 8:12
	}
	return FromTransformer(m)
}

// random is a random GPT-2 style model.
func random(t testing.TB, cfg transformer.Config, seed uint64) *Model {
	t.Helper()
	m, err := transformer.Random(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return FromTransformer(m)
}

func TestPlantedCircuit(t *testing.T) {
	m := planted(t)
	clean, corrupt := tokens(t, 0, 0, 1, 2), tokens(t, 3, 3, 1, 2)
	want := []Edge{{Embed, "a0.h1"}, {"a0.h1", "a1.h0"}, {"a1.h0", Logits}}
	for _, o := range []Options{
		{Metric: KL, Threshold: 0.05},
		{Metric: LogitDiff, Threshold: 0.5, Correct: 0, Wrong: 3},
	} {
		res, err := Run(context.Background(), m, clean, corrupt, o)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Edges, want) {
			t.Errorf("%s: kept %v, want %v", o.Metric, res.Edges, want)
		}
		if o.Metric == LogitDiff && math.Abs(res.Pruned-res.Full) > o.Threshold*3 {
			t.Errorf("%s: pruned %g, full %g", o.Metric, res.Pruned, res.Full)
		}
		if res.Evaluations < 10 || res.Steps < 2 {
			t.Errorf("%s: %d evaluations in %d steps", o.Metric, res.Evaluations, res.Steps)
		}
		t.Logf("%s: full %g pruned %g corrupt %g, %d evaluations in %d steps", o.Metric, res.Full, res.Pruned, res.Corrupt, res.Evaluations, res.Steps)
	}
}

// The batched plans keep exactly the edges that evaluating every variant
// as its own circuit keeps, with the same metrics, on the planted model
// and on a random one.
func TestBatchedMatchesUnbatched(t *testing.T) {
	rm := random(t, transformer.Config{Layers: 2, Hidden: 16, Heads: 4, Vocab: 30, Ctx: 8, LNEps: 1e-5}, 5)
	for _, c := range []batchCase{
		{planted(t), []int64{0, 0, 1, 2}, []int64{3, 3, 1, 2}, Options{Metric: KL, Threshold: 0.05}},
		{rm, []int64{3, 14, 15, 9, 2, 6}, []int64{27, 18, 28, 18, 28, 4}, Options{Metric: KL, Threshold: 1e-5}},
		{rm, []int64{3, 14, 15, 9, 2, 6}, []int64{27, 18, 28, 18, 28, 4}, Options{Metric: LogitDiff, Threshold: 1e-3, Correct: 7, Wrong: 11}},
		{rm, []int64{3, 14, 15, 9, 2, 6}, []int64{27, 18, 28, 18, 28, 4}, Options{Metric: KL, Threshold: 1e-5, Receivers: QKVReceivers}},
		{rm, []int64{3, 14, 15, 9, 2, 6}, []int64{27, 18, 28, 18, 28, 4}, Options{Metric: LogitDiff, Threshold: 1e-3, Correct: 7, Wrong: 11, Receivers: QKVReceivers}},
	} {
		c.check(t)
	}
}

// batchCase is one ACDC run that TestBatchedMatchesUnbatched compares.
type batchCase struct {
	m              *Model
	clean, corrupt []int64
	o              Options
}

// check runs c batched and unbatched in float64: the same edges,
// evaluations and metrics.
func (c batchCase) check(t *testing.T) {
	t.Helper()
	{
		c.o.DType = tensor.Float64
		var res [2]*Result
		d, err := New(c.m, c.o)
		if err != nil {
			t.Fatal(err)
		}
		for i, unbatched := range []bool{false, true} {
			if res[i], err = d.run(context.Background(), tokens(t, c.clean...), tokens(t, c.corrupt...), unbatched); err != nil {
				t.Fatal(err)
			}
		}
		b, u := res[0], res[1]
		all, err := b.Graph.Edges()
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Edges) == 0 || len(all) == len(mustEdges(t, layoutOf(c.m, c.o))) {
			t.Errorf("%s: kept %d of the edges, want a pruned, non-empty circuit", c.o.Metric, len(b.Edges))
		}
		if !slices.Equal(b.Edges, u.Edges) {
			t.Errorf("%s: batched kept %v, unbatched %v", c.o.Metric, b.Edges, u.Edges)
		}
		if b.Evaluations != u.Evaluations || b.Steps != u.Steps {
			t.Errorf("%s: batched %d evaluations in %d steps, unbatched %d in %d", c.o.Metric, b.Evaluations, b.Steps, u.Evaluations, u.Steps)
		}
		for _, v := range [][2]float64{{b.Full, u.Full}, {b.Pruned, u.Pruned}, {b.Corrupt, u.Corrupt}} {
			if math.Abs(v[0]-v[1]) > 1e-9*(1+math.Abs(v[1])) {
				t.Errorf("%s: batched metric %g, unbatched %g", c.o.Metric, v[0], v[1])
			}
		}
		t.Logf("%s %s: %d edges kept, pruned %g", c.o.Metric, c.o.Receivers, len(b.Edges), b.Pruned)
	}
}

// layoutOf is the graph layout a Discoverer of m with o uses.
func layoutOf(m *Model, o Options) Layout {
	qkv := o.Receivers == QKVReceivers || (o.Receivers == AutoReceivers && !m.Arch.MLP)
	return Layout{Layers: m.Config.Layers, Heads: m.Config.Heads, MLP: m.Arch.MLP, QKV: qkv}
}

func mustEdges(t *testing.T, l Layout) []Edge {
	t.Helper()
	gr, err := NewGraph(l)
	if err != nil {
		t.Fatal(err)
	}
	es, err := gr.Edges()
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// A Discoverer's second run on other tokens of the same length compiles
// nothing and finds what a fresh one finds.
func TestDiscovererReusesPlans(t *testing.T) {
	m := random(t, small, 7)
	o := Options{Metric: KL, Threshold: 1e-5, DType: tensor.Float64}
	d, err := New(m, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Run(context.Background(), tokens(t, 1, 2, 3, 4, 5), tokens(t, 6, 7, 8, 9, 10)); err != nil {
		t.Fatal(err)
	}
	c := d.bySeq[5]
	plans := maps.Clone(c.plans)
	clean, corrupt := tokens(t, 11, 12, 13, 14, 15), tokens(t, 16, 17, 18, 19, 20)
	got, err := d.Run(context.Background(), clean, corrupt)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(plans, c.plans) || d.bySeq[5] != c {
		t.Errorf("second run compiled: %d plans before, %d after", len(plans), len(c.plans))
	}
	want, err := Run(context.Background(), m, clean, corrupt, o)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Edges, want.Edges) || got.Pruned != want.Pruned || got.Evaluations != want.Evaluations {
		t.Errorf("reused plans kept %d edges (pruned %g), fresh ones %d (pruned %g)", len(got.Edges), got.Pruned, len(want.Edges), want.Pruned)
	}
	if len(want.Edges) < 2 {
		t.Errorf("kept %d edges: want a circuit", len(want.Edges))
	}
}
