package remix

import (
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/modlib"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// Day3Model is the trained 2-layer attention-only model of REMIX day 3
// (attention_only_2's layout, scaled down): its weights under rust_circuit's
// names and the model file's header.
type Day3Model struct {
	Info    modlib.TransformerInfo
	Weights map[string]*tensor.Tensor
	// Bind is the file's 't.bind_w': the logits as a function of t.input,
	// a.mask and a.pos_input.
	Bind circuit.Circuit
}

// Hidden, Vocab, Heads and HeadDim read the model's sizes off its weights.
func (m *Day3Model) Hidden() int  { return m.Weights["t.w.tok_embeds"].Dim(1) }
func (m *Day3Model) Vocab() int   { return m.Weights["t.w.tok_embeds"].Dim(0) }
func (m *Day3Model) Heads() int   { return m.Weights["a0.w.q"].Dim(0) }
func (m *Day3Model) HeadDim() int { return m.Weights["a0.w.q"].Dim(1) }

// LoadDay3Model reads a model file written by modlib.DumpModelString whose
// tensors are in the store storeDir, through modlib's loader.
func LoadDay3Model(path, storeDir string) (*Day3Model, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	st, err := weights.OpenStore(storeDir)
	if err != nil {
		return nil, err
	}
	info, cs, err := modlib.LoadModelString(string(text), circuit.ParseOptions{File: path, Store: st})
	if err != nil {
		return nil, err
	}
	m := &Day3Model{Info: info, Weights: map[string]*tensor.Tensor{}}
	circuit.Walk(cs, func(c circuit.Circuit) {
		a, ok := c.(*circuit.Array)
		if !ok {
			return
		}
		switch n := a.Name(); {
		case n == "t.w.tok_embeds" || n == "t.w.pos_embeds":
			m.Weights[n] = a.Value
		case strings.HasSuffix(n, "_arr"):
			m.Weights[strings.TrimSuffix(n, "_arr")] = a.Value
		}
	})
	for _, c := range cs {
		if c.Name() == "t.bind_w" {
			m.Bind = c
		}
	}
	if m.Bind == nil {
		return nil, fmt.Errorf("%s: no 't.bind_w' Module", path)
	}
	want := append([]string{"t.w.tok_embeds", "t.w.pos_embeds"}, modlib.ModelWeightNames(info.Params)...)
	for _, n := range want {
		if m.Weights[n] == nil {
			return nil, fmt.Errorf("%s: no weight %q", path, n)
		}
	}
	if info.Params.NumLayers != 2 || info.Params.BlockParams.UseMLP || !info.Params.BlockParams.AttnPos {
		return nil, fmt.Errorf("%s: not a 2-layer attention-only shortformer model", path)
	}
	return m, nil
}

// causalOnes is the [n, n] a.mask with ones on and below the diagonal.
func causalOnes(n int) *tensor.Tensor {
	m := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			m[i*n+j] = 1
		}
	}
	t, _ := tensor.FromFloat64([]int{n, n}, m)
	return t
}

// Logits evaluates the model file's own circuit (t.bind_w) on token ids,
// binding t.input, a.mask and a.pos_input as rust_circuit's day 3 does.
func (m *Day3Model) Logits(toks []int64, dt tensor.DType) (*tensor.Tensor, error) {
	n := len(toks)
	if n > m.Weights["t.w.pos_embeds"].Dim(0) {
		return nil, fmt.Errorf("%d tokens: longer than the %d positions", n, m.Weights["t.w.pos_embeds"].Dim(0))
	}
	for i, t := range toks {
		if t < 0 || int(t) >= m.Vocab() {
			return nil, fmt.Errorf("token %d at position %d is outside the vocabulary of %d", t, i, m.Vocab())
		}
	}
	emb, err := tensor.Gather(m.Weights["t.w.tok_embeds"], 0, toks)
	if err != nil {
		return nil, err
	}
	pos, err := tensor.Gather(m.Weights["t.w.pos_embeds"], 0, iota64(n))
	if err != nil {
		return nil, err
	}
	call, err := modlib.BindInputs(m.Bind, map[string]*tensor.Tensor{"t.input": emb, "a.mask": causalOnes(n), "a.pos_input": pos})
	if err != nil {
		return nil, err
	}
	return circuit.Evaluate(call, circuit.EvalOptions{DType: dt})
}

func iota64(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i)
	}
	return out
}

// scaleRecip is 1/sqrt(d), the attention's score scale.
func scaleRecip(d int) float64 { return 1 / math.Sqrt(float64(d)) }
