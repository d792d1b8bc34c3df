package remix

import (
	"context"
	"runtime"
	"sync"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/scrub"
)

// ScrubJob is one scrub to run: an experiment and the samples drawn for it.
type ScrubJob = scrub.Job

// RunScrubs evaluates every job in one compiled plan: scrub.RunMany, the
// model computed once on the union of the rows any job samples.
func RunScrubs(ctx context.Context, jobs []ScrubJob, opts scrub.RunOptions) ([]*scrub.Result, error) {
	return scrub.RunMany(ctx, jobs, opts)
}

// PrepareScrubs is scrub.Prepare on each hypothesis (n references drawn
// with seed, so every job shares them), two at a time: treeifying a
// hypothesis with many interp nodes is most of the work before the run.
func PrepareScrubs(ctx context.Context, hyps []*scrub.Hypothesis, model circuit.Circuit, ds *scrub.Dataset, n int, seed uint64) ([]ScrubJob, error) {
	jobs := make([]ScrubJob, len(hyps))
	errs := make([]error, len(hyps))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(hyps), 2) {
		wg.Go(func() {
			for i := range next {
				if errs[i] = ctx.Err(); errs[i] == nil {
					jobs[i].Experiment, jobs[i].Samples, errs[i] = scrub.Prepare(hyps[i], model, ds, n, seed)
				}
			}
		})
	}
	for i := range hyps {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err // the first in order, whichever failed first
		}
	}
	return jobs, nil
}
