package scrub

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/transformer"
)

// tinyGPT is a random 2-layer, 4-head model over 4 tokens of a 6-word
// vocabulary, its weights scaled up from GPT-2's initialisation so that
// heads matter to the loss.
var tinyGPT = transformer.Config{Layers: 2, Hidden: 16, Heads: 4, Vocab: 6, Ctx: 4, LNEps: 1e-5}

// transformerScrubModel is the per-example loss of tinyGPT with heads split
// ('a{l}.h{i}'): the free Symbols 'embeds' [seq, hidden] (token plus
// position embeddings) and 'target' [vocab] (one-hot) are dataset inputs,
// and the root is the cross-entropy of the last position's prediction.
func transformerScrubModel(t testing.TB, cfg transformer.Config) (*transformer.Model, circuit.Circuit) {
	t.Helper()
	m, err := transformer.Random(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	w := map[string]circuit.Circuit{}
	for name, v := range m.Weights {
		if !strings.Contains(name, ".ln.") {
			v = tensor.Scale(v, 20)
		}
		m.Weights[name] = v
		if w[name], err = circuit.NewArray(v, name); err != nil {
			t.Fatal(err)
		}
	}
	seq := cfg.Ctx
	embeds, err := circuit.NewSymbol([]int{seq, cfg.Hidden}, "9a3c1f5e-0d2b-4c6a-8e7f-1b2c3d4e5f60", "embeds")
	if err != nil {
		t.Fatal(err)
	}
	target, err := circuit.NewSymbol([]int{cfg.Vocab}, "9a3c1f5e-0d2b-4c6a-8e7f-1b2c3d4e5f61", "target")
	if err != nil {
		t.Fatal(err)
	}
	// bind any tokens, then make the embedded input 't.input' the free Symbol
	toks, err := tensor.FromInt64([]int{seq}, make([]int64, seq))
	if err != nil {
		t.Fatal(err)
	}
	bound, err := transformer.BindTokens(m, toks, transformer.BindOptions{ConfigureOptions: transformer.ConfigureOptions{SplitHeads: true}})
	if err != nil {
		t.Fatal(err)
	}
	repl := map[circuit.Hash]circuit.Circuit{}
	circuit.Walk([]circuit.Circuit{bound}, func(c circuit.Circuit) {
		if c.Name() == "t.input" {
			repl[c.Hash()] = embeds
		}
	})
	if len(repl) != 1 {
		t.Fatalf("bound model has %d nodes named 't.input', want 1", len(repl))
	}
	logits, err := circuit.ReplaceExpand(bound, repl)
	if err != nil {
		t.Fatal(err)
	}
	last, err := circuit.NewIndex("last", []circuit.AxisIndex{circuit.Int(seq - 1), circuit.All()}, logits)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := circuit.NewGeneralFunction("log_probs", "log_softmax", last)
	if err != nil {
		t.Fatal(err)
	}
	minus, err := circuit.NewScalar(-1, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	loss, err := circuit.NewEinsumSpec("loss", "v,v,->", lp, target, minus)
	if err != nil {
		t.Fatal(err)
	}
	return m, loss
}

// transformerDataset: n random token sequences over the first ids words,
// embedded; the target is the first token (a copy task); feature columns
// tok0, tok1, ...
func transformerDataset(t testing.TB, m *transformer.Model, n, ids int) *Dataset {
	t.Helper()
	seq, d, v := m.Config.Ctx, m.Config.Hidden, m.Config.Vocab
	tok, pos := m.Weights["t.w.tok_embeds"].Float64s(), m.Weights["t.w.pos_embeds"].Float64s()
	rng := NewRand(17)
	emb := make([]float64, 0, n*seq*d)
	tgt := make([]float64, n*v)
	toks := make([][]float64, seq)
	for p := range toks {
		toks[p] = make([]float64, n)
	}
	for i := range n {
		for p := range seq {
			// few distinct sequences, so that agreeing on every token
			// still leaves other examples to draw
			id := rng.IntN(ids)
			toks[p][i] = float64(id)
			for k := range d {
				emb = append(emb, tok[id*d+k]+pos[p*d+k])
			}
		}
		tgt[i*v+int(toks[0][i])] = 1
	}
	cols := map[string]*tensor.Tensor{}
	var err error
	if cols["embeds"], err = tensor.FromFloat64([]int{n, seq, d}, emb); err != nil {
		t.Fatal(err)
	}
	if cols["target"], err = tensor.FromFloat64([]int{n, v}, tgt); err != nil {
		t.Fatal(err)
	}
	for p := range seq {
		if cols[fmt.Sprintf("tok%d", p)], err = tensor.FromFloat64([]int{n}, toks[p]); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := NewDataset(cols)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// headsHypothesis: the root (exact other inputs), the target kept, and
// every head of the last layer an interp node agreeing on agree(head).
func headsHypothesis(cfg transformer.Config, agree func(h int) string) string {
	var sb strings.Builder
	sb.WriteString(`{"nodes": [
  {"name": "out", "other_inputs": "exact"},
  {"name": "y'", "parent": "out", "match": "'target'", "exact": true}`)
	l := cfg.Layers - 1
	for h := range cfg.Heads {
		fmt.Fprintf(&sb, ",\n  {\"name\": \"a%d.h%d'\", \"parent\": \"out\", \"match\": \"'a%d.h%d'\", \"agree_on\": %s}", l, h, l, h, agree(h))
	}
	sb.WriteString("\n]}")
	return sb.String()
}

// headsExperiment is the experiment of headsHypothesis(cfg, agree) on model.
func headsExperiment(t testing.TB, model circuit.Circuit, ds *Dataset, cfg transformer.Config, agree func(h int) string) *Experiment {
	t.Helper()
	h, err := ParseHypothesis("heads.json", []byte(headsHypothesis(cfg, agree)))
	if err != nil {
		t.Fatal(err)
	}
	corr, err := h.Correspondence(ds)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := NewExperiment(model, ds, corr)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// A hypothesis whose interp nodes are attention heads runs on a
// transformer: heads that agree on every token (an identical
// interpretation) give the original loss on every example, over 10 seeds,
// while heads resampled at random do not.
func TestTransformerHeadsHypothesis(t *testing.T) {
	m, model := transformerScrubModel(t, tinyGPT)
	ds := transformerDataset(t, m, 300, 3)
	run := func(agree string) ([]*Result, []*Samples) {
		ex := headsExperiment(t, model, ds, tinyGPT, func(int) string { return agree })
		// every head's input is treeified apart from the root's paths
		if got := len(ex.Treeified().Slots); got != 3+tinyGPT.Heads {
			t.Fatalf("%d treeified slots, want %d (root: embeds, target; y': target; one embeds per head)", got, 3+tinyGPT.Heads)
		}
		var rs []*Result
		var ss []*Samples
		for seed := range uint64(10) {
			s, err := ex.Sample(200, seed)
			if err != nil {
				t.Fatal(err)
			}
			r, err := ex.Run(s, RunOptions{DType: tensor.Float64})
			if err != nil {
				t.Fatal(err)
			}
			rs, ss = append(rs, r), append(ss, s)
		}
		return rs, ss
	}
	rs, ss := run(`["tok0", "tok1", "tok2", "tok3"]`)
	for seed, r := range rs {
		moved := 0
		for i, d := range ss[seed].Datum["a1.h0'"] {
			if d != ss[seed].Ref[i] {
				moved++
			}
		}
		if moved < len(ss[seed].Ref)/2 {
			t.Fatalf("seed %d: only %d of %d head data differ from the reference: the test would not see a wrong datum", seed, moved, len(ss[seed].Ref))
		}
		origs, scrubbed, _ := r.Values()
		for i, o := range origs {
			if d := math.Abs(scrubbed[i] - o); d > 1e-9*math.Max(1, math.Abs(o)) {
				t.Fatalf("seed %d, example %d: identical interpretation gives loss %g, original %g", seed, i, scrubbed[i], o)
			}
		}
	}
	rs, _ = run(`[]`)
	for seed, r := range rs {
		if d := math.Abs(r.Scrubbed.Mean - r.Original.Mean); d < 1e-3 {
			t.Errorf("seed %d: heads resampled at random change the loss by only %g (original %g)", seed, d, r.Original.Mean)
		}
	}
}
