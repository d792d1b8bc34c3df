package modlib

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// BindInputs binds a model's inputs (t.input, a.mask, a.pos_input, …) by
// name, as rust_circuit's module_new_bind does, fixing the sequence length.
// Every key of inputs must name a free Symbol of c with a symbolic size.
func BindInputs(c circuit.Circuit, inputs map[string]*tensor.Tensor) (circuit.Circuit, error) {
	cs, used, err := circuit.BindSymbolic([]circuit.Circuit{c}, inputs)
	if err != nil {
		return nil, err
	}
	for k := range inputs {
		if !used[k] {
			return nil, fmt.Errorf("%s: no free Symbol %q with a symbolic size to bind", circuit.Label(c), k)
		}
	}
	return cs[0], nil
}
