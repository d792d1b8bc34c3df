package acdc

import (
	"fmt"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// Patterns are every head's attention probabilities on the clean tokens
// ids, by head name ('a1.h3'), each [seq, seq] row-major (query, key):
// what identifies previous-token and induction heads. They come from the
// forward pass ACDC patches, with every position queried.
func Patterns(m *Model, ids *tensor.Tensor) (map[string][]float64, error) {
	d, err := New(m, Options{Metric: KL, DType: tensor.Float64})
	if err != nil {
		return nil, err
	}
	toks, err := checkTokens(m.Config, "clean", ids)
	if err != nil {
		return nil, err
	}
	seq := len(toks)
	f := &forward{cfg: m.Config, headDim: m.HeadDim, arch: m.Arch, layout: d.layout, w: d.w, seq: seq, allQueries: true}
	if f.mask, err = mask(seq, m.Arch.Causal); err != nil {
		return nil, err
	}
	gr, err := NewGraph(d.layout)
	if err != nil {
		return nil, err
	}
	et, err := tensor.FromFloat64([]int{seq, m.Config.Hidden}, d.embed(toks))
	if err != nil {
		return nil, err
	}
	emb, err := circuit.NewArray(et, Embed)
	if err != nil {
		return nil, err
	}
	out := f.run(gr, map[string]circuit.Circuit{Embed: emb}, f.whole())
	if f.err != nil {
		return nil, f.err
	}
	want := map[string]string{} // probs node name -> head
	for l := range m.Config.Layers {
		for h := range m.Config.Heads {
			want[headName(l, h)+".probs"] = headName(l, h)
		}
	}
	var names []string
	var probs []circuit.Circuit
	circuit.Walk([]circuit.Circuit{out[Logits]}, func(c circuit.Circuit) {
		if h, ok := want[c.Name()]; ok {
			names, probs = append(names, h), append(probs, c)
			delete(want, c.Name())
		}
	})
	if len(want) > 0 {
		return nil, fmt.Errorf("acdc: %d heads' attention probabilities not found", len(want))
	}
	ts, err := circopt.EvaluateMany(probs, nil, circopt.Options{DType: tensor.Float64})
	if err != nil {
		return nil, err
	}
	res := make(map[string][]float64, len(names))
	for i, n := range names {
		res[n] = ts[i].Float64s()
	}
	return res, nil
}
