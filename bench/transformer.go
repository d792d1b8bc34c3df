package bench

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"

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

// WriteGPT2SafeTensors writes a random Hugging Face GPT-2 state dict of cfg
// (float32, std 0.02, as ImportGPT2 reads it) to path, and config.json with
// n_head beside it.
func WriteGPT2SafeTensors(path string, cfg transformer.Config, seed uint64) error {
	d := cfg.Hidden
	shapes := map[string][]int{"wte.weight": {cfg.Vocab, d}, "wpe.weight": {cfg.Ctx, d}, "ln_f.weight": {d}, "ln_f.bias": {d}}
	for l := 0; l < cfg.Layers; l++ {
		p := fmt.Sprintf("h.%d.", l)
		for k, s := range map[string][]int{
			"ln_1.weight": {d}, "ln_1.bias": {d}, "ln_2.weight": {d}, "ln_2.bias": {d},
			"attn.c_attn.weight": {d, 3 * d}, "attn.c_attn.bias": {3 * d},
			"attn.c_proj.weight": {d, d}, "attn.c_proj.bias": {d},
			"mlp.c_fc.weight": {d, 4 * d}, "mlp.c_fc.bias": {4 * d},
			"mlp.c_proj.weight": {4 * d, d}, "mlp.c_proj.bias": {d},
		} {
			shapes[p+k] = s
		}
	}
	names := slices.Sorted(maps.Keys(shapes))
	header := map[string]any{}
	var off int
	for _, n := range names {
		size := 4
		for _, x := range shapes[n] {
			size *= x
		}
		header[n] = map[string]any{"dtype": "F32", "shape": shapes[n], "data_offsets": []int{off, off + size}}
		off += size
	}
	hj, err := json.Marshal(header)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	w.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(hj))))
	w.Write(hj)
	for i, n := range names {
		t, err := tensor.RandN(tensor.Float32, shapes[n], seed+uint64(i))
		if err != nil {
			f.Close()
			return err
		}
		vals := t.Float32s()
		buf := make([]byte, 4*len(vals))
		for j, v := range vals {
			binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(v*0.02))
		}
		w.Write(buf) // a write error sticks and Flush reports it
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(filepath.Dir(path), "config.json"), fmt.Appendf(nil, `{"n_head": %d}`, cfg.Heads), 0o644)
}
