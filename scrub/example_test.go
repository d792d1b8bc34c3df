package scrub_test

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/scrub"
)

// A hypothesis built in Go: the loss depends on A only through x0 > 3, and
// on the labels; everything else is resampled.
func ExampleExperiment() {
	ds, err := scrub.LoadDataset("../examples/day4a/data.npz")
	if err != nil {
		panic(err)
	}
	cs, err := circuit.ParseFile("../examples/day4a/model.circ", circuit.ParseOptions{})
	if err != nil {
		panic(err)
	}
	root := scrub.NewInterpNode("out", scrub.ExactSampler{}, nil)
	a := root.MakeDescendant("A'", scrub.AgreeOn("x0_gt_3"), nil)
	y := root.MakeDescendant("y'", scrub.ExactSampler{}, nil)
	parse := func(s string) match.IterativeMatcher {
		m, err := match.ParseMatcher(s)
		if err != nil {
			panic(err)
		}
		return m
	}
	corr := scrub.NewCorrespondence()
	for _, add := range []error{
		corr.Add(root, scrub.RootMatcher()),
		corr.Add(a, parse("'A'")),
		corr.Add(y, parse("'labels'")),
	} {
		if add != nil {
			panic(add)
		}
	}
	ex, err := scrub.NewExperiment(cs[0], ds, corr)
	if err != nil {
		panic(err)
	}
	s, err := ex.Sample(2000, 1)
	if err != nil {
		panic(err)
	}
	r, err := ex.Run(s, scrub.RunOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("original %.1f, scrubbed %.1f, random %.1f\n", r.Original.Mean, r.Scrubbed.Mean, r.Random.Mean)
	// Output:
	// original 4.1, scrubbed 4.4, random 4.6
}
