package scrub

import (
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
)

// Correspondences that differ only in samplers share one treeification, and
// each experiment's slots point at its own interp nodes.
func TestTreeifySharedAcrossSamplers(t *testing.T) {
	model := parseModel(t, abModel)
	rootM, aM := RootMatcher(), pm(t, "'A'") // one matcher value each, as hypothesis files share them
	build := func(s Sampler) (*Correspondence, *InterpNode) {
		root := NewInterpNode("Ct", ExactSampler{}, nil)
		a := root.MakeDescendant("A", s, nil)
		return corrOf(t, root, rootM, a, aM), a
	}
	c1, a1 := build(ExactSampler{})
	c2, a2 := build(&UncondSampler{})
	e1, err := NewExperiment(model, digitsDS(t), c1)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := NewExperiment(model, digitsDS(t), c2)
	if err != nil {
		t.Fatal(err)
	}
	if e1.Treeified().Circuit != e2.Treeified().Circuit {
		t.Errorf("same matchers, different samplers: treeified twice")
	}
	for u, s := range e2.Treeified().Slots {
		if s.Node.Name == "A" && s.Node != a2 {
			t.Errorf("slot %s points at another correspondence's node A", u)
		}
	}
	for _, s := range e1.Treeified().Slots {
		if s.Node.Name == "A" && s.Node != a1 {
			t.Errorf("first experiment's slot A changed owner")
		}
	}
}

// Matchers that print alike but find different nodes are not confused.
func TestTreeifyCacheKeysByMatcherNotText(t *testing.T) {
	model := parseModel(t, abModel)
	build := func(name string) *Correspondence {
		root := NewInterpNode("Ct", ExactSampler{}, nil)
		a := root.MakeDescendant("A", ExactSampler{}, nil)
		m := match.Pred("same label", func(c circuit.Circuit) bool { return c.Name() == name })
		return corrOf(t, root, RootMatcher(), a, match.IterativeMatcher(m))
	}
	e1, err := NewExperiment(model, digitsDS(t), build("A"))
	if err != nil {
		t.Fatal(err)
	}
	e2, err := NewExperiment(model, digitsDS(t), build("B"))
	if err != nil {
		t.Fatal(err)
	}
	if circuit.Equal(e1.Treeified().Circuit, e2.Treeified().Circuit) {
		t.Errorf("A's and B's paths treeified alike: the cache confused two Preds with one label")
	}
}

// Hypothesis files that write the same MATCHER text get one matcher value,
// so their experiments can share a treeification.
func TestParsedMatchersShared(t *testing.T) {
	a, err := parseMatcherShared("'A' >> 'xs'")
	if err != nil {
		t.Fatal(err)
	}
	b, err := parseMatcherShared("'A' >> 'xs'")
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseMatcherShared("'B' >> 'xs'")
	if err != nil {
		t.Fatal(err)
	}
	if match.Key(a) != match.Key(b) || match.Key(a) == match.Key(c) {
		t.Errorf("keys %q %q %q: want the first two equal and the third different", match.Key(a), match.Key(b), match.Key(c))
	}
	if _, err := parseMatcherShared("'A' >>"); err == nil {
		t.Errorf("a malformed matcher parsed")
	}
}

// forgetTreeifications empties the cache, for benchmarks of a cold start.
func forgetTreeifications() {
	treeifyCache.Lock()
	clear(treeifyCache.entries)
	treeifyCache.Unlock()
}
