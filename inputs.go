package circopt

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// distinctInputs gives every free Symbol its own program input. Lowering
// names an input by the Symbol's name (its uuid when unnamed), so Symbols
// that share a name but not a uuid are renamed "name#uuid" first; inputOf
// maps each original Symbol (by hash) to its input's name.
func distinctInputs(cs []circuit.Circuit, free []*circuit.Symbol) ([]circuit.Circuit, map[circuit.Hash]string, error) {
	key := func(s *circuit.Symbol) string {
		if s.Name() != "" {
			return s.Name()
		}
		return s.UUID
	}
	claims := map[string]map[circuit.Hash]bool{}
	for _, s := range free {
		if claims[key(s)] == nil {
			claims[key(s)] = map[circuit.Hash]bool{}
		}
		claims[key(s)][s.Hash()] = true
	}
	inputOf := make(map[circuit.Hash]string, len(free))
	repl := map[circuit.Hash]circuit.Circuit{}
	for _, s := range free {
		name := key(s)
		if len(claims[name]) > 1 {
			name = s.Name() + "#" + s.UUID
			repl[s.Hash()] = s.Rename(name)
		}
		inputOf[s.Hash()] = name
	}
	if len(repl) == 0 {
		return cs, inputOf, nil
	}
	out := make([]circuit.Circuit, len(cs))
	for i, c := range cs {
		r, err := circuit.ReplaceExpand(c, repl)
		if err != nil {
			return nil, nil, fmt.Errorf("renaming Symbols that share a name: %w", err)
		}
		out[i] = r
	}
	return out, inputOf, nil
}

// inputs turns bindings keyed by Symbol name or uuid (circuit.ResolveBindings'
// rule, the naive evaluator's) into the program's inputs. Keys that match no
// free Symbol are ignored, as circuit.Evaluate ignores them.
func (p *Plan) inputs(bindings map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	bound, err := circuit.ResolveBindings(p.free, bindings)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	if len(bound.Unbound) > 0 {
		return nil, fmt.Errorf("run: %w", circuit.UnboundError(bound.Unbound))
	}
	in := make(map[string]*tensor.Tensor, len(bound.Values))
	for h, t := range bound.Values {
		in[p.inputOf[h]] = t
	}
	return in, nil
}
