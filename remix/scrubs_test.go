package remix

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/scrub"
	"github.com/circopt/circopt/tensor"
)

var day4aFiles = []string{"shuffled_labels.json", "hypothesis.json", "ex1_or_only.json", "ex2a_x0_to_A_random.json",
	"ex2b_x0_to_A_exact.json", "ex3_flow_only.json", "and_instead_of_or.json"}

func day4aJobs(t *testing.T, n int, seed uint64) ([]ScrubJob, circuit.Circuit, *scrub.Dataset) {
	t.Helper()
	dir := filepath.Join("..", "examples", "day4a")
	ds, err := scrub.LoadDataset(filepath.Join(dir, "data.npz"))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := circuit.ParseFile(filepath.Join(dir, "model.circ"), circuit.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var hyps []*scrub.Hypothesis
	for _, f := range day4aFiles {
		h, err := scrub.LoadHypothesis(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		hyps = append(hyps, h)
	}
	jobs, err := PrepareScrubs(t.Context(), hyps, cs[0], ds, n, seed)
	if err != nil {
		t.Fatal(err)
	}
	return jobs, cs[0], ds
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

// All scrubs batched (model on the union of rows, gathered) give every
// example's value that each scrub run alone gives, compiled and naive.
func TestRunScrubsMatchesRunEach(t *testing.T) {
	jobs, _, _ := day4aJobs(t, 700, 5)
	for _, naive := range []bool{false, true} {
		opts := scrub.RunOptions{DType: tensor.Float64, Naive: naive}
		got, err := RunScrubs(t.Context(), jobs, opts)
		if err != nil {
			t.Fatal(err)
		}
		for i, j := range jobs {
			want, err := j.Experiment.Run(j.Samples, scrub.RunOptions{DType: tensor.Float64, Naive: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				what      string
				got, want []float64
			}{{"original", got[i].OriginalValues, want.OriginalValues}, {"scrubbed", got[i].ScrubbedValues, want.ScrubbedValues}, {"random", got[i].RandomValues, want.RandomValues}} {
				if at, ok := closeValues(c.got, c.want, 1e-9); !ok {
					t.Errorf("naive %v, %s, %s: example %d differs", naive, day4aFiles[i], c.what, at)
				}
			}
			if math.Abs(got[i].LossRecovered-want.LossRecovered) > 1e-9 || got[i].N != 700 || got[i].Seed != 5 {
				t.Errorf("naive %v, %s: %+v, alone %+v", naive, day4aFiles[i], got[i], want)
			}
		}
	}
}

// The batched circuits read each input once, on the union of the sampled
// rows, and every sampled vector is a gather of it: no scrub reads its own
// copy of the data.
func TestRunScrubsSharesTheModel(t *testing.T) {
	jobs, _, ds := day4aJobs(t, 300, 2)
	b := newScrubBatcher(ds)
	var roots []circuit.Circuit
	for _, j := range jobs {
		cs, err := b.perExample(j.Experiment, j.Samples)
		if err != nil {
			t.Fatal(err)
		}
		roots = append(roots, cs...)
	}
	binds, err := b.bindUnion(tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	var batched []circuit.Circuit
	for _, r := range roots {
		c, err := b.batch(r)
		if err != nil {
			t.Fatal(err)
		}
		batched = append(batched, c)
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

func TestRunScrubsErrors(t *testing.T) {
	jobs, model, ds := day4aJobs(t, 10, 1)
	if rs, err := RunScrubs(t.Context(), nil, scrub.RunOptions{}); err != nil || rs != nil {
		t.Errorf("no jobs: %v, %v", rs, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := RunScrubs(ctx, jobs, scrub.RunOptions{}); err == nil {
		t.Error("cancelled: no error")
	}
	if _, err := PrepareScrubs(ctx, []*scrub.Hypothesis{{File: "h.json"}}, model, ds, 10, 1); err == nil {
		t.Error("PrepareScrubs cancelled: no error")
	}
	// another dataset of the same arrays is still another dataset
	other, err := scrub.LoadDataset(filepath.Join("..", "examples", "day4a", "data.npz"))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := scrub.NewExperiment(model, other, jobs[0].Experiment.Corr)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ex.Sample(10, 1)
	if _, err := RunScrubs(t.Context(), []ScrubJob{jobs[0], {ex, s}}, scrub.RunOptions{}); err == nil || !strings.Contains(err.Error(), "same dataset") {
		t.Errorf("two datasets: %v", err)
	}
}
