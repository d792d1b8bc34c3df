package bench

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/transformer"
)

// GPT2Tokens are seeded token ids [batch, seq] below vocab.
func GPT2Tokens(batch, seq, vocab int, seed uint64) (*tensor.Tensor, error) {
	ids := make([]int64, batch*seq)
	x := seed*6364136223846793005 + 1442695040888963407
	for i := range ids {
		x = x*6364136223846793005 + 1442695040888963407 // PCG's LCG step: cheap and reproducible
		ids[i] = int64((x >> 33) % uint64(vocab))
	}
	return tensor.FromInt64([]int{batch, seq}, ids)
}

// HeadAblations are the model called on tokens with heads split, first
// unablated, then with each head 'a{l}.h{i}' replaced by zeros in turn
// (1 + layers·heads circuits), for one EvaluateMany.
func HeadAblations(m *transformer.Model, tokens *tensor.Tensor) ([]circuit.Circuit, error) {
	base, err := transformer.BindTokens(m, tokens, transformer.BindOptions{ConfigureOptions: transformer.ConfigureOptions{SplitHeads: true}})
	if err != nil {
		return nil, err
	}
	heads := map[string]circuit.Circuit{}
	circuit.Walk([]circuit.Circuit{base}, func(c circuit.Circuit) { heads[c.Name()] = c })
	out := []circuit.Circuit{base}
	for l := 0; l < m.Config.Layers; l++ {
		for i := 0; i < m.Config.Heads; i++ {
			name := fmt.Sprintf("a%d.h%d", l, i)
			h, ok := heads[name]
			if !ok {
				return nil, fmt.Errorf("no head %q", name)
			}
			zero, err := circuit.NewScalar(0, h.Shape(), name+".ablated")
			if err != nil {
				return nil, err
			}
			v, err := circuit.ReplaceExpand(base, map[circuit.Hash]circuit.Circuit{h.Hash(): zero})
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
	return out, nil
}
