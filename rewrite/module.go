package rewrite

import "github.com/circopt/circopt/circuit"

// ModuleSubstitute replaces a Module by its spec with the arguments bound
// (rust_circuit's Module.substitute; applied everywhere it is
// deep_module_substitute / substitute_all_modules).
func ModuleSubstitute(c circuit.Circuit) (circuit.Circuit, bool, error) {
	m, ok := c.(*circuit.Module)
	if !ok {
		return nil, false, nil
	}
	return m.Substitute(), true, nil
}

// ElimNoInputModule replaces a Module with no arguments by its spec
// (rust_circuit's elim_no_input_module).
func ElimNoInputModule(c circuit.Circuit) (circuit.Circuit, bool, error) {
	m, ok := c.(*circuit.Module)
	if !ok || len(m.ArgSpecs) > 0 {
		return nil, false, nil
	}
	return m.SpecCircuit, true, nil
}

// ModuleRemoveUnusedInputs drops the arguments whose symbol the spec never
// uses (rust_circuit's module_remove_unused_inputs).
func ModuleRemoveUnusedInputs(c circuit.Circuit) (circuit.Circuit, bool, error) {
	m, ok := c.(*circuit.Module)
	if !ok {
		return nil, false, nil
	}
	used := map[circuit.Hash]bool{}
	for _, s := range circuit.FreeSymbols(m.SpecCircuit) {
		used[s.Hash()] = true
	}
	var specs []circuit.ModuleArgSpec
	var args []circuit.Circuit
	for i, a := range m.ArgSpecs {
		if used[a.Symbol.Hash()] {
			specs = append(specs, a)
			args = append(args, m.Args()[i])
		}
	}
	if len(specs) == len(m.ArgSpecs) {
		return nil, false, nil
	}
	n, err := circuit.NewModule(m.Name(), m.SpecCircuit, specs, args...)
	if err != nil {
		return nil, false, err
	}
	return n, true, nil
}
