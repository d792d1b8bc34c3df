package scrub

import (
	"fmt"
	"testing"
)

// rust_circuit's test_print (hypothesis and experiment): the tree prints
// each node's matcher and samplers, other-inputs samplers only on inner
// nodes; after sampling, each sampler shows the first reference example's
// datum, and those agree with the hypothesis.
func TestCorrespondencePrint(t *testing.T) {
	model := parseModel(t, abModel)
	ds := intDataset(t, 100, 2, func(x []float64) float64 { return 2*x[0] + 3*x[1] })
	root := NewInterpNode("Ct", rowFeature("x0", col(0)), nil)
	a := root.MakeDescendant("A", rowFeature("x0", col(0)), nil)
	y := root.MakeDescendant("y", ExactSampler{}, nil)
	corr := corrOf(t, root, RootMatcher(), a, pm(t, "'A'"), y, pm(t, "'labels'"))
	got, err := corr.Print(nil)
	if err != nil {
		t.Fatal(err)
	}
	rm, am, ym := RootMatcher(), pm(t, "'A'"), pm(t, "'labels'")
	want := fmt.Sprintf("Ct %s # cond_sampler=x0, other_inputs_sampler=uncond\n  A %s # cond_sampler=x0\n  y %s # cond_sampler=exact\n", rm, am, ym)
	if got != want {
		t.Errorf("before sampling:\n%s\nwant\n%s", got, want)
	}
	ex, err := NewExperiment(model, ds, corr)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ex.Sample(5, 11)
	if err != nil {
		t.Fatal(err)
	}
	if got, err = corr.Print(s); err != nil {
		t.Fatal(err)
	}
	want = fmt.Sprintf("reference d=#%d\nCt %s # cond_sampler=x0(d=#%d), other_inputs_sampler=uncond(d=#%d)\n  A %s # cond_sampler=x0(d=#%d)\n  y %s # cond_sampler=exact(d=#%d)\n",
		s.Ref[0], rm, s.Datum["Ct"][0], s.Other["Ct"][0], am, s.Datum["A"][0], ym, s.Datum["y"][0])
	if got != want {
		t.Errorf("after sampling:\n%s\nwant\n%s", got, want)
	}
	xs, _ := ds.Array("xs")
	v := xs.Float64s()
	if r, c, d := s.Ref[0], s.Datum["Ct"][0], s.Datum["A"][0]; v[2*c] != v[2*r] || v[2*d] != v[2*c] || s.Datum["y"][0] != c {
		t.Errorf("printed data disagree with the hypothesis: ref %d, Ct %d, A %d, y %d", r, c, d, s.Datum["y"][0])
	}
	if _, err := NewCorrespondence().Print(nil); err == nil {
		t.Error("an empty correspondence printed")
	}
}
