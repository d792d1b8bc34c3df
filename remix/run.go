package remix

import (
	"fmt"
	"slices"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// EvalFunc evaluates many circuits at once with the input Symbol bound:
// work shared between the circuits should be done once.
type EvalFunc func(cs []circuit.Circuit, bindings map[string]*tensor.Tensor, dt tensor.DType) ([]*tensor.Tensor, error)

// NaiveEval is circuit.EvaluateAll: the reference evaluator, whose memo
// (keyed by hash) computes a subtree shared between variants once.
func NaiveEval(cs []circuit.Circuit, bindings map[string]*tensor.Tensor, dt tensor.DType) ([]*tensor.Tensor, error) {
	return circuit.EvaluateAll(cs, circuit.EvalOptions{DType: dt, Bindings: bindings})
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
// each against labels. Rows come in ExperimentNames order.
func RunModel(name string, model circuit.Circuit, images *tensor.Tensor, labels []int, opts Options) ([]Row, error) {
	seeds := opts.Seeds
	if seeds == nil {
		seeds = DefaultSeeds
	}
	for _, o := range opts.Only {
		if !slices.Contains(ExperimentNames(seeds), o) {
			return nil, fmt.Errorf("remix: unknown experiment %q (known: %v)", o, ExperimentNames(seeds))
		}
	}
	dt := opts.DType
	if dt == 0 {
		dt = tensor.Float32
	}
	eval := opts.Eval
	if eval == nil {
		eval = CompiledEval
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
	outs, err := eval(cs, map[string]*tensor.Tensor{NameX: images}, dt)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	if len(outs) != len(cs) {
		return nil, fmt.Errorf("model %s: evaluator returned %d outputs for %d circuits", name, len(outs), len(cs))
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

// CompiledEval is circopt.EvaluateMany: every variant is lowered into one
// program, optimized (CSE across variants, batch-gather commutation, ...)
// and run once.
func CompiledEval(cs []circuit.Circuit, bindings map[string]*tensor.Tensor, dt tensor.DType) ([]*tensor.Tensor, error) {
	return circopt.EvaluateMany(cs, bindings, circopt.Options{DType: dt})
}
