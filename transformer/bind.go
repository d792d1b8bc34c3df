package transformer

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// BindOptions configures BindTokens.
type BindOptions struct {
	BuildOptions
	// SplitPositions makes 't.input' a concatenation of one node per
	// position, 't.input.p{i}'.
	SplitPositions bool
	// Loss makes the root the mean next-token cross-entropy 't.loss'
	// instead of the logits.
	Loss bool
}

// arrays wraps every weight as an Array under its own name, once.
func (m *Model) arrays() (map[string]circuit.Circuit, error) {
	if m.leaves == nil {
		m.leaves = make(map[string]circuit.Circuit, len(m.Weights))
	}
	for n, t := range m.Weights {
		if a, ok := m.leaves[n].(*circuit.Array); ok && a.Value == t {
			continue
		}
		a, err := circuit.NewArray(t, n)
		if err != nil {
			return nil, err
		}
		m.leaves[n] = a
	}
	return m.leaves, nil
}

// BindTokens is the model called on int64 token ids of shape [seq] or
// [batch, seq], as rust_circuit's bind_to_input_tokens: token embeddings
// gathered by id, GPT positional embeddings, causal mask. The root 't.call'
// is the logits [..., seq, vocab] (or the loss with opts.Loss).
func BindTokens(m *Model, tokens *tensor.Tensor, opts BindOptions) (circuit.Circuit, error) {
	if err := checkTokens(m.Config, tokens); err != nil {
		return nil, err
	}
	w, err := m.arrays()
	if err != nil {
		return nil, err
	}
	input, err := embed(m.Config, w, tokens, opts.SplitPositions)
	if err != nil {
		return nil, err
	}
	logits, err := Build(m.Config, w, input, opts.BuildOptions)
	if err != nil {
		return nil, err
	}
	root := logits
	if opts.Loss {
		if root, err = nextTokenLoss(logits, tokens, m.Config.Vocab); err != nil {
			return nil, err
		}
	}
	return root.Rename("t.call"), nil
}

// checkTokens refuses ids outside the vocabulary and sequences longer than
// the positional table, naming the position.
func checkTokens(cfg Config, tokens *tensor.Tensor) error {
	if tokens.DType() != tensor.Int64 {
		return fmt.Errorf("token ids have dtype %v, want int64", tokens.DType())
	}
	sh := tokens.Shape()
	if len(sh) != 1 && len(sh) != 2 {
		return fmt.Errorf("token ids have shape %v, want [seq] or [batch, seq]", sh)
	}
	seq := sh[len(sh)-1]
	if seq == 0 || tokens.Size() == 0 {
		return fmt.Errorf("token ids have shape %v: no tokens", sh)
	}
	if seq > cfg.Ctx {
		return fmt.Errorf("sequence of %d tokens is longer than the positional table (%d positions)", seq, cfg.Ctx)
	}
	for i, id := range tokens.Int64s() {
		if id < 0 || id >= int64(cfg.Vocab) {
			pos := fmt.Sprint(i)
			if len(sh) == 2 {
				pos = fmt.Sprintf("[%d, %d]", i/seq, i%seq)
			}
			return fmt.Errorf("token id %d at position %s is outside the vocabulary of %d", id, pos, cfg.Vocab)
		}
	}
	return nil
}

// embed is 't.input': token embeddings gathered by id plus positional
// embeddings, [..., seq, hidden].
func embed(cfg Config, w map[string]circuit.Circuit, tokens *tensor.Tensor, splitPositions bool) (circuit.Circuit, error) {
	sh := tokens.Shape()
	seq, ids := sh[len(sh)-1], tokens.Int64s()
	rows := len(ids) / seq
	var tok circuit.Circuit
	parts := make([]circuit.Circuit, rows)
	for r := range rows {
		g, err := circuit.NewIndex("", []circuit.AxisIndex{circuit.Positions(ids[r*seq : (r+1)*seq]...), circuit.All()}, w["t.w.tok_embeds"])
		if err != nil {
			return nil, err
		}
		parts[r] = g
		if len(sh) == 2 {
			if parts[r], err = circuit.Unsqueeze("", g, 0); err != nil {
				return nil, err
			}
		}
	}
	tok = parts[0]
	if len(sh) == 2 {
		c, err := circuit.NewConcat("", 0, parts...)
		if err != nil {
			return nil, err
		}
		tok = c
	}
	tok = tok.Rename("t.tok_embeds")
	pos, err := circuit.NewIndex("t.pos_embeds", []circuit.AxisIndex{circuit.Slice(0, seq), circuit.All()}, w["t.w.pos_embeds"])
	if err != nil {
		return nil, err
	}
	if !splitPositions {
		return circuit.NewAdd("t.input", tok, pos)
	}
	whole, err := circuit.NewAdd("t.embeds", tok, pos)
	if err != nil {
		return nil, err
	}
	axis := len(sh) - 1
	ps := make([]circuit.Circuit, seq)
	for i := range seq {
		idx := make([]circuit.AxisIndex, axis+1)
		for j := range idx {
			idx[j] = circuit.All()
		}
		idx[axis] = circuit.Slice(i, i+1)
		if ps[i], err = circuit.NewIndex(fmt.Sprintf("t.input.p%d", i), idx, whole); err != nil {
			return nil, err
		}
	}
	return circuit.NewConcat("t.input", axis, ps...)
}

// nextTokenLoss is the mean cross-entropy of predicting token i+1 from
// position i: a one-hot contraction of the log-softmax of the logits.
func nextTokenLoss(logits circuit.Circuit, tokens *tensor.Tensor, vocab int) (circuit.Circuit, error) {
	sh := tokens.Shape()
	seq, ids := sh[len(sh)-1], tokens.Int64s()
	if seq < 2 {
		return nil, fmt.Errorf("the loss needs at least 2 tokens per sequence, got %d", seq)
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

// weightNames lists the model's weight names, sorted.
func (m *Model) weightNames() []string { return sortedNames(m.Weights) }
