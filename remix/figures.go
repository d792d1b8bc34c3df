package remix

import (
	"context"
	"fmt"
	"slices"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/tensor"
)

// The data behind the notebook's figures; cmd/remix draws them, so this
// package does not import gonum/plot.

// Confusion counts, for logits [n, k] and labels, how often an example of
// true class i is predicted as class j (argmax, first maximum on ties, as
// ScoreLogits): m[i][j], a k×k matrix whose entries sum to n.
func Confusion(logits *tensor.Tensor, labels []int) ([][]int, error) {
	if logits == nil || logits.Rank() != 2 {
		return nil, fmt.Errorf("remix: logits must have shape [n, classes]")
	}
	n, k := logits.Shape()[0], logits.Shape()[1]
	if n != len(labels) {
		return nil, fmt.Errorf("remix: %d rows of logits but %d labels", n, len(labels))
	}
	if k == 0 {
		return nil, fmt.Errorf("remix: logits %v have no classes", logits.Shape())
	}
	m := make([][]int, k)
	for i := range m {
		m[i] = make([]int, k)
	}
	lg := logits.Float64s()
	for i, y := range labels {
		if y < 0 || y >= k {
			return nil, fmt.Errorf("remix: label %d of example %d outside 0..%d", y, i, k-1)
		}
		row := lg[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		m[y][best]++
	}
	return m, nil
}

// OffDiagonal returns a copy of m with its diagonal zeroed, as the notebook
// plots it: the correct predictions dwarf the mistakes otherwise.
func OffDiagonal(m [][]int) [][]int {
	out := make([][]int, len(m))
	for i, row := range m {
		out[i] = append([]int(nil), row...)
		if i < len(row) {
			out[i][i] = 0
		}
	}
	return out
}

// BaselineLogits evaluates model (as built by BuildModel) on images with
// opts' evaluator and dtype: the logits [n, 10] the confusion matrix needs.
// When ctx is done it stops and returns ctx.Err().
func BaselineLogits(ctx context.Context, model circuit.Circuit, images *tensor.Tensor, opts Options) (*tensor.Tensor, error) {
	outs, err := opts.evaluate(ctx, []circuit.Circuit{model}, images)
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// LastWeights returns the tensor of model's Array "last.weight" [10, 784].
func LastWeights(model circuit.Circuit) (*tensor.Tensor, error) {
	n, err := match.GetUnique(model, match.Name("last.weight"))
	if err != nil {
		return nil, fmt.Errorf("remix: last.weight: %w", err)
	}
	a, ok := n.(*circuit.Array)
	if !ok {
		return nil, fmt.Errorf("remix: last.weight is a %T, not an Array", n)
	}
	if !slices.Equal(a.Value.Shape(), []int{Classes, Pixels}) {
		return nil, fmt.Errorf("remix: last.weight has shape %v, want [%d %d]", a.Value.Shape(), Classes, Pixels)
	}
	return a.Value, nil
}

// ModelFigure is what the per-model figures show: the baseline's confusion
// matrix (diagonal included) and the last layer's weights [10, 784].
type ModelFigure struct {
	Name        string
	Confusion   [][]int
	LastWeights *tensor.Tensor
}

// FigureData loads every model of ModelFiles from dir (shipped when "") over images and
// gathers its ModelFigure. When ctx is done it stops and returns an error
// wrapping ctx.Err().
func FigureData(ctx context.Context, dir string, images *tensor.Tensor, labels []int, opts Options) ([]ModelFigure, error) {
	if err := CheckModelDir(dir); err != nil {
		return nil, err
	}
	if images == nil || images.Rank() != 2 || images.Shape()[1] != Pixels {
		return nil, fmt.Errorf("remix: images must have shape [n, %d]", Pixels)
	}
	var out []ModelFigure
	pr := opts.reporter()
	pr.Start(len(ModelFiles), "figures (models)")
	defer pr.Finish()
	for _, m := range ModelFiles {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("remix: figures: %w", err)
		}
		model, err := LoadModelFrom(dir, m, images.Shape()[0])
		if err != nil {
			return nil, err
		}
		logits, err := BaselineLogits(ctx, model, images, opts)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", m.Name, err)
		}
		conf, err := Confusion(logits, labels)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", m.Name, err)
		}
		w, err := LastWeights(model)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", m.Name, err)
		}
		out = append(out, ModelFigure{Name: m.Name, Confusion: conf, LastWeights: w})
		pr.Add(1)
	}
	return out, nil
}
