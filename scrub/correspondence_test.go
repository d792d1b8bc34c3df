package scrub

import (
	"testing"

	"github.com/circopt/circopt/match"
)

const twoIndices = `
'C' Add
  'x0' [] Index [0]
    'xs' [2] Symbol
  'x1' [] Index [1]
    'xs'
`

func digitsDS(t *testing.T) *Dataset {
	return intDataset(t, 1000, 2, func(x []float64) float64 { return 2*x[0] + 3*x[1] })
}

func TestCorrDuplicateNames(t *testing.T) {
	c := NewCorrespondence()
	a := NewInterpNode("C", &UncondSampler{}, nil)
	if err := c.Add(a, RootMatcher()); err != nil {
		t.Fatal(err)
	}
	wantCorrErr(t, c.Add(a, RootMatcher()), ErrDuplicateName)
	wantCorrErr(t, c.Add(NewInterpNode("C", ExactSampler{}, nil), RootMatcher()), ErrDuplicateName)
}

func TestCorrRootIsTheNodeWithoutParent(t *testing.T) {
	a := NewInterpNode("A", &UncondSampler{}, nil)
	b := a.MakeDescendant("B", &UncondSampler{}, nil)
	c := corrOf(t, b, RootMatcher(), a, RootMatcher())
	r, err := c.Root()
	if err != nil || r != a {
		t.Fatalf("root = %v, %v; want A", r, err)
	}
}

func TestCorrMustBeConnected(t *testing.T) {
	c := corrOf(t, NewInterpNode("A", &UncondSampler{}, nil), RootMatcher(), NewInterpNode("B", &UncondSampler{}, nil), RootMatcher())
	_, err := c.Root()
	wantCorrErr(t, err, ErrMultipleRoots)
}

func TestCorrMustBeAcyclic(t *testing.T) {
	a := NewInterpNode("A", &UncondSampler{}, nil)
	b := a.MakeDescendant("B", &UncondSampler{}, nil)
	b.AddChild(a)
	c := corrOf(t, a, RootMatcher(), b, RootMatcher())
	_, err := c.Root()
	wantCorrErr(t, err, ErrCycle)
}

func TestCorrMustBeATree(t *testing.T) {
	a := NewInterpNode("A", &UncondSampler{}, nil)
	b := a.MakeDescendant("B", &UncondSampler{}, nil)
	d := b.MakeDescendant("D", &UncondSampler{}, nil)
	a.AddChild(d)
	_, err := corrOf(t, a, RootMatcher(), b, RootMatcher(), d, RootMatcher()).Root()
	wantCorrErr(t, err, ErrMultipleRoots)
}

func TestCorrComplete(t *testing.T) {
	a := NewInterpNode("A", &UncondSampler{}, nil)
	b := a.MakeDescendant("B", &UncondSampler{}, nil)
	c := corrOf(t, a, RootMatcher())
	_, err := c.Order()
	wantCorrErr(t, err, ErrIncomplete)
	if err := c.Add(b, RootMatcher()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Order(); err != nil {
		t.Fatal(err)
	}
	// a child alone is complete: it has no children of its own
	if _, err := corrOf(t, b, RootMatcher()).Order(); err != nil {
		t.Fatal(err)
	}
}

func TestCorrRootMustBeTheModel(t *testing.T) {
	model := parseModel(t, twoIndices)
	root := NewInterpNode("Ct", ExactSampler{}, nil)
	_, err := NewExperiment(model, digitsDS(t), corrOf(t, root, pm(t, "'C'")))
	wantCorrErr(t, err, ErrRootNotModel)
}

func TestCorrWellDefinedMatchesMany(t *testing.T) {
	model := parseModel(t, `
'C' Add
  0 'x0' [] Index [0]
    'xs' [2] Symbol
  1 'x0' [] Index [1]
    'xs'
`)
	root := NewInterpNode("C", &UncondSampler{}, nil)
	x0 := root.MakeDescendant("x0", &UncondSampler{}, nil)
	scrubLoss(t, model, digitsDS(t), withLabels(t, corrOf(t, root, RootMatcher(), x0, pm(t, "'x0'")), root), 1, func(float64) bool { return true })
}

func TestCorrWellDefinedMatchesNone(t *testing.T) {
	model := parseModel(t, twoIndices)
	root := NewInterpNode("Ct", &UncondSampler{}, nil)
	x0 := root.MakeDescendant("x0", &UncondSampler{}, nil)
	_, err := NewExperiment(model, digitsDS(t), corrOf(t, root, RootMatcher(), x0, pm(t, "'not_x0'")))
	wantCorrErr(t, err, ErrNoMatch)
	// a matched node with no input below it is as bad
	model = parseModel(t, `
'C' Add
  'x0' [] Index [0]
    'xs' [2] Symbol
  's' [] Scalar 5
`)
	root = NewInterpNode("Ct", &UncondSampler{}, nil)
	s := root.MakeDescendant("s", &UncondSampler{}, nil)
	_, err = NewExperiment(model, digitsDS(t), corrOf(t, root, RootMatcher(), s, pm(t, "'s'")))
	wantCorrErr(t, err, ErrNoMatch)
}

func TestCorrInjectiveSimple(t *testing.T) {
	model := parseModel(t, twoIndices)
	root := NewInterpNode("C", &UncondSampler{}, nil)
	a := root.MakeDescendant("x0_1", &UncondSampler{}, nil)
	b := root.MakeDescendant("x0_2", &UncondSampler{}, nil)
	_, err := NewExperiment(model, digitsDS(t), corrOf(t, root, RootMatcher(), a, pm(t, "'x0'"), b, pm(t, "'x0'")))
	// as in rust_circuit, treeification already sees x0_2 retag x0_1's inputs
	wantCorrErr(t, err, ErrNotUnderParent)
}

func TestCorrInjectiveParentAndChildSameNode(t *testing.T) {
	model := parseModel(t, sharedX0)
	root := NewInterpNode("C", &UncondSampler{}, nil)
	a := root.MakeDescendant("A", &UncondSampler{}, nil)
	again := a.MakeDescendant("A again", &UncondSampler{}, nil)
	_, err := NewExperiment(model, digitsDS(t), corrOf(t, root, RootMatcher(), a, pm(t, "'A'"), again, pm(t, "'A'")))
	wantCorrErr(t, err, ErrNotInjective)
}

func TestCorrInjectiveSubsumed(t *testing.T) {
	model := parseModel(t, `
'C' Add
  'x0' [] Index [0]
    'xs' [2] Symbol
  'A' Einsum ,->
    'x0'
    0 [] Scalar 2
`)
	root := NewInterpNode("C", &UncondSampler{}, nil)
	a := root.MakeDescendant("A", &UncondSampler{}, nil)
	ax0 := a.MakeDescendant("A_x0", &UncondSampler{}, nil)
	x0 := root.MakeDescendant("x0", &UncondSampler{}, nil)
	notViaA := match.Restrict(match.Chain(RootMatcher(), match.Name("x0")), match.RestrictOptions{TermEarlyAt: match.Name("A")})
	_, err := NewExperiment(model, digitsDS(t), corrOf(t, root, RootMatcher(), a, pm(t, "'A'"), x0, pm(t, "'x0'"), ax0, notViaA))
	wantCorrErr(t, err, nil)
}

func TestCorrInjectiveCheckingLeavesInsufficient(t *testing.T) {
	// the leaves map to different treeified nodes, the intermediates to one
	model := parseModel(t, `
'C' Add
  'x2' Add
    'x0' [] Index [0]
      'xs' [2] Symbol
    'x1' [] Index [1]
      'xs'
`)
	root := NewInterpNode("C", &UncondSampler{}, nil)
	a1 := root.MakeDescendant("x2_1", &UncondSampler{}, nil)
	a2 := root.MakeDescendant("x2_2", &UncondSampler{}, nil)
	x0 := a1.MakeDescendant("x0", &UncondSampler{}, nil)
	x1 := a2.MakeDescendant("x1", &UncondSampler{}, nil)
	to1 := match.Chain(RootMatcher(), match.Name("x2"))
	to2 := match.Restrict(match.Chain(RootMatcher(), match.Name("x2")), match.RestrictOptions{TermEarlyAt: match.Name("x3")})
	_, err := NewExperiment(model, digitsDS(t), corrOf(t, root, RootMatcher(), a1, to1, a2, to2,
		x0, match.Chain(to1, match.Name("x0")), x1, match.Chain(to2, match.Name("x1"))))
	wantCorrErr(t, err, nil)
}

func TestCorrInjectiveUnusedDirect(t *testing.T) {
	model := parseModel(t, twoIndices)
	root := NewInterpNode("C", &UncondSampler{}, nil)
	a := root.MakeDescendant("x0_1", &UncondSampler{}, nil)
	b := root.MakeDescendant("x0_2", &UncondSampler{}, nil)
	termX1 := match.Restrict(match.Chain(RootMatcher(), match.Name("x0")), match.RestrictOptions{TermEarlyAt: match.Name("x1")})
	_, err := NewExperiment(model, digitsDS(t), corrOf(t, root, RootMatcher(), a, pm(t, "'x0'"), b, termX1))
	wantCorrErr(t, err, ErrNotUnderParent)
}

func TestCorrTreeStructureBackwards(t *testing.T) {
	model := parseModel(t, `
'C' Add
  'x0' [] Index [0]
    'xs' [2] Symbol
`)
	x0 := NewInterpNode("x0", &UncondSampler{}, nil)
	c := x0.MakeDescendant("C", &UncondSampler{}, nil)
	_, err := NewExperiment(model, digitsDS(t), corrOf(t, c, RootMatcher(), x0, pm(t, "'x0'")))
	wantCorrErr(t, err, nil)
}

const sharedX0 = `
'C' Add
  'A' Add
    'x0' [] Index [0]
      'xs' [2] Symbol
  'B' Einsum ,->
    'x0'
    0 [] Scalar 2
`

func TestCorrInjectiveSeparatePaths(t *testing.T) {
	model := parseModel(t, sharedX0)
	root := NewInterpNode("C", &UncondSampler{}, nil)
	a := root.MakeDescendant("x0_A", &UncondSampler{}, nil)
	b := root.MakeDescendant("x0_B", &UncondSampler{}, nil)
	corr := withLabels(t, corrOf(t, root, RootMatcher(), a, pm(t, "'A' >> 'x0'"), b, pm(t, "'B' >> 'x0'")), root)
	if _, err := NewExperiment(model, digitsDS(t), corr); err != nil {
		t.Fatal(err)
	}
}

func TestCorrTreeStructureRespectsPaths(t *testing.T) {
	model := parseModel(t, sharedX0)
	root := NewInterpNode("C", &UncondSampler{}, nil)
	a := root.MakeDescendant("A", &UncondSampler{}, nil)
	x0 := a.MakeDescendant("x0", &UncondSampler{}, nil)
	_, err := NewExperiment(model, digitsDS(t), corrOf(t, root, RootMatcher(), a, pm(t, "'A'"), x0, pm(t, "'B' >> 'x0'")))
	wantCorrErr(t, err, ErrNotUnderParent)
}

func TestCorrTreeStructureOnlyIf(t *testing.T) {
	// a node's paths may extend another's only if it is that node's child
	model := parseModel(t, `
'C' Einsum ,->
  'B' Einsum ,->
    'A' Einsum ,->
      0 [] Index [0]
        'xs' [2] Symbol
      1 [] Scalar 2
    2 [] Scalar 3
  3 [] Scalar 5
`)
	root := NewInterpNode("C", &UncondSampler{}, nil)
	at := root.MakeDescendant("At", &UncondSampler{}, nil)
	bt := root.MakeDescendant("Bt", &UncondSampler{}, nil)
	_, err := NewExperiment(model, digitsDS(t), corrOf(t, root, RootMatcher(), bt, pm(t, "'B'"), at, pm(t, "'B' >> 'A'")))
	wantCorrErr(t, err, ErrNotUnderParent)
}

// rust_circuit's test_corr_duplicate_keys: Replace needs an added node,
// Add refuses one twice, and Replace then swaps the matcher.
func TestCorrReplace(t *testing.T) {
	c := NewCorrespondence()
	a := NewInterpNode("C", &UncondSampler{}, nil)
	wantCorrErr(t, c.Replace(a, RootMatcher()), ErrNotAdded)
	if err := c.Add(a, RootMatcher()); err != nil {
		t.Fatal(err)
	}
	wantCorrErr(t, c.Add(a, RootMatcher()), ErrDuplicateName)
	m := pm(t, "'A'")
	if err := c.Replace(a, m); err != nil {
		t.Fatal(err)
	}
	if c.Matcher(a) != m || c.Len() != 1 {
		t.Errorf("after Replace: matcher %v, %d nodes; want 'A', 1", c.Matcher(a), c.Len())
	}
}
