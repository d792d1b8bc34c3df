package remix

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/circopt/circopt/scrub"
	"github.com/circopt/circopt/tensor"
)

var updateDay4b = flag.Bool("update-day4b", false, "rewrite testdata/day4b/samples (circopt's draws, for scrub_torch.py)")

var (
	day4bDir      = filepath.Join("..", "examples", "day4b")
	day4bTestdata = filepath.Join("..", "testdata", "day4b")
)

// The scrub cross-check's size: small, so every experiment runs in tests.
const (
	day4bCheckN    = 24
	day4bCheckSeed = 1
)

func loadDay4b(t testing.TB) (*ParenModel, *ParenCircuits, *scrub.Dataset) {
	t.Helper()
	m, err := LoadParenModel(filepath.Join(day4bDir, "model.circ"), filepath.Join(day4bDir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := BuildParen(m.Weights)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := scrub.LoadDataset(filepath.Join(day4bDir, "dataset.npz"))
	if err != nil {
		t.Fatal(err)
	}
	return m, pc, ds
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// The shipped model file, loaded through modlib, and the scrub circuit
// built from it both give PyTorch's logits on held-out strings.
func TestParenShippedLogits(t *testing.T) {
	m, pc, _ := loadDay4b(t)
	var ref struct {
		Strings []string     `json:"strings"`
		Logits  [][2]float64 `json:"logits"`
	}
	readJSON(t, filepath.Join(day4bTestdata, "torch_logits.json"), &ref)
	if len(ref.Strings) == 0 {
		t.Fatal("no reference strings")
	}
	var onehots []float32
	for i, s := range ref.Strings {
		toks, err := ParenTokenize(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.Logits(toks, tensor.Float32)
		if err != nil {
			t.Fatal(err)
		}
		for j := range got {
			if math.Abs(got[j]-ref.Logits[i][j]) > 1e-4 {
				t.Errorf("%q: model file logits %v, torch %v", s, got, ref.Logits[i])
				break
			}
		}
		onehots = append(onehots, ParenOneHot(toks).Float32s()...)
	}
	batch, _ := tensor.FromFloat32([]int{len(ref.Strings), ParenSeq, ParenVocab}, onehots)
	got, err := ParenBatchLogits(pc.Logits, batch, tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ref.Strings {
		for j := 0; j < 2; j++ {
			if math.Abs(got[2*i+j]-ref.Logits[i][j]) > 1e-4 {
				t.Errorf("%q: scrub circuit logits %v, torch %v", ref.Strings[i], got[2*i:2*i+2], ref.Logits[i])
				break
			}
		}
	}
}

// Held-out accuracy recomputed in Go: as many of the first 1000 held-out
// strings right as PyTorch gets.
func TestParenHeldOutAccuracy(t *testing.T) {
	_, pc, ds := loadDay4b(t)
	var ref struct {
		Right int `json:"right_of_first_1000"`
	}
	readJSON(t, filepath.Join(day4bTestdata, "torch_logits.json"), &ref)
	toks, _ := ds.Array(ParenTokens)
	labels, _ := ds.Array(ParenIsBalanced)
	const n = 1000
	first := toks.Float32s()[:n*ParenSeq*ParenVocab]
	batch, _ := tensor.FromFloat32([]int{n, ParenSeq, ParenVocab}, first)
	logits, err := ParenBatchLogits(pc.Logits, batch, tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i, y := range labels.Float64s()[:n] {
		if (logits[2*i+1] > logits[2*i+0]) == (y == 1) {
			right++
		}
	}
	t.Logf("held-out accuracy on the first %d: %.1f%%", n, 100*float64(right)/n)
	// a logit difference within float32 noise of 0 may flip one example
	if d := right - ref.Right; d < -1 || d > 1 {
		t.Errorf("%d of the first %d held-out strings right, PyTorch gets %d", right, n, ref.Right)
	}
}

// The dataset's feature columns are the day's definitions, recomputed here
// from the tokens independently of make_dataset.py.
func TestParenDatasetFeatures(t *testing.T) {
	_, _, ds := loadDay4b(t)
	col := func(name string) []float64 {
		a, err := ds.Array(name)
		if err != nil {
			t.Fatal(err)
		}
		return a.Float64s()
	}
	flat := col("tokens_flat")
	count, horizon, open, countOpen, p1, lengths := col("count_test"), col("horizon_test"), col("starts_with_open"), col("count_open"), col("p1_open"), col("input_lengths")
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	for i := 0; i < ds.Len(); i++ {
		toks := flat[i*ParenSeq : (i+1)*ParenSeq]
		// p_open_after[j]: the share of '(' among the parens at j and after
		opens, closes := 0.0, 0.0
		pAfter := make([]float64, ParenSeq)
		for j := ParenSeq - 1; j >= 0; j-- {
			opens += b(toks[j] == ParenOpen)
			closes += b(toks[j] == ParenClose)
			pAfter[j] = opens / (opens + closes) // NaN past the parens
		}
		maxP, n := math.Inf(-1), 0.0
		for j, p := range pAfter {
			if !math.IsNaN(p) {
				maxP = math.Max(maxP, p)
			}
			n += b(toks[j] != ParenPad)
		}
		so := toks[1] == ParenOpen
		wantP1 := -1.0
		if so {
			wantP1 = pAfter[1]
		}
		want := []float64{b(pAfter[0] == 0.5), b(maxP <= 0.5), b(so), b(pAfter[0] == 0.5 && so), wantP1, n}
		got := []float64{count[i], horizon[i], open[i], countOpen[i], p1[i], lengths[i]}
		for k := range want {
			if math.Abs(got[k]-want[k]) > 1e-6 {
				t.Fatalf("example %d: count, horizon, starts open, count open, p1, length = %v, want %v", i, got, want)
			}
		}
	}
}

// Every experiment's scrub agrees with PyTorch's on the same sampled
// indices (testdata/day4b/scrub_torch.py), example by example.
func TestParenScrubMatchesTorch(t *testing.T) {
	_, pc, ds := loadDay4b(t)
	var torch struct {
		Experiments map[string]struct {
			Values []float64 `json:"values"`
		} `json:"experiments"`
	}
	if !*updateDay4b {
		readJSON(t, filepath.Join(day4bTestdata, "torch_scrub.json"), &torch)
	}
	ref := torch.Experiments
	start := time.Now()
	jobs, rs, err := runParen(t.Context(), pc.Loss, ds, ParenExperiments(), day4bCheckN, day4bCheckSeed, scrub.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("all experiments: %v", time.Since(start))
	for i, e := range ParenExperiments() {
		r, s, ex := rs[i], jobs[i].Samples, jobs[i].Experiment
		if *updateDay4b {
			dir := filepath.Join(day4bTestdata, "samples")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := ex.DumpSamples(filepath.Join(dir, e.Name+".npz"), s); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, ok := ref[e.Name]
		_, scrubbed, _ := r.Values()
		if !ok || len(want.Values) != len(scrubbed) {
			t.Errorf("%s: torch has %d values, circopt %d (rerun scrub_torch.py --values)", e.Name, len(want.Values), len(scrubbed))
			continue
		}
		for i, v := range scrubbed {
			if math.Abs(v-want.Values[i]) > 1e-4 {
				t.Errorf("%s: example %d scrubbed loss %v, torch %v", e.Name, i, v, want.Values[i])
				break
			}
		}
	}
}

// A subset of the README's table (examples/day4b/table.json) reproduces.
func TestParenTableSubset(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three experiments at the table's size")
	}
	_, pc, ds := loadDay4b(t)
	var table struct {
		N    int        `json:"n"`
		Seed uint64     `json:"seed"`
		Rows []ParenRow `json:"rows"`
	}
	readJSON(t, filepath.Join(day4bDir, "table.json"), &table)
	want := map[string]ParenRow{}
	for _, r := range table.Rows {
		want[r.Name] = r
	}
	var exps []ParenExperiment
	for _, e := range ParenExperiments() {
		if e.Name == "0a" || e.Name == "0b" || e.Name == "1b" {
			exps = append(exps, e)
		}
	}
	rows, err := RunParen(t.Context(), pc.Loss, ds, exps, table.N, table.Seed, scrub.RunOptions{}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		w := want[r.Name]
		if math.Abs(r.Loss-w.Loss) > 1e-5 || math.Abs(r.Stderr-w.Stderr) > 1e-5 || r.Acc != w.Acc {
			t.Errorf("%s: loss %.6f ± %.6f acc %.4f, table %.6f ± %.6f acc %.4f", r.Name, r.Loss, r.Stderr, r.Acc, w.Loss, w.Stderr, w.Acc)
		}
	}
}

// The shipped hypothesis files are the experiments as built here, and each
// parses (as circopt scrub reads it) into a correspondence on the dataset.
func TestParenHypothesisFiles(t *testing.T) {
	_, _, ds := loadDay4b(t)
	for _, e := range ParenExperiments() {
		path := filepath.Join(day4bDir, "hypotheses", e.Name+".json")
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := e.JSON()
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s is stale: rerun go run ./training/parens/ship", path)
		}
		h, err := scrub.ParseHypothesis(path, got)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Correspondence(ds); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}
