package remix

import (
	"fmt"
	"math"

	"github.com/circopt/circopt/tensor"
)

// LabelSmoothing is the notebook's test() setting for cross_entropy.
const LabelSmoothing = 0.1

// Score is a test loss and an accuracy.
type Score struct {
	Loss float64
	Acc  float64
}

// ScoreLogits scores logits [n, k] against labels as the notebook's test()
// does: the loss is PyTorch's cross_entropy with label_smoothing eps, mean
// over examples,
//
//	loss_i = (1-eps)·(−log p_{y_i}) + eps·mean_k(−log p_k),
//
// and the accuracy is the fraction of examples whose argmax (first maximum
// on ties, as torch.argmax) equals the label. Log-probabilities are taken in
// the logits' dtype (as PyTorch does in float32); the sums accumulate in
// float64.
func ScoreLogits(logits *tensor.Tensor, labels []int, eps float64) (Score, error) {
	if logits == nil || logits.Rank() != 2 {
		return Score{}, fmt.Errorf("remix: logits must have shape [n, classes]")
	}
	n, k := logits.Shape()[0], logits.Shape()[1]
	if n != len(labels) {
		return Score{}, fmt.Errorf("remix: %d rows of logits but %d labels", n, len(labels))
	}
	if n == 0 || k == 0 {
		return Score{}, fmt.Errorf("remix: empty logits %v", logits.Shape())
	}
	if eps < 0 || eps > 1 {
		return Score{}, fmt.Errorf("remix: label smoothing %v outside [0, 1]", eps)
	}
	logp, err := tensor.LogSoftmax(logits, 1)
	if err != nil {
		return Score{}, err
	}
	lp := logp.Float64s()
	lg := logits.Float64s()
	var loss float64
	correct := 0
	for i, y := range labels {
		if y < 0 || y >= k {
			return Score{}, fmt.Errorf("remix: label %d of example %d outside 0..%d", y, i, k-1)
		}
		row := lp[i*k : (i+1)*k]
		var sum float64
		for _, v := range row {
			sum += v
		}
		loss += (1-eps)*(-row[y]) + eps*(-sum/float64(k))
		best := 0
		for j, v := range lg[i*k : (i+1)*k] {
			if v > lg[i*k+best] {
				best = j
			}
		}
		if best == y {
			correct++
		}
	}
	if math.IsNaN(loss) {
		return Score{}, fmt.Errorf("remix: the loss is NaN (logits hold NaN or Inf)")
	}
	return Score{Loss: loss / float64(n), Acc: float64(correct) / float64(n)}, nil
}
