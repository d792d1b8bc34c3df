package scrub

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/tensor"
)

// intDataset is rust_circuit's IntDataset.of_shape: n rows of k digits 0-9
// as "xs", and labels computed from each row.
func intDataset(t testing.TB, n, k int, label func(x []float64) float64) *Dataset {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(n*31+k), 7))
	xs := make([]float64, n*k)
	ls := make([]float64, n)
	for i := range n {
		for j := range k {
			xs[i*k+j] = float64(rng.IntN(10))
		}
		ls[i] = label(xs[i*k : (i+1)*k])
	}
	return datasetOf(t, n, k, xs, ls)
}

func datasetOf(t testing.TB, n, k int, xs, ls []float64) *Dataset {
	t.Helper()
	xt, _ := tensor.FromFloat64([]int{n, k}, xs)
	lt, _ := tensor.FromFloat64([]int{n}, ls)
	ds, err := NewDataset(map[string]*tensor.Tensor{"xs": xt, "labels": lt})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// rowFeature is FuncSampler(lambda d: f(d.xs)).
func rowFeature(name string, f func(x []float64) float64) *FuncSampler {
	return &FuncSampler{Name: name, Feature: func(ds *Dataset) ([]string, error) {
		xs, err := ds.Array("xs")
		if err != nil {
			return nil, err
		}
		v := xs.Float64s()
		k := len(v) / ds.Len()
		out := make([]string, ds.Len())
		for i := range out {
			out[i] = strconv.FormatFloat(f(v[i*k:(i+1)*k]), 'g', -1, 64)
		}
		return out, nil
	}}
}

func col(j int) func(x []float64) float64 { return func(x []float64) float64 { return x[j] } }

var labelCond = AgreeOn("labels")

// parseModel parses a circuit whose root is the model output C, and
// returns the per-example loss (C - labels)^2 whose inputs are xs and labels.
func parseModel(t testing.TB, src string) circuit.Circuit {
	t.Helper()
	cs, err := circuit.ParseCircuits(src, circuit.ParseOptions{File: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	labels, err := circuit.NewSymbol(nil, "", "labels")
	if err != nil {
		t.Fatal(err)
	}
	diff, err := circuit.Sub("diff", cs[0], labels)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := circuit.Mul("loss", diff, diff)
	if err != nil {
		t.Fatal(err)
	}
	return loss
}

func pm(t testing.TB, s string) match.IterativeMatcher {
	t.Helper()
	m, err := match.ParseMatcher(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// corrOf builds a correspondence from (node, matcher) pairs. The root gets
// a y child that keeps the root's labels, since our loss is in the circuit.
func corrOf(t testing.TB, pairs ...any) *Correspondence {
	t.Helper()
	c := NewCorrespondence()
	for i := 0; i < len(pairs); i += 2 {
		if err := c.Add(pairs[i].(*InterpNode), pairs[i+1].(match.IterativeMatcher)); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// withLabels adds the y node (labels exact from root) under root.
func withLabels(t testing.TB, c *Correspondence, root *InterpNode) *Correspondence {
	t.Helper()
	y := root.MakeDescendant("y", ExactSampler{}, nil)
	if err := c.Add(y, pm(t, "'labels'")); err != nil {
		t.Fatal(err)
	}
	return c
}

// scrubLoss runs the experiment over seeds 0..9 and checks ok on each
// scrubbed mean loss.
func scrubLoss(t *testing.T, model circuit.Circuit, ds *Dataset, corr *Correspondence, n int, ok func(float64) bool) {
	t.Helper()
	ex, err := NewExperiment(model, ds, corr)
	if err != nil {
		t.Fatal(err)
	}
	for seed := range uint64(10) {
		s, err := ex.Sample(n, seed)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ex.Run(s, RunOptions{DType: tensor.Float64})
		if err != nil {
			t.Fatal(err)
		}
		if !ok(r.Scrubbed.Mean) {
			t.Errorf("seed %d: scrubbed loss %g fails the threshold (original %g)", seed, r.Scrubbed.Mean, r.Original.Mean)
		}
	}
}

// wantCorrErr checks err is a *CorrespondenceError of the given kind (nil:
// any kind).
func wantCorrErr(t *testing.T, err error, kind error) {
	t.Helper()
	var ce *CorrespondenceError
	if !errors.As(err, &ce) {
		t.Fatalf("want a *CorrespondenceError, got %v", err)
	}
	if kind != nil && !errors.Is(err, kind) {
		t.Fatalf("want %v, got %v", kind, err)
	}
}

// datumLoss is rust_circuit's datum_loss: the model's loss on single
// examples (the largest over the first ten), which a hypothesis test
// checks is small before showing that scrubbing exposes the flaw.
func datumLoss(t *testing.T, model circuit.Circuit, ds *Dataset) float64 {
	t.Helper()
	worst := 0.0
	for i := range min(10, ds.Len()) {
		worst = max(worst, evalOn(t, model, ds, i))
	}
	return worst
}
