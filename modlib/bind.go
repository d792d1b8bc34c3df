package modlib

import (
	"fmt"
	"sort"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// BindInputs binds c's free Symbols named in inputs (t.input, a.mask,
// a.pos_input, …) to those tensors, as rust_circuit's module_new_bind does:
// the result is a Module named name, so the symbolic sizes (sequence length)
// the inputs fix are resolved throughout.
func BindInputs(c circuit.Circuit, name string, inputs map[string]*tensor.Tensor) (circuit.Circuit, error) {
	names := make([]string, 0, len(inputs))
	for k := range inputs {
		names = append(names, k)
	}
	sort.Strings(names)
	free := map[string]*circuit.Symbol{}
	for _, s := range circuit.FreeSymbols(c) {
		free[s.Name()] = s
	}
	var specs []circuit.ModuleArgSpec
	var args []circuit.Circuit
	for _, n := range names {
		s, ok := free[n]
		if !ok {
			return nil, fmt.Errorf("%s: no free Symbol %q to bind", circuit.Label(c), n)
		}
		a, err := circuit.NewArray(inputs[n], n+"_inp")
		if err != nil {
			return nil, err
		}
		specs = append(specs, circuit.DefaultArgSpec(s))
		args = append(args, a)
	}
	return circuit.NewModule(name, c, specs, args...)
}
