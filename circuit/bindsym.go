package circuit

import (
	"fmt"

	"github.com/circopt/circopt/tensor"
)

// BindSymbolic binds the free Symbols of each root that have symbolic sizes
// and a value in vals (keyed by name, else uuid) the way rust_circuit's
// module_new_bind does: the root becomes a Module of the same name whose
// spec is the root (a Module root: its substituted body) and whose
// arguments are those values as Arrays, so the sizes they fix (a sequence
// length, say) are resolved throughout. It returns the new roots and the
// keys of vals it used.
func BindSymbolic(roots []Circuit, vals map[string]*tensor.Tensor) ([]Circuit, map[string]bool, error) {
	used := map[string]bool{}
	out := make([]Circuit, len(roots))
	for i, r := range roots {
		var specs []ModuleArgSpec
		var args []Circuit
		// a Module's free Symbols carry the sizes its arguments fixed only
		// in its substituted form, so that is what gets bound
		body := r
		for {
			m, ok := body.(*Module)
			if !ok {
				break
			}
			body = m.Substitute()
		}
		for _, s := range FreeSymbols(body) {
			if !HasSymbolic(s.Shape()) {
				continue
			}
			key := s.Name()
			v, ok := vals[key]
			if !ok || key == "" {
				key = s.UUID
				v, ok = vals[key]
			}
			if !ok {
				continue
			}
			a, err := NewArray(v, s.Name()+"_inp")
			if err != nil {
				return nil, nil, fmt.Errorf("binding %s: %w", Label(s), err)
			}
			used[key] = true
			specs = append(specs, DefaultArgSpec(s))
			args = append(args, a)
		}
		out[i] = r
		if len(args) == 0 {
			continue
		}
		m, err := NewModule(r.Name(), body, specs, args...)
		if err != nil {
			return nil, nil, err
		}
		out[i] = m
	}
	return out, used, nil
}
