package transformer

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/modlib"
	"github.com/circopt/circopt/tensor"
)

// ModuleName is the name of the model circuit: the module library's
// t.logits called with the weights as Arrays.
const ModuleName = "t.bind_w"

// embedNames are the weights outside the Module, as rust_circuit prints them:
// the library starts from the residual stream, so it does not use them.
var embedNames = []string{"t.w.tok_embeds", "t.w.pos_embeds"}

// Info is the `# info:` header of a GPT-2 model in rust_circuit's schema:
// pre-norm blocks with attention and MLP biases, gelu_new MLPs (GPT-2's
// tanh approximation), a final layer norm, learned GPT positions and a
// causal mask.
func (c Config) Info() modlib.TransformerInfo {
	ln, pos, causal := "ln", "gpt", true
	return modlib.TransformerInfo{
		Params: modlib.TransformerParams{
			BlockParams: modlib.BlockParams{NormType: &ln, AttnBias: true, UseMLP: true, MLPActType: "gelu_new", MLPOutputBias: true},
			NumLayers:   c.Layers, UseNormOutput: true,
		},
		ModelClass: "GPT", PosEncType: &pos, CausalMask: &causal,
	}
}

// Dump is the model file: the `# info:` header, the embeddings and Module
// 't.bind_w' in rust_circuit's layout (modlib.DumpModelString). Store the
// weights (StoreArrays) for its hashes to resolve.
func (m *Model) Dump() (string, error) {
	return modlib.DumpModelStringHashed(m.Config.Info(), m.Weights, m.ContentHashes())
}

// Loaded is a model file read through the module library.
type Loaded struct {
	Info modlib.TransformerInfo
	// Model is Module 't.bind_w'; its free Symbols are the inputs
	// (t.input, a.mask and, for shortformer models, a.pos_input).
	Model                *circuit.Module
	TokEmbeds, PosEmbeds circuit.Circuit
}

// Load reads a model file with an `# info:` header (LoadModelString: the
// header builds the module library the file refers to).
func Load(text string, opts circuit.ParseOptions) (*Loaded, error) {
	info, cs, err := modlib.LoadModelString(text, opts)
	if err != nil {
		return nil, err
	}
	return fromCircuits(info, cs)
}

// FromParsed is the Loaded model of a model file's text and the circuits
// parsed from it (with modlib.LoadModelString).
func FromParsed(text string, cs []circuit.Circuit) (*Loaded, error) {
	for _, line := range strings.Split(text, "\n") {
		if js, ok := strings.CutPrefix(strings.TrimSpace(line), "# info:"); ok {
			info, err := modlib.ParseInfo(js)
			if err != nil {
				return nil, err
			}
			return fromCircuits(info, cs)
		}
	}
	return nil, fmt.Errorf("no `# info:` line: not a model file (write one with circopt import)")
}

func fromCircuits(info modlib.TransformerInfo, cs []circuit.Circuit) (*Loaded, error) {
	l := &Loaded{Info: info}
	for _, c := range cs {
		switch c.Name() {
		case ModuleName:
			m, ok := c.(*circuit.Module)
			if !ok {
				return nil, fmt.Errorf("'%s' is a %v, want a Module", ModuleName, c.Kind())
			}
			l.Model = m
		case "t.w.tok_embeds":
			l.TokEmbeds = c
		case "t.w.pos_embeds":
			l.PosEmbeds = c
		}
	}
	switch {
	case l.Model == nil:
		return nil, fmt.Errorf("no Module named '%s' (write one with circopt import)", ModuleName)
	case l.TokEmbeds == nil || l.TokEmbeds.Rank() != 2:
		return nil, fmt.Errorf("no [vocab, hidden] circuit named 't.w.tok_embeds'")
	case l.PosEmbeds == nil || l.PosEmbeds.Rank() != 2:
		return nil, fmt.Errorf("no [positions, hidden] circuit named 't.w.pos_embeds'")
	}
	return l, nil
}

// Loaded is the model's module library circuit, built once (on the
// weights' ContentHashes), so every bind of the model shares it.
func (m *Model) Loaded() (*Loaded, error) {
	if m.loaded != nil {
		return m.loaded, nil
	}
	info := m.Config.Info()
	lib, err := modlib.Build(info.Params)
	if err != nil {
		return nil, err
	}
	var specs []circuit.ModuleArgSpec
	var args []circuit.Circuit
	arrays := map[string]circuit.Circuit{}
	hashes := m.ContentHashes()
	for _, n := range sortedNames(m.Weights) {
		a, err := circuit.NewArrayHashed(m.Weights[n], hashes[n], n+"_arr")
		if err != nil {
			return nil, err
		}
		if slices.Contains(embedNames, n) {
			arrays[n] = a.Rename(n)
			continue
		}
		s, ok := lib.Circs[n].(*circuit.Symbol)
		if !ok {
			return nil, fmt.Errorf("module library: weight %q is not a Symbol", n)
		}
		specs = append(specs, circuit.DefaultArgSpec(s))
		args = append(args, a)
	}
	mod, err := circuit.NewModule(ModuleName, lib.Root, specs, args...)
	if err != nil {
		return nil, err
	}
	m.loaded = &Loaded{Info: info, Model: mod, TokEmbeds: arrays["t.w.tok_embeds"], PosEmbeds: arrays["t.w.pos_embeds"]}
	return m.loaded, nil
}

var layerWeight = regexp.MustCompile(`^a(\d+)\.w\.q$`)

// FromCircuits reads a GPT-2 Model back from a loaded model file: each
// argument of 't.bind_w' must be an Array bound to a weight Symbol. eps is
// the layer norm epsilon (see ParseInfoHeader).
func FromCircuits(cs []circuit.Circuit, eps float64) (*Model, error) {
	l, err := fromCircuits(modlib.TransformerInfo{}, cs)
	if err != nil {
		return nil, err
	}
	ws := map[string]*circuit.Array{}
	for n, c := range map[string]circuit.Circuit{"t.w.tok_embeds": l.TokEmbeds, "t.w.pos_embeds": l.PosEmbeds} {
		a, ok := c.(*circuit.Array)
		if !ok {
			return nil, fmt.Errorf("'%s' is a %v, want an Array", n, c.Kind())
		}
		ws[n] = a
	}
	mod := l.Model
	args := mod.Args()
	for i, s := range mod.ArgSpecs {
		a, ok := args[i].(*circuit.Array)
		if !ok {
			return nil, fmt.Errorf("'%s': argument %s for weight %s is a %v, want an Array", ModuleName, circuit.Label(args[i]), circuit.Label(s.Symbol), args[i].Kind())
		}
		ws[s.Symbol.Name()] = a
	}
	cfg := Config{LNEps: eps}
	for n := range ws {
		if layerWeight.MatchString(n) {
			cfg.Layers++
		}
	}
	q, tok, pos := ws["a0.w.q"], ws["t.w.tok_embeds"], ws["t.w.pos_embeds"]
	if q == nil || q.Rank() != 3 {
		return nil, fmt.Errorf("'%s': weight 'a0.w.q' is missing or not [heads, head_dim, hidden]", ModuleName)
	}
	cfg.Heads, cfg.Hidden = q.Shape()[0], q.Shape()[2]
	cfg.Vocab, cfg.Ctx = tok.Shape()[0], pos.Shape()[0]
	weights := make(map[string]*tensor.Tensor, len(ws))
	for n, a := range ws {
		t, err := a.Tensor() // a model needs its weights' values
		if err != nil {
			return nil, err
		}
		weights[n] = t
	}
	return NewModel(cfg, weights)
}
