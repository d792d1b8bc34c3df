package scrub

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

var day4aFiles = []string{"shuffled_labels.json", "hypothesis.json", "ex1_or_only.json", "ex2a_x0_to_A_random.json",
	"ex2b_x0_to_A_exact.json", "ex3_flow_only.json", "and_instead_of_or.json"}

// day4aJobs is every day 4a hypothesis prepared with one seed.
func day4aJobs(t *testing.T, n int, seed uint64) ([]Job, circuit.Circuit, *Dataset) {
	t.Helper()
	model, ds := day4a(t)
	var jobs []Job
	for _, f := range day4aFiles {
		ex, s, err := PrepareFile(filepath.Join("..", "examples", "day4a", f), model, ds, n, seed)
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, Job{ex, s})
	}
	return jobs, model, ds
}

func closeValues(a, b []float64, tol float64) (int, bool) {
	if len(a) != len(b) {
		return -1, false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol*(1+math.Abs(b[i])) {
			return i, false
		}
	}
	return 0, true
}

// sameResult reports where got differs from want, example by example.
func sameResult(t *testing.T, what string, got, want *Result, tol float64) {
	t.Helper()
	gotO, gotS, gotR := got.Values()
	wantO, wantS, wantR := want.Values()
	for _, c := range []struct {
		what      string
		got, want []float64
	}{{"original", gotO, wantO}, {"scrubbed", gotS, wantS}, {"random", gotR, wantR}} {
		if at, ok := closeValues(c.got, c.want, tol); !ok {
			t.Errorf("%s, %s: example %d differs", what, c.what, at)
		}
	}
	if math.Abs(got.LossRecovered-want.LossRecovered) > 100*tol*(1+math.Abs(want.LossRecovered)) || got.N != want.N || got.Seed != want.Seed {
		t.Errorf("%s: n %d seed %d loss recovered %v, want n %d seed %d %v", what, got.N, got.Seed, got.LossRecovered, want.N, want.Seed, want.LossRecovered)
	}
}

// directRun is Run forced to evaluate each gathered copy: the reference
// the union evaluation is checked against.
func directRun(t *testing.T, ex *Experiment, s *Samples, opts RunOptions) *Result {
	t.Helper()
	r, err := ex.runDirect(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// All scrubs batched (model on the union of rows, gathered) give every
// example's value that each scrub run alone gives, compiled and naive.
func TestRunManyMatchesRunEach(t *testing.T) {
	jobs, _, _ := day4aJobs(t, 700, 5)
	for _, naive := range []bool{false, true} {
		got, err := RunMany(t.Context(), jobs, RunOptions{DType: tensor.Float64, Naive: naive})
		if err != nil {
			t.Fatal(err)
		}
		for i, j := range jobs {
			want := directRun(t, j.Experiment, j.Samples, RunOptions{DType: tensor.Float64, Naive: true})
			sameResult(t, fmt.Sprintf("naive %v, %s", naive, day4aFiles[i]), got[i], want, 1e-9)
		}
	}
	// float32, compiled both ways
	got, err := RunMany(t.Context(), jobs, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := range jobs {
		sameResult(t, "float32 "+day4aFiles[i], got[i], directRun(t, j.Experiment, j.Samples, RunOptions{}), 1e-5)
	}
}

// The transformer hypothesis (each last-layer head on its own datum) run
// the union way gives, example by example, what the direct way gives:
// float64 through the reference evaluator, float32 compiled.
func TestRunUnionMatchesDirectTransformer(t *testing.T) {
	cfg := benchGPT
	m, model := transformerScrubModel(t, cfg)
	ds := transformerDataset(t, m, 300, cfg.Vocab)
	ex := headsExperiment(t, model, ds, cfg, func(h int) string { return fmt.Sprintf(`["tok%d"]`, h) })
	for seed := range uint64(3) {
		s, err := ex.Sample(80, seed)
		if err != nil {
			t.Fatal(err)
		}
		for _, opts := range []RunOptions{{DType: tensor.Float64, Naive: true}, {}} {
			got, err := ex.runUnion(s, opts)
			if err != nil {
				t.Fatal(err)
			}
			tol := 1e-9
			if !opts.Naive {
				tol = 1e-4
			}
			sameResult(t, fmt.Sprintf("seed %d naive %v", seed, opts.Naive), got, directRun(t, ex, s, RunOptions{DType: tensor.Float64, Naive: true}), tol)
		}
		// a rerun of the same samples reuses the union plan
		before := len(ex.unionPlans)
		if _, err := ex.runUnion(s, RunOptions{}); err != nil || len(ex.unionPlans) != before {
			t.Errorf("seed %d: rerun compiled again (%d plans, was %d), %v", seed, len(ex.unionPlans), before, err)
		}
	}
}

// The work rule: a transformer whose heads each read their own datum does
// less work on the union of rows; day 4a's tiny model, where almost
// everything mixes vectors, does not. Run follows the rule and gives the
// direct values either way.
func TestRunChoosesByWork(t *testing.T) {
	cfg := benchGPT
	m, model := transformerScrubModel(t, cfg)
	ds := transformerDataset(t, m, 2000, cfg.Vocab)
	heads := headsExperiment(t, model, ds, cfg, func(h int) string { return fmt.Sprintf(`["tok%d"]`, h) })
	s, err := heads.Sample(500, 5)
	if err != nil {
		t.Fatal(err)
	}
	u, err := heads.useUnion(s)
	t.Logf("heads: %+v, |U| %d", heads.works, heads.unionSize(s))
	if err != nil || !u {
		t.Errorf("transformer heads: union %v, %v; want the union evaluation", u, err)
	}
	jobs, _, _ := day4aJobs(t, 10000, 5)
	ex4a, s4a := jobs[1].Experiment, jobs[1].Samples // hypothesis.json
	u, err = ex4a.useUnion(s4a)
	t.Logf("day 4a: %+v, |U| %d", ex4a.works, ex4a.unionSize(s4a))
	if err != nil || u {
		t.Errorf("day 4a: union %v, %v; want the direct evaluation", u, err)
	}
	// a small model where the union saves a few percent of the work: not
	// worth compiling a plan for each new set of samples
	root := NewInterpNode("root", ExactSampler{}, nil)
	c := NewCorrespondence()
	if err := c.Add(root, RootMatcher()); err != nil {
		t.Fatal(err)
	}
	if err := c.Add(root.MakeDescendant("b0'", AgreeOn("x0"), nil), pm(t, "'b0'")); err != nil {
		t.Fatal(err)
	}
	branches, err := NewExperiment(branchesModel(t), branchesData(t), c)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := branches.Sample(500, 1)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := branches.useUnion(sb); err != nil || u {
		t.Errorf("20 branches, 2 interp nodes: union %v, %v; want the direct evaluation", u, err)
	}
	got, err := ex4a.Run(s4a, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, "day 4a Run", got, directRun(t, ex4a, s4a, RunOptions{}), 0)
}

func TestUnionCheaperBounds(t *testing.T) {
	w := unionWork{perVec: 10, byUses: map[int]float64{3: 4}, gathers: 1, vectors: 3}
	called := false
	rows := func() int { called = true; return 200 }
	// n=100: union costs 100·|U|·4/100 + 100; direct 1000
	if !w.unionCheaper(100, 1000, rows) || !called {
		t.Errorf("|U|=200: 200·4+100 < 1000, want union (rows asked: %v)", called)
	}
	called = false
	if !w.unionCheaper(100, 200, rows) || called {
		t.Error("a dataset of 200 rows bounds |U|: decided without counting")
	}
	if (unionWork{perVec: 5, byUses: map[int]float64{3: 4}, gathers: 1, vectors: 3}).unionCheaper(100, 1000, func() int { t.Error("counted"); return 0 }) {
		t.Error("byUses+gathers >= perVec: never the union")
	}
}

// The batched circuits read each input once, on the union of the sampled
// rows, and every sampled vector is a gather of it: no scrub reads its own
// copy of the data.
func TestRunManySharesTheModel(t *testing.T) {
	jobs, _, ds := day4aJobs(t, 300, 2)
	b, err := newUnion(jobs)
	if err != nil {
		t.Fatal(err)
	}
	batched, binds, err := b.circuits(tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	free := circuit.FreeSymbols(batched...)
	if len(free) != len(binds) {
		t.Errorf("the batched circuits read %d Symbols, want one per input (%d)", len(free), len(binds))
	}
	for _, s := range free {
		if !strings.HasSuffix(s.Name(), "@rows") || s.Shape()[0] != len(b.union) {
			t.Errorf("Symbol %s %v: want INPUT@rows over the %d rows", s.Name(), s.Shape(), len(b.union))
		}
	}
	if len(b.union) > ds.Len() || len(b.union) < 300 {
		t.Errorf("union of %d rows", len(b.union))
	}
}

func TestRunManyErrors(t *testing.T) {
	jobs, model, _ := day4aJobs(t, 10, 1)
	if rs, err := RunMany(t.Context(), nil, RunOptions{}); err != nil || rs != nil {
		t.Errorf("no jobs: %v, %v", rs, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := RunMany(ctx, jobs, RunOptions{}); err == nil {
		t.Error("cancelled: no error")
	}
	// another dataset of the same arrays is still another dataset
	other, err := LoadDataset(filepath.Join("..", "examples", "day4a", "data.npz"))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := NewExperiment(model, other, jobs[0].Experiment.Corr)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ex.Sample(10, 1)
	if _, err := RunMany(t.Context(), []Job{jobs[0], {ex, s}}, RunOptions{}); err == nil || !strings.Contains(err.Error(), "same dataset") {
		t.Errorf("two datasets: %v", err)
	}
}

// What only the reference reads (the original's top: its loss) runs on its
// n rows, not on the union's, while what several vectors read runs once on
// the union: the batched original is not a gather of the model on U, and
// the scrubbed circuit does gather lifted subtrees.
func TestRunManyLiftsOnlyWhatPays(t *testing.T) {
	cfg := benchGPT
	m, model := transformerScrubModel(t, cfg)
	ds := transformerDataset(t, m, 300, cfg.Vocab)
	ex := headsExperiment(t, model, ds, cfg, func(h int) string { return fmt.Sprintf(`["tok%d"]`, h) })
	s, err := ex.Sample(80, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newUnion([]Job{{ex, s}})
	if err != nil {
		t.Fatal(err)
	}
	batched, _, err := b.circuits(tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.union) <= 80 {
		t.Fatalf("union of %d rows: the test needs |U| > n", len(b.union))
	}
	// a gather of a lifted subtree: an Index whose child is not a Symbol
	lifted := func(c circuit.Circuit) int {
		n := 0
		circuit.Walk([]circuit.Circuit{c}, func(x circuit.Circuit) {
			if ix, ok := x.(*circuit.Index); ok {
				if _, sym := ix.Children()[0].(*circuit.Symbol); !sym {
					n++
				}
			}
		})
		return n
	}
	if _, ok := batched[0].(*circuit.Index); ok {
		t.Error("the original is a gather of the whole model on U; only the reference reads its top, so that should run on its own rows")
	}
	if lifted(batched[1]) == 0 {
		t.Error("the scrubbed circuit gathers no lifted subtree: the heads' shared layers did not run on the union")
	}
}

// A scrub run after another with the same pattern of vector ids reuses the
// first one's per-example circuits (unionMemo) and gives, bit for bit, what
// a fresh experiment gives on the same samples; samples whose vectors
// coincide differently build anew.
func TestUnionMemoMatchesFresh(t *testing.T) {
	cfg := benchGPT
	m, model := transformerScrubModel(t, cfg)
	ds := transformerDataset(t, m, 300, cfg.Vocab)
	agree := func(h int) string { return fmt.Sprintf(`["tok%d"]`, h) }
	ex := headsExperiment(t, model, ds, cfg, agree)
	var roots []circuit.Circuit
	for seed := range uint64(4) {
		s, err := ex.Sample(60, seed)
		if err != nil {
			t.Fatal(err)
		}
		if seed > 0 {
			b, _, err := ex.unionFor(s)
			if err != nil {
				t.Fatal(err)
			}
			if len(b.roots) == 0 || b.roots[0] != roots[0] {
				t.Errorf("seed %d: the per-example circuits were built again", seed)
			}
			ex.keepUnion(ex.vectorPattern(newUnionBatcher(ds), s), b)
		}
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
			got, err := ex.runUnion(s, RunOptions{DType: dt})
			if err != nil {
				t.Fatal(err)
			}
			fresh := headsExperiment(t, model, ds, cfg, agree)
			want, err := fresh.runUnion(s, RunOptions{DType: dt})
			if err != nil {
				t.Fatal(err)
			}
			gotO, gotS, gotR := got.Values()
			wantO, wantS, wantR := want.Values()
			for i, pair := range [][2][]float64{{gotO, wantO}, {gotS, wantS}, {gotR, wantR}} {
				if !slices.Equal(pair[0], pair[1]) {
					t.Fatalf("seed %d %v: values %d differ from a fresh experiment's", seed, dt, i)
				}
			}
		}
		if seed == 0 {
			b, _, err := ex.unionFor(s)
			if err != nil {
				t.Fatal(err)
			}
			roots = b.roots
			ex.keepUnion(ex.vectorPattern(newUnionBatcher(ds), s), b)
		}
	}
	// every head reads the reference's datum: another pattern of ids
	s, err := ex.Sample(60, 9)
	if err != nil {
		t.Fatal(err)
	}
	for h := range cfg.Heads {
		name := fmt.Sprintf("a%d.h%d'", cfg.Layers-1, h)
		if _, ok := s.Datum[name]; !ok {
			t.Fatalf("no datum for %s", name)
		}
		s.Datum[name] = s.Ref
	}
	b, _, err := ex.unionFor(s)
	if err != nil {
		t.Fatal(err)
	}
	if b.roots[0] == roots[0] {
		t.Errorf("samples with coinciding vectors reused another pattern's circuits")
	}
}
