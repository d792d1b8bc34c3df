package remix

import (
	"context"
	"fmt"

	"github.com/circopt/circopt"
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
	// every scrub's circuits go into one compiled plan: the gathered inputs
	// are Symbols named by (input, indices), so what the experiments share
	// (the reference's forward pass, the random datum's) is computed once
	cs := make([]circuit.Circuit, 2, 2+len(exps))
	binds := map[string]*tensor.Tensor{}
	for _, e := range exps {
		path := filepath.Join(dir, e.File)
		hyp, err := scrub.LoadHypothesis(path)
		if err != nil {
			return nil, err
		}
		corr, err := hyp.Correspondence(ds)
		if err != nil {
			return nil, err
		}
		ex, err := scrub.NewExperiment(loss, ds, corr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		s, err := ex.Sample(n, seed)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		b, err := ex.Build(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if cs[0] == nil {
			// the reference and random draws come first, the same for every file
			cs[0], cs[1] = b.Original, b.Random
		}
		cs = append(cs, b.Scrubbed)
		for k, v := range b.Bindings {
			binds[k] = v.Cast(dt)
		}
		t.Rows = append(t.Rows, Day3Row{Day3Experiment: e, Samples: s})
	}
	vals, err := circopt.EvaluateManyContext(ctx, cs, binds, circopt.Options{DType: dt})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("day 3: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("day 3: evaluating the scrubs: %w", err)
	}
	t.Unscrubbed, t.Random = scrub.Summarize(vals[0].Float64s()), scrub.Summarize(vals[1].Float64s())
	var base float64
	for i := range t.Rows {
		r := scrub.Summarize(vals[2+i].Float64s())
		t.Rows[i].Loss, t.Rows[i].Stderr = r.Mean, r.Stderr
		if t.Rows[i].File == Day3BaselineFile {
			base = r.Mean
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
