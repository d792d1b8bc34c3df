package remix

import (
	"context"
	"fmt"
	"slices"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/progress"
	"github.com/circopt/circopt/tensor"
)

// EvalFunc evaluates many circuits at once with the input Symbol bound:
// work shared between the circuits should be done once. It should return
// early with ctx.Err() when ctx is done; RunModel stops waiting for it then
// in any case.
type EvalFunc func(ctx context.Context, cs []circuit.Circuit, bindings map[string]*tensor.Tensor, dt tensor.DType) ([]*tensor.Tensor, error)

// NaiveEval is circuit.EvaluateAll: the reference evaluator, whose memo
// (keyed by hash) computes a subtree shared between variants once. It
// cannot be stopped once started, so it only checks ctx before starting.
func NaiveEval(ctx context.Context, cs []circuit.Circuit, bindings map[string]*tensor.Tensor, dt tensor.DType) ([]*tensor.Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return circuit.EvaluateAll(cs, circuit.EvalOptions{DType: dt, Bindings: bindings})
}

// CompiledEval is circopt.EvaluateMany: every variant is lowered into one
// program, optimized (CSE across variants, batch-gather commutation, ...)
// and run once.
func CompiledEval(ctx context.Context, cs []circuit.Circuit, bindings map[string]*tensor.Tensor, dt tensor.DType) ([]*tensor.Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The one line to switch once the facade can stop a run:
	// return circopt.EvaluateManyContext(ctx, cs, bindings, circopt.Options{DType: dt})
	return circopt.EvaluateMany(cs, bindings, circopt.Options{DType: dt})
}

// Options configure RunModel and RunDir.
type Options struct {
	// DType of the evaluation; float32 (as PyTorch) when zero.
	DType tensor.DType
	// Seeds of the shuffles; DefaultSeeds when nil.
	Seeds []uint64
	// Only restricts the table to these experiment names (all when empty).
	Only []string
	// Eval evaluates the variants; CompiledEval when nil.
	Eval EvalFunc
	// Progress is told of each model done by RunDir and FigureData;
	// progress.Nop when nil.
	Progress progress.Reporter
}

// reporter is opts.Progress, or progress.Nop when unset.
func (opts Options) reporter() progress.Reporter {
	if opts.Progress == nil {
		return progress.Nop
	}
	return opts.Progress
}

// evaluate runs opts' evaluator (CompiledEval when unset) in opts' dtype
// (float32 when unset) on cs with x bound to images. It returns ctx.Err()
// as soon as ctx is done, even while the evaluator runs on: an evaluator
// that cannot stop finishes in the background and its result is dropped.
func (opts Options) evaluate(ctx context.Context, cs []circuit.Circuit, images *tensor.Tensor) ([]*tensor.Tensor, error) {
	dt := opts.DType
	if dt == 0 {
		dt = tensor.Float32
	}
	eval := opts.Eval
	if eval == nil {
		eval = CompiledEval
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type result struct {
		outs []*tensor.Tensor
		err  error
	}
	done := make(chan result, 1) // buffered: an abandoned evaluation still exits
	go func() {
		outs, err := eval(ctx, cs, map[string]*tensor.Tensor{NameX: images}, dt)
		done <- result{outs, err}
	}()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-done:
		if r.err != nil {
			return nil, r.err
		}
		if len(r.outs) != len(cs) {
			return nil, fmt.Errorf("remix: evaluator returned %d outputs for %d circuits", len(r.outs), len(cs))
		}
		// a result that raced with cancellation still counts as cancelled
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return r.outs, nil
	}
}

// Row is one line of the results table.
type Row struct {
	Experiment string  `json:"experiment"`
	Model      string  `json:"model"`
	TestLoss   float64 `json:"test_loss"`
	TestAcc    float64 `json:"test_acc"`
}

// RunModel builds every experiment of model (see Experiments), evaluates
// them all together on images [n, 784] with x bound to images, and scores
// each against labels. Rows come in ExperimentNames order. When ctx is
// done it stops (before, between or during those steps) and returns an
// error wrapping ctx.Err().
func RunModel(ctx context.Context, name string, model circuit.Circuit, images *tensor.Tensor, labels []int, opts Options) ([]Row, error) {
	seeds := opts.Seeds
	if seeds == nil {
		seeds = DefaultSeeds
	}
	for _, o := range opts.Only {
		if !slices.Contains(ExperimentNames(seeds), o) {
			return nil, fmt.Errorf("remix: unknown experiment %q (known: %v)", o, ExperimentNames(seeds))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	exps, err := Experiments(model, seeds)
	if err != nil {
		return nil, err
	}
	var cs []circuit.Circuit
	var names []string
	for _, e := range exps {
		if len(opts.Only) > 0 && !slices.Contains(opts.Only, e.Name) {
			continue
		}
		cs = append(cs, e.Circuit)
		names = append(names, e.Name)
	}
	outs, err := opts.evaluate(ctx, cs, images)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	rows := make([]Row, len(cs))
	for i, out := range outs {
		s, err := ScoreLogits(out, labels, LabelSmoothing)
		if err != nil {
			return nil, fmt.Errorf("model %s, experiment %s: %w", name, names[i], err)
		}
		rows[i] = Row{Experiment: names[i], Model: name, TestLoss: s.Loss, TestAcc: s.Acc}
	}
	return rows, nil
}
