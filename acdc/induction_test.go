package acdc

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/circopt/circopt/tensor"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/transformer"
	"github.com/circopt/circopt/weights"
)

// day3Dir holds the trained 2-layer attention-only shortformer model
// (examples/day3: model.circ and its tensor store).
var day3Dir = filepath.Join("..", "examples", "day3")

// loadDay3 is the trained induction model, or skips when its files are absent.
func loadDay3(t testing.TB) *Model {
	t.Helper()
	path, store := filepath.Join(day3Dir, "model.circ"), filepath.Join(day3Dir, "store")
	for _, p := range []string{path, store} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("the trained induction model is absent (%v): run training/induction/train.py and go run ./examples/day3", err)
		}
	}
	m, err := LoadFile(path, store)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// ACDC's edge-split forward pass of the shortformer model is the module
// library's (the model file's own circuit): same last-position logits
// unpatched and with every edge kept, with one receiver per head or three.
func TestShortformerMatchesModelFile(t *testing.T) {
	m := loadDay3(t)
	st, err := weights.OpenStore(filepath.Join(day3Dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(day3Dir, "model.circ"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := transformer.Load(string(text), circuit.ParseOptions{File: "model.circ", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Arch.Shortformer || m.Arch.MLP {
		t.Fatalf("examples/day3/model.circ read as %+v, want an attention-only shortformer model", m.Arch)
	}
	ids := repeated(rand.New(rand.NewPCG(3, 4)), m.Config.Vocab, 7)
	c, err := transformer.Bind(l, tokens(t, ids...), transformer.BindOptions{})
	want := lastLogits(t, c, err)
	for _, recv := range []Receivers{HeadReceivers, QKVReceivers} {
		d, err := New(m, Options{Metric: KL, DType: tensor.Float64, Receivers: recv})
		if err != nil {
			t.Fatal(err)
		}
		gr, err := NewGraph(d.layout)
		if err != nil {
			t.Fatal(err)
		}
		r, err := d.newRunner(context.Background(), gr, ids, ids)
		if err != nil {
			t.Fatal(err)
		}
		near(t, string(recv)+": unpatched logits", r.cleanT[Logits], want)
		near(t, string(recv)+": masked logits, all kept", evalMasked(t, r, []string{Logits}, r.row(func(Edge) bool { return true }))[0], want)
	}
}

// repeated is BOS (token 0) then n random tokens twice: from position n+1
// on, the next token is the one after the current token's earlier
// occurrence.
func repeated(rng *rand.Rand, vocab, n int) []int64 {
	p := make([]int64, n)
	for i := range p {
		p[i] = 1 + rng.Int64N(int64(vocab-1))
	}
	return slices.Concat([]int64{0}, p, p)
}

// headScores are each layer-0 head's previous-token score (mean attention
// from a position to the one before it) and each layer-1 head's induction
// score (mean attention from a repeated token to the token after its
// earlier occurrence), over sequences of repeated.
func headScores(t *testing.T, m *Model, seqs [][]int64, n int) (prev, ind []float64) {
	t.Helper()
	heads := m.Config.Heads
	prev, ind = make([]float64, heads), make([]float64, heads)
	for _, ids := range seqs {
		ps, err := Patterns(m, tokens(t, ids...))
		if err != nil {
			t.Fatal(err)
		}
		seq, k := len(ids), float64(len(seqs))
		for h := range heads {
			a0, a1 := ps[headName(0, h)], ps[headName(1, h)]
			for i := 1; i < seq; i++ {
				prev[h] += a0[i*seq+i-1] / float64(seq-1) / k
			}
			for i := n + 1; i < seq; i++ {
				ind[h] += a1[i*seq+i-n+1] / float64(n) / k
			}
		}
	}
	return prev, ind
}

// argmax is the index of xs' largest value.
func argmax(xs []float64) int { return slices.Index(xs, slices.Max(xs)) }

// On the trained induction model, ACDC recovers the induction mechanism:
// the layer-0 head with the highest previous-token score reaches layer 1
// through its heads' key inputs, far more often than through their
// queries or values; layer-0 heads keep key edges in the order of their
// previous-token scores; and the heads with the highest induction scores
// receive most of them.
// Heads are identified from attention patterns computed here, so the test
// holds for whatever heads a retrained model uses.
//
// The corruption replaces the first occurrence of the repeated segment by
// other random tokens and keeps the second: the current token, the tokens
// the induction heads copy (their value inputs at the second occurrence)
// and every position are unchanged, so the patch moves only what a
// previous-token head writes at the second occurrence's keys (which token
// preceded each position), the information an induction head's key needs.
// One pair of sequences is noisy, so ACDC runs on 16 pairs and the test
// counts the kept edges.
func TestInductionCircuit(t *testing.T) {
	m := loadDay3(t)
	if m.Config.Layers != 2 || m.Arch.MLP {
		t.Skipf("the induction model is not 2-layer attention-only: %d layers, MLP %v", m.Config.Layers, m.Arch.MLP)
	}
	const n, runs, threshold = 10, 48, 0.01
	rng := rand.New(rand.NewPCG(1, 2))
	var seqs [][]int64
	for range 20 {
		seqs = append(seqs, repeated(rng, m.Config.Vocab, n))
	}
	prevScore, indScore := headScores(t, m, seqs, n)
	p, ind := headName(0, argmax(prevScore)), headName(1, argmax(indScore))
	t.Logf("previous-token scores of layer 0 %.3f: %s; induction scores of layer 1 %.3f: %s", prevScore, p, indScore, ind)

	d, err := New(m, Options{Metric: KL, Threshold: threshold})
	if err != nil {
		t.Fatal(err)
	}
	kept := map[Edge]int{}
	var pruned, corrupted float64
	for range runs {
		clean, other := repeated(rng, m.Config.Vocab, n), repeated(rng, m.Config.Vocab, n)
		corrupt := slices.Concat(other[:n+1], clean[n+1:])
		res, err := d.Run(context.Background(), tokens(t, clean...), tokens(t, corrupt...))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Edges {
			kept[e]++
		}
		pruned, corrupted = pruned+res.Pruned/runs, corrupted+res.Corrupt/runs
	}
	// byPort counts the kept edges from sender s into layer-1 heads' port.
	byPort := func(s, port string) int {
		c := 0
		for h := range m.Config.Heads {
			c += kept[Edge{s, headName(1, h) + "." + port}]
		}
		return c
	}
	var lines strings.Builder
	for h := range m.Config.Heads {
		s := headName(0, h)
		fmt.Fprintf(&lines, "\n  %s -> layer 1: q %d, k %d, v %d; k by head", s, byPort(s, "q"), byPort(s, "k"), byPort(s, "v"))
		for r := range m.Config.Heads {
			fmt.Fprintf(&lines, " %d", kept[Edge{s, headName(1, r) + ".k"}])
		}
	}
	t.Logf("mean KL: pruned %.3g, corrupt %.3g; kept edges over %d runs:%s\n%s -> %s.k in %d runs",
		pruned, corrupted, runs, lines.String(), p, ind, kept[Edge{p, ind + ".k"}])

	if k, qv := byPort(p, "k"), byPort(p, "q")+byPort(p, "v"); k < 2*qv || k < runs {
		t.Errorf("%s reaches layer 1 through keys %d times, queries and values %d: want keys at least twice as often and at least once a run", p, k, qv)
	}
	// The more a layer-0 head attends to the previous token, the more key edges it keeps.
	keys := make([]float64, m.Config.Heads)
	for h := range keys {
		keys[h] = float64(byPort(headName(0, h), "k"))
	}
	// It is one of the two layer-0 heads that keep the most (two: a model may split the job between close heads).
	more := 0
	for h := range keys {
		if keys[h] > keys[argmax(prevScore)] {
			more++
		}
	}
	if more > 1 {
		t.Errorf("%d layer-0 heads keep more key edges (%v) than the previous-token head %s", more, keys, p)
	}
	r := spearman(prevScore, keys)
	t.Logf("rank correlation of previous-token scores and key edges kept: %.2f", r)
	if !(r >= 0.5) { // NaN when no head keeps a key edge
		t.Errorf("rank correlation of previous-token scores and key edges kept %.2f, want at least 0.5", r)
	}
	// Key edges into layer 1 come from previous-token heads: the top half of layer 0 by
	// previous-token score supplies at least three quarters of them. (A trained model may make
	// nearly every layer-1 head an induction head, so the receivers are not split by score.)
	order := make([]int, m.Config.Heads)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(prevScore[b], prevScore[a]) })
	var top, all float64
	for i, h := range order {
		if i < len(order)/2 {
			top += keys[h]
		}
		all += keys[h]
	}
	t.Logf("key edges into layer 1 from the top half of layer 0 by previous-token score %.0f of %.0f", top, all)
	if top < 0.75*all {
		t.Errorf("the top half of layer 0 by previous-token score supplies %.0f of %.0f key edges into layer 1, want at least three quarters", top, all)
	}
	if c := kept[Edge{p, ind + ".k"}]; c < runs/8 {
		t.Errorf("%s -> %s.k kept in %d of %d runs, want at least %d", p, ind, c, runs, runs/8)
	}
	if pruned >= corrupted {
		t.Errorf("pruned circuit's mean KL %g is no better than the corrupt run's %g", pruned, corrupted)
	}
}

// spearman is the rank correlation of xs and ys (ties take their mean rank).
func spearman(xs, ys []float64) float64 {
	rank := func(v []float64) []float64 {
		r := make([]float64, len(v))
		for i := range v {
			less, eq := 0, 0
			for j := range v {
				switch {
				case v[j] < v[i]:
					less++
				case v[j] == v[i]:
					eq++
				}
			}
			r[i] = float64(less) + float64(eq-1)/2
		}
		return r
	}
	rx, ry := rank(xs), rank(ys)
	mean := float64(len(xs)-1) / 2
	var sxy, sxx, syy float64
	for i := range rx {
		dx, dy := rx[i]-mean, ry[i]-mean
		sxy, sxx, syy = sxy+dx*dy, sxx+dx*dx, syy+dy*dy
	}
	return sxy / math.Sqrt(sxx*syy)
}

// On the trained model (q, k and v receivers, and one per head), the
// batched plans keep the edges of evaluating every variant as its own
// circuit.
func TestBatchedMatchesUnbatchedInduction(t *testing.T) {
	m := loadDay3(t)
	rng := rand.New(rand.NewPCG(5, 6))
	clean, other := repeated(rng, m.Config.Vocab, 10), repeated(rng, m.Config.Vocab, 10)
	corrupt := slices.Concat(other[:11], clean[11:])
	batchCase{m, clean, corrupt, Options{Metric: KL, Threshold: 0.002}}.check(t)
	batchCase{m, clean, corrupt, Options{Metric: KL, Threshold: 0.002, Receivers: HeadReceivers}}.check(t)
}

// circopt keeps exactly the edges the PyTorch hook loop of
// testdata/acdc/acdc_torch.py keeps on the induction model (both in
// float64, on the script's tokens; its output induction_torch.json was
// made from the model file whose SHA-256 it records).
func TestInductionMatchesTorch(t *testing.T) {
	m := loadDay3(t)
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "acdc", "induction_torch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		SHA       string     `json:"model_circ_sha256"`
		Threshold float64    `json:"threshold"`
		Clean     []int64    `json:"clean"`
		Corrupt   []int64    `json:"corrupt"`
		Edges     [][]string `json:"edges"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(day3Dir, "model.circ"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(text); hex.EncodeToString(sum[:]) != ref.SHA {
		t.Skip("examples/day3/model.circ changed since induction_torch.json was written: rerun /usr/bin/python3 testdata/acdc/acdc_torch.py -model induction")
	}
	want := make([]Edge, len(ref.Edges))
	for i, e := range ref.Edges {
		want[i] = Edge{e[0], e[1]}
	}
	res, err := Run(context.Background(), m, tokens(t, ref.Clean...), tokens(t, ref.Corrupt...), Options{Metric: KL, Threshold: ref.Threshold, DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Edges, want) {
		t.Errorf("circopt kept %v\nPyTorch kept %v", res.Edges, want)
	}
	t.Logf("%d edges kept by both: %v", len(want), want)
}
