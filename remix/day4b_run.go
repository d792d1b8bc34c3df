package remix

import (
	"context"
	"fmt"
	"math"
	"path/filepath"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/scrub"
)

// ParenRow is one experiment's line of the day-4b table.
type ParenRow struct {
	Name   string  `json:"name"`
	Title  string  `json:"title"`
	N      int     `json:"n"`
	Loss   float64 `json:"loss"`
	Stderr float64 `json:"stderr"`
	// Acc is the share of scrubbed examples classified right (loss < ln 2).
	Acc           float64 `json:"acc"`
	Original      float64 `json:"original_loss"`
	Random        float64 `json:"random_loss"`
	LossRecovered float64 `json:"loss_recovered"`
}

// RunParen scrubs loss (BuildParen's Loss) under every experiment over n
// reference examples of ds drawn with seed; one seed draws the same
// references for all. All experiments run in one compiled plan (RunScrubs;
// with opts.Naive, each on its own through the reference evaluator). With
// dumpDir, each experiment's sampled indices go to dumpDir/<name>.npz (what
// testdata/day4b/scrub_torch.py reads).
func RunParen(ctx context.Context, loss circuit.Circuit, ds *scrub.Dataset, exps []ParenExperiment, n int, seed uint64, opts scrub.RunOptions, dumpDir string) ([]ParenRow, error) {
	jobs, rs, err := runParen(ctx, loss, ds, exps, n, seed, opts)
	if err != nil {
		return nil, err
	}
	rows := make([]ParenRow, len(exps))
	for i, e := range exps {
		if dumpDir != "" {
			if err := jobs[i].Experiment.DumpSamples(filepath.Join(dumpDir, e.Name+".npz"), jobs[i].Samples); err != nil {
				return nil, err
			}
		}
		rows[i] = parenRow(e, rs[i])
	}
	return rows, nil
}

// runParen prepares every experiment and scrubs them all.
func runParen(ctx context.Context, loss circuit.Circuit, ds *scrub.Dataset, exps []ParenExperiment, n int, seed uint64, opts scrub.RunOptions) ([]ScrubJob, []*scrub.Result, error) {
	hyps := make([]*scrub.Hypothesis, len(exps))
	for i, e := range exps {
		hyps[i] = e.Hypothesis()
	}
	jobs, err := PrepareScrubs(ctx, hyps, loss, ds, n, seed)
	if err != nil {
		return nil, nil, fmt.Errorf("day 4b: %w", err)
	}
	rs, err := RunScrubs(ctx, jobs, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("day 4b: %w", err)
	}
	return jobs, rs, nil
}

func parenRow(e ParenExperiment, r *scrub.Result) ParenRow {
	right := 0
	_, scrubbed, _ := r.Values()
	for _, v := range scrubbed {
		if v < math.Ln2 {
			right++
		}
	}
	return ParenRow{Name: e.Name, Title: e.Title, N: r.N, Loss: r.Scrubbed.Mean, Stderr: r.Scrubbed.Stderr,
		Acc: float64(right) / float64(r.N), Original: r.Original.Mean, Random: r.Random.Mean, LossRecovered: r.LossRecovered}
}
