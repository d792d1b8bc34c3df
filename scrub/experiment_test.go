package scrub

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// abModel is C = A + B with A = 2 x0, B = 3 x1.
const abModel = `
'C' Add
  'A' Einsum ,->
    0 [] Index [0]
      'xs' [2] Symbol
    1 [] Scalar 2
  'B' Einsum ,->
    2 [] Index [1]
      'xs'
    3 [] Scalar 3
`

// abHypothesis is Ct (root) with children At -> 'A' and Bt -> 'B', plus y.
func abHypothesis(t *testing.T, root, a, b Sampler) *Correspondence {
	t.Helper()
	ct := NewInterpNode("Ct", root, nil)
	at := ct.MakeDescendant("At", a, nil)
	bt := ct.MakeDescendant("Bt", b, nil)
	return withLabels(t, corrOf(t, ct, RootMatcher(), at, pm(t, "'A'"), bt, pm(t, "'B'")), ct)
}

func lt(v float64) func(float64) bool { return func(x float64) bool { return x < v } }
func gt(v float64) func(float64) bool { return func(x float64) bool { return x > v } }
func isZero(x float64) bool           { return x == 0 }

func TestIdenticalInterpretationGivesOriginalLoss(t *testing.T) {
	model := parseModel(t, abModel)
	ds := intDataset(t, 100, 2, func(x []float64) float64 { return 2*x[0] + 3*x[1] })
	corr := abHypothesis(t, labelCond, rowFeature("x0", col(0)), rowFeature("x1", col(1)))
	scrubLoss(t, model, ds, corr, 1, isZero)
	scrubLoss(t, model, ds, corr, 50, isZero)
}

func TestExplicitInputs(t *testing.T) {
	model := parseModel(t, `
'C' Add
  'x0' [] Index [0]
    'xs' [2] Symbol
  'x1' [] Index [1]
    'xs'
`)
	ds := intDataset(t, 100, 2, func(x []float64) float64 { return x[0] + x[1] })
	root := NewInterpNode("Ct", labelCond, nil)
	x0 := root.MakeDescendant("x0t", rowFeature("x0", col(0)), nil)
	x1 := root.MakeDescendant("x1t", rowFeature("x1", col(1)), nil)
	x0xs := x0.MakeDescendant("x0_xs", rowFeature("x0", col(0)), nil)
	x1xs := x1.MakeDescendant("x1_xs", rowFeature("x1", col(1)), nil)
	corr := withLabels(t, corrOf(t, root, RootMatcher(), x0, pm(t, "'x0'"), x1, pm(t, "'x1'"),
		x0xs, pm(t, "'x0' > 'xs'"), x1xs, pm(t, "'x1' > 'xs'")), root)
	scrubLoss(t, model, ds, corr, 1, isZero)
}

func TestSpreadOverResidual(t *testing.T) {
	model := parseModel(t, `
'C' Add
  'A' Add
    'x1' [] Index [0]
      'xs' [2] Symbol
    'x2' [] Index [1]
      'xs'
  'x2'
`)
	ds := intDataset(t, 1000, 2, func(x []float64) float64 { return x[0] + 2*x[1] })
	// running the model on single examples shows no flaw
	if l := datumLoss(t, model, ds); l >= 0.01 {
		t.Fatalf("datum loss %g", l)
	}
	root := NewInterpNode("Ct", labelCond, nil)
	a := root.MakeDescendant("A", rowFeature("x0", col(0)), nil)
	x1 := a.MakeDescendant("x1", rowFeature("x0", col(0)), nil)
	x2 := root.MakeDescendant("x2", rowFeature("x1", col(1)), nil)
	// x2 only on the direct path, not through A
	corr := withLabels(t, corrOf(t, root, RootMatcher(), a, pm(t, "'A'"), x1, pm(t, "'A' >> 'x1'"), x2, pm(t, "'C' > 'x2'")), root)
	scrubLoss(t, model, ds, corr, 50, gt(1))
}

func TestSpreadOverTwoNodes(t *testing.T) {
	model := parseModel(t, `
'C' Add
  'A' Einsum ,->
    0 [] Index [0]
      'xs' [2] Symbol
    1 [] Scalar 2
  'B' Einsum ,->
    0
    2 [] Scalar 3
`)
	ds := intDataset(t, 1000, 2, func(x []float64) float64 { return 5 * x[0] })
	if l := datumLoss(t, model, ds); l >= 0.01 {
		t.Fatalf("datum loss %g", l)
	}
	root := NewInterpNode("Ct", rowFeature("x0", col(0)), nil)
	a := root.MakeDescendant("A", rowFeature("x0", col(0)), nil)
	corr := withLabels(t, corrOf(t, root, RootMatcher(), a, pm(t, "'A'")), root)
	scrubLoss(t, model, ds, corr, 50, gt(0.1))
}

func TestLargeDeviation(t *testing.T) {
	model := parseModel(t, `
'C' Add
  'A' Add
    0 Einsum ,->
      1 [] Index [0]
        'xs' [2] Symbol
      2 [] Scalar 2
    3 [] Index [1]
      'xs'
  'B' Einsum ,->
    3
    4 [] Scalar 3
`)
	ds := intDataset(t, 1000, 2, func(x []float64) float64 { return 2*x[0] + 3*x[1] })
	corr := abHypothesis(t, labelCond, rowFeature("x0", col(0)), rowFeature("x1", col(1)))
	scrubLoss(t, model, ds, corr, 50, gt(1))
}

func TestTinyDeviation(t *testing.T) {
	model := parseModel(t, `
'C' Add
  'A' Add
    0 Einsum ,->
      1 [] Index [0]
        'xs' [2] Symbol
      2 [] Scalar 2
    3 Einsum ,->
      4 [] Index [1]
        'xs'
      5 [] Scalar 0.001
  'B' Einsum ,->
    4
    6 [] Scalar 3
`)
	ds := intDataset(t, 1000, 2, func(x []float64) float64 { return 2*x[0] + 3*x[1] })
	corr := abHypothesis(t, labelCond, rowFeature("x0", col(0)), rowFeature("x1", col(1)))
	scrubLoss(t, model, ds, corr, 1, lt(0.01))
}

func TestIntermediatesCancel(t *testing.T) {
	model := parseModel(t, `
'C' Add
  'A' Add
    0 [] Index [0]
      'xs' [3] Symbol
    1 [] Index [2]
      'xs'
  'B' Add
    2 [] Index [1]
      'xs'
    3 Einsum ,->
      1
      4 [] Scalar -1
`)
	ds := intDataset(t, 1000, 3, func(x []float64) float64 { return x[0] + x[1] })
	if l := datumLoss(t, model, ds); l >= 1e-4 {
		t.Fatalf("datum loss %g", l)
	}
	corr := abHypothesis(t, rowFeature("x0+x1", func(x []float64) float64 { return x[0] + x[1] }), rowFeature("x0", col(0)), rowFeature("x1", col(1)))
	scrubLoss(t, model, ds, corr, 50, gt(1))
}

func TestSwappedIntermediates(t *testing.T) {
	model := parseModel(t, `
'C' Add
  'A' Add
    0 Einsum ,->
      1 [] Index [0]
        'xs' [2] Symbol
      2 [] Scalar 2
    3 [] Index [1]
      'xs'
  'B' Add
    1
    4 Einsum ,->
      3
      2
`)
	ds := intDataset(t, 1000, 2, func(x []float64) float64 { return 3*x[0] + 3*x[1] })
	if l := datumLoss(t, model, ds); l != 0 {
		t.Fatalf("datum loss %g", l)
	}
	corr := abHypothesis(t, rowFeature("2x0+3x1", func(x []float64) float64 { return 2*x[0] + 3*x[1] }),
		rowFeature("x0+2x1", func(x []float64) float64 { return x[0] + 2*x[1] }),
		rowFeature("x0+x1", func(x []float64) float64 { return x[0] + x[1] }))
	scrubLoss(t, model, ds, corr, 50, gt(1))
}

func TestDataCorrelation(t *testing.T) {
	model := parseModel(t, `
'C' Add
  'x0' [] Index [0]
    'xs' [2] Symbol
  'x1' [] Index [1]
    'xs'
`)
	// xs = (r, 2r), label 3r: x1 is redundant with x0 in the data only
	n := 1000
	xs := make([]float64, 2*n)
	ls := make([]float64, n)
	rng := NewRand(4)
	for i := range n {
		r := float64(rng.IntN(10))
		xs[2*i], xs[2*i+1], ls[i] = r, 2*r, 3*r
	}
	ds := datasetOf(t, n, 2, xs, ls)
	if l := datumLoss(t, model, ds); l != 0 {
		t.Fatalf("datum loss %g", l)
	}
	root := NewInterpNode("Ct", rowFeature("x0", col(0)), nil)
	x0 := root.MakeDescendant("x0", rowFeature("x0", col(0)), nil)
	corr := withLabels(t, corrOf(t, root, RootMatcher(), x0, pm(t, "'x0'")), root)
	scrubLoss(t, model, ds, corr, 50, gt(1))
}

func TestUnspecifiedPaths(t *testing.T) {
	model := parseModel(t, abModel)
	ds := intDataset(t, 5, 2, func(x []float64) float64 { return 2*x[0] + 3*x[1] })
	// the path through B is not mentioned: by default it is resampled...
	root := NewInterpNode("Ct", labelCond, nil)
	a := root.MakeDescendant("At", rowFeature("x0", col(0)), nil)
	corr := withLabels(t, corrOf(t, root, RootMatcher(), a, pm(t, "'A'")), root)
	scrubLoss(t, model, ds, corr, 50, gt(1))
	// ...unless other inputs are exact, which recovers the loss exactly
	root.Other = ExactSampler{}
	scrubLoss(t, model, ds, corr, 1, isZero)
	scrubLoss(t, model, ds, corr, 50, isZero)
}

// The compiled run (one plan for original, scrubbed and random) agrees
// with the naive reference evaluator, and one seed gives one answer.
func TestRunMatchesNaiveAndIsDeterministic(t *testing.T) {
	model := parseModel(t, abModel)
	ds := intDataset(t, 1000, 2, func(x []float64) float64 { return 2*x[0] + 3*x[1] })
	root := NewInterpNode("Ct", labelCond, nil)
	a := root.MakeDescendant("At", rowFeature("x0", col(0)), nil)
	corr := withLabels(t, corrOf(t, root, RootMatcher(), a, pm(t, "'A'")), root)
	ex, err := NewExperiment(model, ds, corr)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ex.Sample(200, 42)
	fast, err := ex.Run(s, RunOptions{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	naive, err := ex.Run(s, RunOptions{DType: tensor.Float64, Naive: true})
	if err != nil {
		t.Fatal(err)
	}
	_, fastS, fastR := fast.Values()
	_, naiveS, naiveR := naive.Values()
	for i := range fastS {
		if math.Abs(fastS[i]-naiveS[i]) > 1e-9 || math.Abs(fastR[i]-naiveR[i]) > 1e-9 {
			t.Fatalf("sample %d: compiled %g/%g, naive %g/%g", i, fastS[i], fastR[i], naiveS[i], naiveR[i])
		}
	}
	if fast.Original.Mean != 0 {
		t.Errorf("original loss %g, want 0 (the model is the label)", fast.Original.Mean)
	}
	s2, _ := ex.Sample(200, 42)
	again, _ := ex.Run(s2, RunOptions{DType: tensor.Float64})
	if again.Scrubbed != fast.Scrubbed || again.Random != fast.Random || again.Original != fast.Original {
		t.Error("same seed, different numbers")
	}
	s3, _ := ex.Sample(200, 43)
	other, _ := ex.Run(s3, RunOptions{DType: tensor.Float64})
	if other.Scrubbed == fast.Scrubbed {
		t.Error("different seeds, same scrubbed numbers")
	}
}

// Treeified copies that draw the same data cost nothing: with every node
// exact, 20 interp nodes compile to the same program as 2, because the
// scrubbed circuit is the original one (equal gathered Symbols, equal hashes).
func TestTreeifiedCopiesShareWork(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("'sum' Add\n")
	for k := range 20 {
		fmt.Fprintf(&sb, "  'b%d' GeneralFunction relu\n    'x%d' [] Index [%d]\n", k, k, k)
		if k == 0 {
			sb.WriteString("      'xs' [20] Symbol\n")
		} else {
			sb.WriteString("      'xs'\n")
		}
	}
	model := parseModel(t, sb.String())
	ds := intDataset(t, 50, 20, func(x []float64) float64 { return x[0] })
	values := func(nodes int) int {
		root := NewInterpNode("root", ExactSampler{}, ExactSampler{})
		c := corrOf(t, root, RootMatcher())
		for k := range nodes - 1 {
			if err := c.Add(root.MakeDescendant(fmt.Sprintf("b%d'", k), ExactSampler{}, nil), pm(t, fmt.Sprintf("'b%d'", k))); err != nil {
				t.Fatal(err)
			}
		}
		ex, err := NewExperiment(model, ds, c)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(ex.Treeified().Slots); got != nodes+1 {
			t.Fatalf("%d nodes: %d slots, want %d", nodes, got, nodes+1)
		}
		s, _ := ex.Sample(30, 1)
		b, err := ex.Build(s)
		if err != nil {
			t.Fatal(err)
		}
		if b.Scrubbed.Hash() != b.Original.Hash() {
			t.Fatalf("%d exact nodes: scrubbed circuit differs from the original", nodes)
		}
		plan, err := circopt.Compile([]circuit.Circuit{b.Original, b.Scrubbed, b.Random}, circopt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return len(plan.Program.Values)
	}
	if two, twenty := values(2), values(20); two != twenty {
		t.Errorf("2 exact nodes compile to %d values, 20 to %d", two, twenty)
	}
}

// Scrubs of the same shape (n, and which slots coincide) reuse one set of
// circuits and one compiled plan, rebinding only the gathered inputs, and
// give what a fresh experiment gives; another n is another shape.
func TestRunReusesPlanAcrossSeeds(t *testing.T) {
	model := parseModel(t, abModel)
	ds := intDataset(t, 500, 2, func(x []float64) float64 { return 2*x[0] + 3*x[1] })
	corr := abHypothesis(t, labelCond, rowFeature("x0", col(0)), &UncondSampler{})
	// float32 runs also recycle their gathered inputs between runs
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
		reusePlan(t, model, ds, corr, dt)
	}
}

func reusePlan(t *testing.T, model circuit.Circuit, ds *Dataset, corr *Correspondence, dt tensor.DType) {
	ex, err := NewExperiment(model, ds, corr)
	if err != nil {
		t.Fatal(err)
	}
	var last *Result
	for seed := range uint64(3) {
		s, _ := ex.Sample(100, seed)
		if last, err = ex.Run(s, RunOptions{DType: dt}); err != nil {
			t.Fatal(err)
		}
	}
	if len(ex.shapes) != 1 {
		t.Fatalf("3 seeds made %d batch shapes, want 1", len(ex.shapes))
	}
	for _, sh := range ex.shapes {
		if len(sh.plans) != 1 {
			t.Fatalf("3 seeds compiled %d plans, want 1", len(sh.plans))
		}
	}
	fresh, err := NewExperiment(model, ds, corr)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := fresh.Sample(100, 2)
	want, err := fresh.Run(s, RunOptions{DType: dt})
	if err != nil {
		t.Fatal(err)
	}
	lastO, lastS, lastR := last.Values()
	wantO, wantS, wantR := want.Values()
	for i := range wantS {
		if lastS[i] != wantS[i] || lastR[i] != wantR[i] || lastO[i] != wantO[i] {
			t.Fatalf("sample %d: reused plan gives %g/%g/%g, a fresh one %g/%g/%g", i,
				lastO[i], lastS[i], lastR[i], wantO[i], wantS[i], wantR[i])
		}
	}
	s, _ = ex.Sample(50, 0)
	if _, err := ex.Run(s, RunOptions{DType: dt}); err != nil {
		t.Fatal(err)
	}
	if len(ex.shapes) != 2 {
		t.Errorf("a second n made %d batch shapes in all, want 2", len(ex.shapes))
	}
}
