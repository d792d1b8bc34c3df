package transformer

import (
	"crypto/sha256"
	"fmt"
	"regexp"
	"slices"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// ModuleName is the name of the printed model: the forward pass over
// weight symbols, called with the weight arrays.
const ModuleName = "t.bind_w"

// symbolUUID derives a stable uuid from a weight name, so importing the
// same model twice prints the same text.
func symbolUUID(name string) string {
	h := sha256.Sum256([]byte("circopt/transformer/" + name))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// embedNames are the weights outside the Module, as rust_circuit prints them:
// the spec starts from the residual stream, so it does not use them.
var embedNames = []string{"t.w.tok_embeds", "t.w.pos_embeds"}

// Circuits is the model in rust_circuit's layout: the embeddings as
// top-level Arrays, then Module 't.bind_w' whose spec 't.logits' runs on
// weight symbols ('a0.w.q', ...) and a free input symbol 't.input' [n_ctx,
// hidden], called with arrays named '<weight>_arr'.
func (m *Model) Circuits() ([]circuit.Circuit, error) {
	var out []circuit.Circuit
	for _, n := range embedNames {
		a, err := circuit.NewArray(m.Weights[n], n)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	var names []string
	for _, n := range m.weightNames() {
		if !slices.Contains(embedNames, n) {
			names = append(names, n)
		}
	}
	syms := make(map[string]circuit.Circuit, len(names))
	specs := make([]circuit.ModuleArgSpec, len(names))
	args := make([]circuit.Circuit, len(names))
	for i, n := range names {
		s, err := circuit.NewSymbol(m.Weights[n].Shape(), symbolUUID(n), n)
		if err != nil {
			return nil, err
		}
		a, err := circuit.NewArray(m.Weights[n], n+"_arr")
		if err != nil {
			return nil, err
		}
		syms[n], specs[i], args[i] = s, circuit.DefaultArgSpec(s), a
	}
	input, err := circuit.NewSymbol([]int{m.Config.Ctx, m.Config.Hidden}, symbolUUID("t.input"), "t.input")
	if err != nil {
		return nil, err
	}
	logits, err := Build(m.Config, syms, input, BuildOptions{})
	if err != nil {
		return nil, err
	}
	mod, err := circuit.NewModule(ModuleName, logits, specs, args...)
	if err != nil {
		return nil, err
	}
	return append(out, mod), nil
}

var layerWeight = regexp.MustCompile(`^a(\d+)\.w\.q$`)

// FromCircuits finds Module 't.bind_w' among parsed circuits and reads the
// model back from its arguments: each must be an Array bound to a weight
// symbol. eps is the layer norm epsilon (see ParseInfoHeader).
func FromCircuits(cs []circuit.Circuit, eps float64) (*Model, error) {
	var mod *circuit.Module
	ws := map[string]*circuit.Array{}
	for _, c := range cs {
		switch c := c.(type) {
		case *circuit.Module:
			if c.Name() == ModuleName {
				mod = c
			}
		case *circuit.Array:
			if slices.Contains(embedNames, c.Name()) {
				ws[c.Name()] = c
			}
		}
	}
	if mod == nil {
		return nil, fmt.Errorf("no Module named '%s' (write one with circopt import)", ModuleName)
	}
	args := mod.Children()[1:]
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
	switch {
	case q == nil || q.Rank() != 3:
		return nil, fmt.Errorf("'%s': weight 'a0.w.q' is missing or not [heads, head_dim, hidden]", ModuleName)
	case tok == nil || tok.Rank() != 2:
		return nil, fmt.Errorf("'%s': weight 't.w.tok_embeds' is missing or not [vocab, hidden]", ModuleName)
	case pos == nil || pos.Rank() != 2:
		return nil, fmt.Errorf("'%s': weight 't.w.pos_embeds' is missing or not [positions, hidden]", ModuleName)
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
	m, err := NewModel(cfg, weights)
	if err != nil {
		return nil, fmt.Errorf("'%s': %w", ModuleName, err)
	}
	// the parsed arrays already carry their hashes: renaming keeps them
	m.leaves = make(map[string]circuit.Circuit, len(ws))
	for n, a := range ws {
		m.leaves[n] = a.Rename(n)
	}
	return m, nil
}
