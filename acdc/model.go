package acdc

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/modlib"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/transformer"
	"github.com/circopt/circopt/weights"
)

// Arch is what of a model's architecture ACDC's forward pass needs beyond
// its sizes: the module library's parameters it supports.
type Arch struct {
	// Shortformer adds the positional embeddings to every layer's query and
	// key inputs (after the layer norm) instead of to the token embeddings
	// (pos_enc_type "shortformer"; "gpt" otherwise).
	Shortformer bool
	// MLP is one MLP per layer after its attention, with activation MLPAct.
	MLP    bool
	MLPAct string
	// AttnBias and MLPOutputBias are the q/k/v/o and MLP output biases;
	// OutputBias is 't.w.unembed_bias'.
	AttnBias, MLPOutputBias, OutputBias bool
	// FinalNorm is the layer norm before the unembedding.
	FinalNorm bool
	// Causal is the causal mask (every position attends to all otherwise).
	Causal bool
}

// gpt2 is GPT-2's architecture (transformer.Config.Info).
var gpt2 = Arch{MLP: true, MLPAct: "gelu_new", AttnBias: true, MLPOutputBias: true, FinalNorm: true, Causal: true}

// Model is a transformer ACDC runs on: its sizes, its weights under
// rust_circuit's names ('a0.w.q' [heads, head_dim, hidden], ...) and its
// architecture.
type Model struct {
	// Config holds the sizes; its Hidden/Heads need not be HeadDim.
	Config  transformer.Config
	HeadDim int
	Arch    Arch
	Weights map[string]*tensor.Tensor
}

// FromTransformer is a GPT-2 model of package transformer.
func FromTransformer(m *transformer.Model) *Model {
	return &Model{Config: m.Config, HeadDim: m.Config.HeadDim(), Arch: gpt2, Weights: m.Weights}
}

// archOf reads an `# info:` header; what the forward pass cannot run is
// an error naming the field.
func archOf(info modlib.TransformerInfo) (Arch, error) {
	p, bp := info.Params, info.Params.BlockParams
	a := Arch{MLP: bp.UseMLP, MLPAct: bp.MLPActType, AttnBias: bp.AttnBias, MLPOutputBias: bp.MLPOutputBias,
		OutputBias: p.OutputBias, FinalNorm: p.UseNormOutput, Causal: info.CausalMask == nil || *info.CausalMask}
	switch pos := info.PosEncType; {
	case pos == nil || *pos == "gpt":
	case *pos == "shortformer":
		a.Shortformer = true
	default:
		return Arch{}, fmt.Errorf("# info: pos_enc_type %q is not gpt or shortformer", *pos)
	}
	if bp.NormType == nil || *bp.NormType != "ln" {
		return Arch{}, fmt.Errorf("# info: acdc runs layer-norm models only (norm_type \"ln\")")
	}
	if a.MLP && !slices.Contains([]string{"gelu", "gelu_new", "relu"}, a.MLPAct) {
		return Arch{}, fmt.Errorf("# info: acdc runs gelu, gelu_new or relu MLPs, not %q", a.MLPAct)
	}
	return a, nil
}

var layerQ = regexp.MustCompile(`^a(\d+)\.w\.q$`)

// FromLoaded reads a model file loaded by package transformer (any
// `# info:` header archOf accepts): each argument of 't.bind_w' must be an
// Array bound to a weight Symbol. eps is the layer norm epsilon
// (transformer.ParseInfoHeader).
func FromLoaded(l *transformer.Loaded, eps float64) (*Model, error) {
	a, err := archOf(l.Info)
	if err != nil {
		return nil, err
	}
	ws := map[string]*tensor.Tensor{}
	add := func(name string, c circuit.Circuit) error {
		arr, ok := c.(*circuit.Array)
		if !ok {
			return fmt.Errorf("weight %s is a %v, want an Array", name, c.Kind())
		}
		t, err := arr.Tensor()
		if err != nil {
			return fmt.Errorf("weight %s: %w", name, err)
		}
		ws[name] = t
		return nil
	}
	if err := add("t.w.tok_embeds", l.TokEmbeds); err != nil {
		return nil, err
	}
	if err := add("t.w.pos_embeds", l.PosEmbeds); err != nil {
		return nil, err
	}
	args := l.Model.Args()
	for i, s := range l.Model.ArgSpecs {
		if err := add(s.Symbol.Name(), args[i]); err != nil {
			return nil, err
		}
	}
	return NewModel(a, eps, ws)
}

// LoadFile reads a model file with an `# info:` header whose tensors are
// in the store storeDir (such as examples/day3/model.circ and its store).
func LoadFile(path, storeDir string) (*Model, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	st, err := weights.OpenStore(storeDir)
	if err != nil {
		return nil, err
	}
	l, err := transformer.Load(string(text), circuit.ParseOptions{File: path, Store: st})
	if err != nil {
		return nil, err
	}
	eps, err := transformer.ParseInfoHeader(string(text))
	if err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	m, err := FromLoaded(l, eps)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// NewModel reads the sizes off the weights and checks that they are the
// ones arch needs, with consistent shapes.
func NewModel(arch Arch, eps float64, ws map[string]*tensor.Tensor) (*Model, error) {
	cfg := transformer.Config{LNEps: eps}
	for n := range ws {
		if layerQ.MatchString(n) {
			cfg.Layers++
		}
	}
	q, tok, pos := ws["a0.w.q"], ws["t.w.tok_embeds"], ws["t.w.pos_embeds"]
	switch {
	case q == nil || q.Rank() != 3:
		return nil, fmt.Errorf("weight a0.w.q is missing or not [heads, head_dim, hidden]")
	case tok == nil || tok.Rank() != 2 || pos == nil || pos.Rank() != 2:
		return nil, fmt.Errorf("weights t.w.tok_embeds and t.w.pos_embeds must be [vocab, hidden] and [positions, hidden]")
	}
	m := &Model{Config: cfg, HeadDim: q.Dim(1), Arch: arch, Weights: ws}
	m.Config.Heads, m.Config.Hidden = q.Dim(0), q.Dim(2)
	m.Config.Vocab, m.Config.Ctx = tok.Dim(0), pos.Dim(0)
	want := m.shapes()
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names) // the first bad weight in name order: errors are stable
	for _, n := range names {
		if err := checkWeight(n, ws[n], want[n]); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// shapes lists every weight the forward pass reads.
func (m *Model) shapes() map[string][]int {
	c, a := m.Config, m.Arch
	d, h, hd := c.Hidden, c.Heads, m.HeadDim
	mh := 4 * d // the MLP's width: GPT-2's, unless the weights say otherwise
	if w := m.Weights["m0.w.proj_in"]; w != nil && w.Rank() == 2 {
		mh = w.Dim(0)
	}
	s := map[string][]int{"t.w.tok_embeds": {c.Vocab, d}, "t.w.pos_embeds": {c.Ctx, d}, "t.w.unembed": {c.Vocab, d}}
	if a.FinalNorm {
		s["final.ln.w.scale"], s["final.ln.w.bias"] = []int{d}, []int{d}
	}
	if a.OutputBias {
		s["t.w.unembed_bias"] = []int{c.Vocab}
	}
	for l := range c.Layers {
		p, mp := fmt.Sprintf("a%d.", l), fmt.Sprintf("m%d.", l)
		s[p+"ln.w.scale"], s[p+"ln.w.bias"] = []int{d}, []int{d}
		s[p+"w.q"], s[p+"w.k"], s[p+"w.v"], s[p+"w.o"] = []int{h, hd, d}, []int{h, hd, d}, []int{h, hd, d}, []int{h, d, hd}
		if a.AttnBias {
			s[p+"w.q_bias"], s[p+"w.k_bias"], s[p+"w.v_bias"], s[p+"w.o_bias"] = []int{h, hd}, []int{h, hd}, []int{h, hd}, []int{d}
		}
		if a.MLP {
			s[mp+"ln.w.scale"], s[mp+"ln.w.bias"] = []int{d}, []int{d}
			s[mp+"w.proj_in"], s[mp+"w.in_bias"], s[mp+"w.proj_out"] = []int{mh, d}, []int{mh}, []int{d, mh}
			if a.MLPOutputBias {
				s[mp+"w.out_bias"] = []int{d}
			}
		}
	}
	return s
}

// checkWeight refuses a missing weight, a wrong shape or a non-float dtype.
func checkWeight(name string, t *tensor.Tensor, shape []int) error {
	switch {
	case t == nil:
		return fmt.Errorf("weight %q is missing", name)
	case !slices.Equal(t.Shape(), shape):
		return fmt.Errorf("weight %q has shape %v, want %v", name, t.Shape(), shape)
	case t.DType() != tensor.Float32 && t.DType() != tensor.Float64:
		return fmt.Errorf("weight %q has dtype %v, want a float", name, t.DType())
	}
	return nil
}
