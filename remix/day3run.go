package remix

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/scrub"
	"github.com/circopt/circopt/tensor"
)

// Day3Experiment is one hypothesis file of examples/day3 and what it scrubs.
type Day3Experiment struct {
	File, Node, Desc string
}

// Day3BaselineFile is the row the day's loss recovered is measured against:
// every input of the induction heads scrubbed.
const Day3BaselineFile = "ind_heads.json"

// Day3Experiments are the day's scrubs, in its order. Each file's one child
// node (Node) draws a random datum for the inputs on its matched paths;
// everything else keeps the reference.
var Day3Experiments = []Day3Experiment{
	{"all_inputs.json", "model", "all model inputs scrubbed (labels kept)"},
	{Day3BaselineFile, "ind", "baseline: induction heads' inputs scrubbed"},
	{"value.json", "v", "embeddings -> value (a0 into V scrubbed)"},
	{"query.json", "q", "embeddings -> query (a0 into Q scrubbed)"},
	{"key.json", "k", "prev-token head -> key (all but a0.prev into K scrubbed)"},
	{"all_paths.json", "qkv", "value, query and key together"},
}

// Day3Row is one scrub's result.
type Day3Row struct {
	Day3Experiment
	Loss, Stderr float64
	// Recovered is (baseline - loss) / (baseline - unscrubbed), the day's
	// loss recovered against Day3BaselineFile.
	Recovered float64
	// Samples are the indices drawn (reference, node datum), for cross-checks.
	Samples *scrub.Samples
}

// Day3Table is the day's table.
type Day3Table struct {
	N          int
	Seed       uint64
	DType      tensor.DType
	Unscrubbed scrub.Summary
	// Random is every input array (tokens, labels and mask) from its own
	// random datum: scrub's own baseline.
	Random scrub.Summary
	Rows   []Day3Row
}

// RunDay3 scrubs every hypothesis of Day3Experiments (files in dir) on the
// loss circuit with n reference examples of ds drawn with seed.
func RunDay3(ctx context.Context, dir string, loss circuit.Circuit, ds *scrub.Dataset, n int, seed uint64, dt tensor.DType) (*Day3Table, error) {
	return RunDay3Experiments(ctx, dir, Day3Experiments, loss, ds, n, seed, dt)
}

// RunDay3Experiments is RunDay3 on some of the experiments, which must
// include the baseline (Day3BaselineFile).
func RunDay3Experiments(ctx context.Context, dir string, exps []Day3Experiment, loss circuit.Circuit, ds *scrub.Dataset, n int, seed uint64, dt tensor.DType) (*Day3Table, error) {
	if !slices.ContainsFunc(exps, func(e Day3Experiment) bool { return e.File == Day3BaselineFile }) {
		return nil, fmt.Errorf("day 3: the experiments lack the baseline %s", Day3BaselineFile)
	}
	t := &Day3Table{N: n, Seed: seed, DType: dt}
	// every scrub goes into one compiled plan (RunScrubs): the reference's
	// forward pass and each datum's are computed once, on the union of the
	// sampled rows, and shared by the scrubs that use them
	hyps := make([]*scrub.Hypothesis, len(exps))
	for i, e := range exps {
		h, err := scrub.LoadHypothesis(filepath.Join(dir, e.File))
		if err != nil {
			return nil, err
		}
		hyps[i] = h
	}
	jobs, err := PrepareScrubs(ctx, hyps, loss, ds, n, seed)
	if err != nil {
		return nil, err
	}
	rs, err := RunScrubs(ctx, jobs, scrub.RunOptions{DType: dt})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("day 3: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("day 3: evaluating the scrubs: %w", err)
	}
	// the reference and random draws come first, the same for every file
	t.Unscrubbed, t.Random = rs[0].Original, rs[0].Random
	for i, e := range exps {
		t.Rows = append(t.Rows, Day3Row{Day3Experiment: e, Samples: jobs[i].Samples, Loss: rs[i].Scrubbed.Mean, Stderr: rs[i].Scrubbed.Stderr})
	}
	var base float64
	for _, r := range t.Rows {
		if r.File == Day3BaselineFile {
			base = r.Loss
		}
	}
	for i := range t.Rows {
		t.Rows[i].Recovered = (base - t.Rows[i].Loss) / (base - t.Unscrubbed.Mean)
	}
	return t, nil
}

// Day3SampleArrays are t's sampled indices as arrays for an .npz: 'ref',
// 'datum_<node>' per experiment, and the head split 'prev_heads',
// 'ind_heads'.
func Day3SampleArrays(t *Day3Table) map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	ints := func(xs []int) *tensor.Tensor {
		v, _ := tensor.FromInt64([]int{len(xs)}, toInt64(xs))
		return v
	}
	for _, r := range t.Rows {
		out["ref"] = ints(r.Samples.Ref)
		out["datum_"+r.Node] = ints(r.Samples.Datum[r.Node])
	}
	out["prev_heads"] = ints(Day3TrainedHeads.Prev)
	out["ind_heads"] = ints(Day3TrainedHeads.Induction)
	return out
}
