package transformer

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/modlib"
	"github.com/circopt/circopt/tensor"
)

// BindOptions configures Bind.
type BindOptions struct {
	ConfigureOptions
	// Loss makes the root the mean next-token cross-entropy 't.loss'
	// instead of the logits.
	Loss bool
}

// Bind calls a loaded model on int64 token ids of shape [seq] or [batch,
// seq] as rust_circuit's bind_to_input_tokens does (modlib.BindToInputTokens)
// and lays it out with Configure. The root 't.call' is the logits [...,
// seq, vocab] (or the loss with opts.Loss).
func Bind(l *Loaded, tokens *tensor.Tensor, opts BindOptions) (circuit.Circuit, error) {
	call, err := modlib.BindToInputTokens(l.Info, l.Model, l.TokEmbeds, l.PosEmbeds, tokens)
	if err != nil {
		return nil, err
	}
	root, err := Configure(call, opts.ConfigureOptions)
	if err != nil {
		return nil, err
	}
	if opts.Loss {
		if root, err = nextTokenLoss(root, tokens); err != nil {
			return nil, err
		}
	}
	return root.Rename("t.call"), nil
}

// BindTokens is Bind on the model's module library circuit.
func BindTokens(m *Model, tokens *tensor.Tensor, opts BindOptions) (circuit.Circuit, error) {
	l, err := m.Loaded()
	if err != nil {
		return nil, err
	}
	return Bind(l, tokens, opts)
}

// nextTokenLoss is the mean cross-entropy of predicting token i+1 from
// position i: a one-hot contraction of the log-softmax of the logits.
func nextTokenLoss(logits circuit.Circuit, tokens *tensor.Tensor) (circuit.Circuit, error) {
	sh := tokens.Shape()
	vocab := logits.Shape()[logits.Rank()-1]
	seq, ids := sh[len(sh)-1], tokens.Int64s()
	if seq < 2 {
		return nil, fmt.Errorf("the loss needs at least 2 tokens per sequence, got %d", seq)
	}
	for i, id := range ids {
		if i%seq > 0 && id >= int64(vocab) {
			return nil, fmt.Errorf("the loss predicts each next token from the logits, but token id %d at position %d is outside the model's %d outputs", id, i, vocab)
		}
	}
	rows := len(ids) / seq
	n := rows * (seq - 1)
	oh := make([]float32, n*vocab)
	for r := range rows {
		for i := 0; i+1 < seq; i++ {
			oh[(r*(seq-1)+i)*vocab+int(ids[r*seq+i+1])] = 1
		}
	}
	ohShape := []int{seq - 1, vocab}
	if len(sh) == 2 {
		ohShape = []int{rows, seq - 1, vocab}
	}
	t, err := tensor.FromFloat32(ohShape, oh)
	if err != nil {
		return nil, err
	}
	targets, err := circuit.NewArray(t, "t.targets")
	if err != nil {
		return nil, err
	}
	lp, err := circuit.NewGeneralFunction("t.log_probs", "log_softmax", logits)
	if err != nil {
		return nil, err
	}
	idx := []circuit.AxisIndex{circuit.Slice(0, seq-1), circuit.All()}
	if len(sh) == 2 {
		idx = append([]circuit.AxisIndex{circuit.All()}, idx...)
	}
	pred, err := circuit.NewIndex("", idx, lp)
	if err != nil {
		return nil, err
	}
	scale, err := circuit.NewScalar(-1/float64(n), nil, "")
	if err != nil {
		return nil, err
	}
	spec := "sv,sv,->"
	if len(sh) == 2 {
		spec = "bsv,bsv,->"
	}
	return circuit.NewEinsumSpec("t.loss", spec, pred, targets, scale)
}
