package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/circopt/circopt/scrub"
	"github.com/circopt/circopt/tensor"
)

func init() {
	register("scrub", "scrub -hypothesis H.json -data D.npz [-n N] [-seed S] [-format text|json] [-dtype float32|float64] [-dump-samples FILE.npz] [-tensors DIR] MODEL.circ",
		"causal scrubbing: how much of the root's value survives resampling what the hypothesis says does not matter", runScrub)
	details["scrub"] = `MODEL.circ's root is one number per example (usually the loss); its free
Symbols are named after D.npz's input arrays and have their per-example
shapes. D.npz holds inputs and feature columns, each with the example axis
first. H.json: {"nodes":[{"name","parent","match","agree_on":[columns],
"exact","other_inputs"}]}: match is a MATCHER (the root may omit it: the
model's root); a node's datum agrees with its parent's on agree_on (empty:
drawn at random; exact: the parent's; the root's datum is the reference);
other_inputs is uncond (default) or exact. Inputs under a node's matched
paths take its datum at a leaf, its other-inputs datum otherwise, deeper
nodes overriding their own sub-paths.
-format json: {"n","seed","original":{"mean","stderr"},"scrubbed":{...},
"random":{...},"loss_recovered"}; random draws each input array from its
own random datum; loss_recovered = (random - scrubbed)/(random - original).
The same seed gives the same numbers. -dump-samples writes every sampled
index vector (ref, datum/NODE, other/NODE, random/INPUT, slot/INPUT/NODE).
` + matcherHelp

}

func runScrub(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scrub", stderr)
	var in inputFlags
	in.register(fs)
	hypPath := fs.String("hypothesis", "", "hypothesis `H.json`")
	dataPath := fs.String("data", "", "dataset `D.npz`")
	n := fs.Int("n", 1000, "number of reference examples `N`")
	fs.Uint64Var(&in.seed, "seed", 0, "sampling seed `S`")
	format := fs.String("format", "text", "output `text|json`")
	dtypeName := fs.String("dtype", "float32", "evaluation dtype `float32|float64`")
	dump := fs.String("dump-samples", "", "write the sampled indices to `FILE.npz`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := oneFile(fs)
	if err != nil {
		return err
	}
	switch {
	case *hypPath == "":
		return usagef("missing -hypothesis H.json")
	case *dataPath == "":
		return usagef("missing -data D.npz")
	case *n < 1:
		return usagef("-n must be at least 1, got %d", *n)
	case *format != "text" && *format != "json":
		return usagef("-format must be text or json, got %q", *format)
	}
	dt, err := tensor.ParseDType(*dtypeName)
	if err != nil || !dt.IsFloat() {
		return usagef("-dtype must be float32 or float64, got %q", *dtypeName)
	}
	hyp, err := scrub.LoadHypothesis(*hypPath)
	if err != nil {
		return fileErr(*hypPath, err)
	}
	if err := checkReadable(*dataPath, false); err != nil {
		return fmt.Errorf("%s: %v", *dataPath, err)
	}
	ds, err := scrub.LoadDataset(*dataPath)
	if err != nil {
		return err
	}
	// the sampling seed is not the rand-array seed: arrays keep seed 0
	seed := in.seed
	in.seed = 0
	cs, err := in.load(path, dt, os.Stdin)
	if err != nil {
		return err
	}
	if len(cs) != 1 {
		return fmt.Errorf("%s: want one top-level circuit (the per-example quantity), got %d", fileLabel(path), len(cs))
	}
	corr, err := hyp.Correspondence(ds)
	if err != nil {
		return err
	}
	ex, err := scrub.NewExperiment(cs[0], ds, corr)
	if err != nil {
		var ce *scrub.CorrespondenceError
		if errors.As(err, &ce) && hyp.Line(ce.Node) > 0 {
			return fmt.Errorf("%s:%d: %v", *hypPath, hyp.Line(ce.Node), err)
		}
		return fmt.Errorf("%s: %v", fileLabel(path), err)
	}
	limit := in.memLimit()
	// every interp node holds up to two index vectors and every slot, plus
	// the original and random inputs, a gathered float64 copy of its rows:
	// refuse an -n that cannot fit before drawing
	var rows float64
	for _, name := range ex.Inputs {
		t, _ := ds.Array(name)
		rows += float64(t.Size() / ds.Len())
	}
	if need := float64(*n) * 8 * (float64(2*corr.Len()) + rows*float64(len(ex.Treeified().Slots)+2)); limit > 0 && need > float64(limit) {
		return fmt.Errorf("%s: -n %d needs about %.0f bytes for its samples, more than the limit of %d (see -max-memory)", *dataPath, *n, need, limit)
	}
	s, err := ex.Sample(*n, seed)
	if err != nil {
		return fmt.Errorf("%s: %v", *hypPath, err)
	}
	if *dump != "" {
		if err := ex.DumpSamples(*dump, s); err != nil {
			return err
		}
	}
	r, err := ex.Run(s, scrub.RunOptions{DType: dt, MaxMemory: limit})
	if err != nil {
		return fmt.Errorf("%s: %v", fileLabel(path), err)
	}
	if *format == "json" {
		return json.NewEncoder(stdout).Encode(scrubJSON{N: r.N, Seed: r.Seed, Original: summaryJSON(r.Original),
			Scrubbed: summaryJSON(r.Scrubbed), Random: summaryJSON(r.Random), LossRecovered: jsonFloat(r.LossRecovered)})
	}
	fmt.Fprintf(stdout, "n %d  seed %d  %s\n", r.N, r.Seed, dt)
	fmt.Fprintf(stdout, "%-9s %12s %12s\n", "", "mean", "stderr")
	for _, row := range []struct {
		name string
		s    scrub.Summary
	}{{"original", r.Original}, {"scrubbed", r.Scrubbed}, {"random", r.Random}} {
		fmt.Fprintf(stdout, "%-9s %12.6g %12.6g\n", row.name, row.s.Mean, row.s.Stderr)
	}
	fmt.Fprintf(stdout, "loss recovered %.4g\n", r.LossRecovered)
	return nil
}

type summaryOut struct {
	Mean   jsonFloat `json:"mean"`
	Stderr jsonFloat `json:"stderr"`
}

func summaryJSON(s scrub.Summary) summaryOut {
	return summaryOut{jsonFloat(s.Mean), jsonFloat(s.Stderr)}
}

type scrubJSON struct {
	N             int        `json:"n"`
	Seed          uint64     `json:"seed"`
	Original      summaryOut `json:"original"`
	Scrubbed      summaryOut `json:"scrubbed"`
	Random        summaryOut `json:"random"`
	LossRecovered jsonFloat  `json:"loss_recovered"`
}
