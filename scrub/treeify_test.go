package scrub

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/tensor"
)

// numInputTags counts the renamed inputs treeification made (rust_circuit's
// num_input_tags).
func numInputTags(t *testing.T, c circuit.Circuit) int {
	t.Helper()
	re, err := match.Regex(regexp.QuoteMeta(scrubSuffix))
	if err != nil {
		t.Fatal(err)
	}
	found, err := match.Get(c, re)
	if err != nil {
		t.Fatal(err)
	}
	return len(found)
}

func treeified(t *testing.T, model circuit.Circuit, corr *Correspondence) circuit.Circuit {
	t.Helper()
	ex, err := NewExperiment(model, digitsDS(t), corr)
	if err != nil {
		t.Fatal(err)
	}
	return ex.Treeified().Circuit
}

func TestTreeifyTagCounts(t *testing.T) {
	// child subsumes the parent entirely: one tag per input
	model := parseModel(t, `
'C' Einsum ,->
  'A' Einsum ,->
    0 [] Index [0]
      'xs' [2] Symbol
    1 [] Scalar 2
  2 [] Scalar 3
`)
	root := NewInterpNode("Ct", ExactSampler{}, nil)
	a := root.MakeDescendant("A", ExactSampler{}, nil)
	if n := numInputTags(t, treeified(t, model, corrOf(t, root, RootMatcher(), a, pm(t, "'A'")))); n != 2 {
		// xs under A, and labels under the root
		t.Errorf("child subsumes parent: %d input tags, want 2", n)
	}

	// only some children mapped: xs under A and xs under B differ
	model = parseModel(t, abModel)
	root = NewInterpNode("Ct", ExactSampler{}, nil)
	a = root.MakeDescendant("A", ExactSampler{}, nil)
	if n := numInputTags(t, treeified(t, model, corrOf(t, root, RootMatcher(), a, pm(t, "'A'")))); n != 3 {
		t.Errorf("some children mapped: %d input tags, want 3", n)
	}

	// all children mapped: the root keeps only labels
	root = NewInterpNode("Ct", ExactSampler{}, nil)
	a = root.MakeDescendant("A", ExactSampler{}, nil)
	b := root.MakeDescendant("B", ExactSampler{}, nil)
	if n := numInputTags(t, treeified(t, model, corrOf(t, root, RootMatcher(), a, pm(t, "'A'"), b, pm(t, "'B'")))); n != 3 {
		t.Errorf("all children mapped: %d input tags, want 3", n)
	}
}

// Treeification is an algebraic rewrite: the treeified model evaluates to
// the model.
func TestTreeifyPreservesValue(t *testing.T) {
	model := parseModel(t, sharedX0)
	root := NewInterpNode("C", ExactSampler{}, nil)
	a := root.MakeDescendant("A", ExactSampler{}, nil)
	tree := treeified(t, model, corrOf(t, root, RootMatcher(), a, pm(t, "'A'")))
	if numInputTags(t, tree) != 3 {
		t.Fatalf("want 3 input tags (xs under A, xs elsewhere, labels)")
	}
	ds := digitsDS(t)
	for _, i := range []int{0, 7, 99} {
		want := evalOn(t, model, ds, i)
		got := evalOn(t, tree, ds, i)
		if want != got {
			t.Errorf("example %d: treeified %g, model %g", i, got, want)
		}
	}
}

// evalOn evaluates c on example i, binding every free Symbol named after
// an input, or a treeified copy of one, to that input's row.
func evalOn(t *testing.T, c circuit.Circuit, ds *Dataset, i int) float64 {
	t.Helper()
	binds := map[string]*tensor.Tensor{}
	for _, s := range circuit.FreeSymbols(c) {
		input, _, _ := strings.Cut(s.Name(), scrubSuffix)
		row, err := ds.Gather(input, []int{i}, tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		r, err := row.Reshape(s.Shape())
		if err != nil {
			t.Fatal(err)
		}
		binds[s.Name()] = r
	}
	v, err := circuit.Evaluate(c, circuit.EvalOptions{DType: tensor.Float64, Bindings: binds})
	if err != nil {
		t.Fatal(err)
	}
	x, err := v.Item()
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// countGathers counts the distinct gathered inputs of a scrubbed circuit.
func countGathers(c circuit.Circuit, input string) int {
	n := 0
	for _, s := range circuit.FreeSymbols(c) {
		if strings.HasPrefix(s.Name(), input+"@") {
			n++
		}
	}
	return n
}

func TestReplacedInputCounts(t *testing.T) {
	model := parseModel(t, abModel)
	ds := intDataset(t, 5, 2, func(x []float64) float64 { return 2*x[0] + 3*x[1] })
	// uncond for both: C and A draw different data, so xs appears twice
	root := NewInterpNode("C", &UncondSampler{}, nil)
	a := root.MakeDescendant("A", &UncondSampler{}, nil)
	ex, err := NewExperiment(model, ds, corrOf(t, root, RootMatcher(), a, pm(t, "'A'")))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ex.Sample(50, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ex.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	if n := countGathers(b.Scrubbed, "xs"); n != 2 {
		t.Errorf("%d gathers of xs, want 2", n)
	}
	// exact everywhere: one datum, one shared gather (the slots coincide)
	root = NewInterpNode("C", ExactSampler{}, ExactSampler{})
	a = root.MakeDescendant("A", ExactSampler{}, nil)
	ex, err = NewExperiment(model, ds, corrOf(t, root, RootMatcher(), a, pm(t, "'A'")))
	if err != nil {
		t.Fatal(err)
	}
	s, _ = ex.Sample(50, 1)
	b, err = ex.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	if n := countGathers(b.Scrubbed, "xs"); n != 1 {
		t.Errorf("%d gathers of xs with one datum, want 1", n)
	}
}

// rust_circuit's test_implicit_inputs: a matcher extended to the inputs
// finds exactly the dataset inputs below it.
func TestToInputs(t *testing.T) {
	model := parseModel(t, twoIndices)
	found, err := match.Get(model, toInputs(RootMatcher(), []string{"xs", "labels"}))
	if err != nil || len(found) != 2 {
		t.Fatalf("found %d inputs (%v), want xs and labels", len(found), err)
	}
	found, err = match.Get(model, toInputs(RootMatcher(), []string{"xs"}))
	if err != nil || len(found) != 1 || found[0].Name() != "xs" {
		t.Fatalf("found %v (%v), want xs alone", found, err)
	}
}

// Every hypothesis file of the day 4a example builds, passes the checks
// and runs; the all-exact "shuffled labels" baseline differs from the
// original only through the labels.
func TestDay4aHypothesesRun(t *testing.T) {
	model, ds := day4a(t)
	files, _ := filepath.Glob("../examples/day4a/*.json")
	if len(files) < 7 {
		t.Fatalf("found %d hypothesis files", len(files))
	}
	for _, f := range files {
		h, err := LoadHypothesis(f)
		if err != nil {
			t.Fatal(err)
		}
		corr, err := h.Correspondence(ds)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := NewExperiment(model, ds, corr)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		s, err := ex.Sample(100, 1)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ex.Run(s, RunOptions{DType: tensor.Float64})
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) != "shuffled_labels.json" {
			continue
		}
		origs, scrubbed, _ := r.Values()
		for i, v := range scrubbed {
			if s.Datum["y'"][i] == s.Ref[i] && v != origs[i] {
				t.Errorf("example %d kept its label but scrubbed %g != original %g", i, v, origs[i])
			}
		}
	}
}
