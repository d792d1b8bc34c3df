package remix

import (
	"fmt"
	"os"
	"strings"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/modlib"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// ParenModel is a paren balancer model file loaded through modlib.
type ParenModel struct {
	Info modlib.TransformerInfo
	// Circuits are the file's top-level circuits; the last is 't.bind_w'.
	Circuits []circuit.Circuit
	// Weights by rust_circuit name ('a0.w.q', 't.w.tok_embeds', …).
	Weights map[string]*tensor.Tensor
}

// LoadParenModel reads a model file in rust_circuit's layout whose Arrays
// resolve through the tensor store in storeDir.
func LoadParenModel(path, storeDir string) (*ParenModel, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	st, err := weights.OpenStore(storeDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ParseParenModel(string(src), circuit.ParseOptions{File: path, Store: st})
}

// ParseParenModel parses model file text (see LoadParenModel).
func ParseParenModel(src string, opts circuit.ParseOptions) (*ParenModel, error) {
	info, cs, err := modlib.LoadModelString(src, opts)
	if err != nil {
		return nil, err
	}
	m := &ParenModel{Info: info, Circuits: cs, Weights: map[string]*tensor.Tensor{}}
	// 't.bind_w' binds '<name>_arr' Arrays; the embeddings are top level
	circuit.Walk(cs, func(c circuit.Circuit) {
		a, ok := c.(*circuit.Array)
		if !ok {
			return
		}
		if name, ok := strings.CutSuffix(a.Name(), "_arr"); ok {
			m.Weights[name] = a.Value
		} else if a.Name() == "t.w.tok_embeds" || a.Name() == "t.w.pos_embeds" {
			m.Weights[a.Name()] = a.Value
		}
	})
	if err := checkParenWeights(m.Weights); err != nil {
		return nil, fmt.Errorf("%s: %w", opts.File, err)
	}
	return m, nil
}

// ParenTokenize is the day's tokenizer: [BEGIN], one token per paren,
// [END], then [PAD] up to 42 tokens. Anything but '(' and ')' is an error.
func ParenTokenize(s string) ([]int, error) {
	if len(s) > ParenSeq-2 {
		return nil, fmt.Errorf("paren string %q: %d parens, at most %d", s, len(s), ParenSeq-2)
	}
	toks := make([]int, ParenSeq)
	for i := range toks {
		toks[i] = ParenPad
	}
	toks[0] = ParenStart
	for i, c := range s {
		switch c {
		case '(':
			toks[i+1] = ParenOpen
		case ')':
			toks[i+1] = ParenClose
		default:
			return nil, fmt.Errorf("paren string %q: %q at %d is not a paren", s, c, i)
		}
	}
	toks[len(s)+1] = ParenEnd
	return toks, nil
}

// ParenOneHot is tokens [42] one-hot as [42,5] float32.
func ParenOneHot(toks []int) *tensor.Tensor {
	v := make([]float32, ParenSeq*ParenVocab)
	for i, t := range toks {
		v[i*ParenVocab+t] = 1
	}
	t, _ := tensor.FromFloat32([]int{ParenSeq, ParenVocab}, v)
	return t
}

// Logits runs the model file's own circuit (modlib's library, as
// rust_circuit binds it: t.input the token plus position embeddings, a.mask
// 1 on non-[PAD] keys) on toks and returns the logits [2] at position 0.
func (m *ParenModel) Logits(toks []int, dt tensor.DType) ([]float64, error) {
	tok, pos := m.Weights["t.w.tok_embeds"].Float64s(), m.Weights["t.w.pos_embeds"].Float64s()
	x := make([]float64, ParenSeq*ParenHidden)
	for s, t := range toks {
		for h := 0; h < ParenHidden; h++ {
			x[s*ParenHidden+h] = tok[t*ParenHidden+h] + pos[s*ParenHidden+h]
		}
	}
	mask := make([]float64, ParenSeq*ParenSeq)
	for q := 0; q < ParenSeq; q++ {
		for k, t := range toks {
			if t != ParenPad {
				mask[q*ParenSeq+k] = 1
			}
		}
	}
	xt, err := tensor.FromFloat64([]int{ParenSeq, ParenHidden}, x)
	if err != nil {
		return nil, err
	}
	mt, err := tensor.FromFloat64([]int{ParenSeq, ParenSeq}, mask)
	if err != nil {
		return nil, err
	}
	call, err := modlib.BindInputs(m.Circuits[len(m.Circuits)-1], map[string]*tensor.Tensor{"t.input": xt, "a.mask": mt})
	if err != nil {
		return nil, err
	}
	v, err := circuit.Evaluate(call, circuit.EvalOptions{DType: dt})
	if err != nil {
		return nil, err
	}
	return v.Float64s()[:2], nil
}

// ParenBatchLogits evaluates BuildParen's Logits (compiled) on a batch of
// one-hot token sequences [B,42,5] and returns the logits [B,2] flat.
func ParenBatchLogits(logits circuit.Circuit, onehot *tensor.Tensor, dt tensor.DType) ([]float64, error) {
	if onehot.Rank() != 3 || onehot.Dim(1) != ParenSeq || onehot.Dim(2) != ParenVocab {
		return nil, fmt.Errorf("paren tokens: shape %v, want [B %d %d]", onehot.Shape(), ParenSeq, ParenVocab)
	}
	var sym *circuit.Symbol
	for _, s := range circuit.FreeSymbols(logits) {
		if s.Name() == ParenTokens {
			sym = s
		}
	}
	if sym == nil {
		return nil, fmt.Errorf("%s: no free Symbol %q", circuit.Label(logits), ParenTokens)
	}
	batched, err := circuit.NewSymbol(onehot.Shape(), sym.UUID, ParenTokens)
	if err != nil {
		return nil, err
	}
	c, err := circuit.ReplaceExpand(logits, map[circuit.Hash]circuit.Circuit{sym.Hash(): batched})
	if err != nil {
		return nil, err
	}
	v, err := circopt.Evaluate(c, map[string]*tensor.Tensor{ParenTokens: onehot}, circopt.Options{DType: dt})
	if err != nil {
		return nil, err
	}
	return v.Float64s(), nil
}
