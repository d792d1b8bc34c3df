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
// references for all. ctx is checked between experiments. With dumpDir,
// each experiment's sampled indices go to dumpDir/<name>.npz (what
// testdata/day4b/scrub_torch.py reads).
func RunParen(ctx context.Context, loss circuit.Circuit, ds *scrub.Dataset, exps []ParenExperiment, n int, seed uint64, opts scrub.RunOptions, dumpDir string) ([]ParenRow, error) {
	var rows []ParenRow
	for _, e := range exps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, s, ex, err := runParenSamples(loss, ds, e, n, seed, opts)
		if err != nil {
			return nil, err
		}
		if dumpDir != "" {
			if err := ex.DumpSamples(filepath.Join(dumpDir, e.Name+".npz"), s); err != nil {
				return nil, err
			}
		}
		rows = append(rows, parenRow(e, r))
	}
	return rows, nil
}

// runParenSamples scrubs one experiment and also returns its samples and
// the experiment (whose DumpSamples writes them).
func runParenSamples(loss circuit.Circuit, ds *scrub.Dataset, e ParenExperiment, n int, seed uint64, opts scrub.RunOptions) (*scrub.Result, *scrub.Samples, *scrub.Experiment, error) {
	hyp := e.Hypothesis()
	corr, err := hyp.Correspondence(ds)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("day 4b experiment %s: %w", e.Name, err)
	}
	ex, err := scrub.NewExperiment(loss, ds, corr)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("day 4b experiment %s: %w", e.Name, err)
	}
	s, err := ex.Sample(n, seed)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("day 4b experiment %s: %w", e.Name, err)
	}
	r, err := ex.Run(s, opts)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("day 4b experiment %s: %w", e.Name, err)
	}
	return r, s, ex, nil
}

func parenRow(e ParenExperiment, r *scrub.Result) ParenRow {
	right := 0
	for _, v := range r.ScrubbedValues {
		if v < math.Ln2 {
			right++
		}
	}
	return ParenRow{Name: e.Name, Title: e.Title, N: r.N, Loss: r.Scrubbed.Mean, Stderr: r.Scrubbed.Stderr,
		Acc: float64(right) / float64(r.N), Original: r.Original.Mean, Random: r.Random.Mean, LossRecovered: r.LossRecovered}
}
