package scrub

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
)

// Prepare is the loop every hypothesis-file scrub repeats: the
// hypothesis's correspondence on ds, the experiment on model, and n
// reference examples drawn with seed. Errors name h.File.
func Prepare(h *Hypothesis, model circuit.Circuit, ds *Dataset, n int, seed uint64) (*Experiment, *Samples, error) {
	corr, err := h.Correspondence(ds)
	if err != nil {
		return nil, nil, err // already FILE:LINE
	}
	ex, err := NewExperiment(model, ds, corr)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", h.File, err)
	}
	s, err := ex.Sample(n, seed)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", h.File, err)
	}
	return ex, s, nil
}

// PrepareFile is Prepare on the hypothesis file at path.
func PrepareFile(path string, model circuit.Circuit, ds *Dataset, n int, seed uint64) (*Experiment, *Samples, error) {
	h, err := LoadHypothesis(path)
	if err != nil {
		return nil, nil, err
	}
	return Prepare(h, model, ds, n, seed)
}

// RunFile scrubs model under the hypothesis file at path: PrepareFile,
// then Run with opts.
func RunFile(path string, model circuit.Circuit, ds *Dataset, n int, seed uint64, opts RunOptions) (*Result, error) {
	ex, s, err := PrepareFile(path, model, ds, n, seed)
	if err != nil {
		return nil, err
	}
	r, err := ex.Run(s, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}
