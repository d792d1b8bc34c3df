package transformer

import (
	"strings"

	"github.com/circopt/circopt/tensor"
)

// Small is GPT-2 small's configuration (124M parameters).
var Small = Config{Layers: 12, Hidden: 768, Heads: 12, Vocab: 50257, Ctx: 1024, LNEps: 1e-5}

// Random is a model of cfg with float32 weights drawn as GPT-2's
// initialisation does (normal, std 0.02; layer norm scales 1, biases 0),
// seeded, for benchmarks and tests that need a full-size model.
func Random(cfg Config, seed uint64) (*Model, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	w := map[string]*tensor.Tensor{}
	for i, n := range sortedNames(cfg.Shapes()) {
		shape := cfg.Shapes()[n]
		var t *tensor.Tensor
		var err error
		switch {
		case n == "t.w.unembed":
			continue // tied to the token embedding below
		case strings.HasSuffix(n, ".w.scale"):
			t, err = tensor.Full(tensor.Float32, shape, 1)
		case strings.HasSuffix(n, "bias"):
			t, err = tensor.Zeros(tensor.Float32, shape)
		default:
			if t, err = tensor.RandN(tensor.Float32, shape, seed+uint64(i)); err == nil {
				t = tensor.Scale(t, 0.02)
			}
		}
		if err != nil {
			return nil, err
		}
		w[n] = t
	}
	w["t.w.unembed"] = w["t.w.tok_embeds"]
	return NewModel(cfg, w)
}
