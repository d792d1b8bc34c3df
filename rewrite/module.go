package rewrite

import (
	"slices"

	"github.com/circopt/circopt/circuit"
)

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

// ModuleConform resizes a Module's symbols and spec to its arguments' shapes
// (rust_circuit's conform_to_input_shapes; applied everywhere it is
// conform_all_modules).
func ModuleConform(c circuit.Circuit) (circuit.Circuit, bool, error) {
	m, ok := c.(*circuit.Module)
	if !ok {
		return nil, false, nil
	}
	n, changed, err := m.Conform()
	if err != nil || !changed {
		return nil, false, err
	}
	return n, true, nil
}

// ModulePushDown moves a Module one level into its spec, one step of
// rust_circuit's ModulePusher: the conformed spec's root is rebuilt over its
// children, each child that uses bound symbols wrapped in a Module binding
// just those (named "<child> bind:<module>" as rust_circuit's default
// namer) and a child that is a bound Symbol replaced by its argument. A spec that is a bound Symbol becomes its argument, a spec with
// no children its spec; a spec that is itself a Module is left alone.
func ModulePushDown(c circuit.Circuit) (circuit.Circuit, bool, error) {
	m, ok := c.(*circuit.Module)
	if !ok {
		return nil, false, nil
	}
	cm, _, err := m.Conform()
	if err != nil {
		return nil, false, err
	}
	spec, args := cm.SpecCircuit, cm.Args()
	if j := boundIndex(cm, spec); j >= 0 {
		return args[j], true, nil
	}
	switch {
	case spec.Kind() == circuit.KindModule:
		return nil, false, nil
	case len(spec.Children()) == 0:
		return spec, true, nil
	}
	kids := spec.Children()
	news := make([]circuit.Circuit, len(kids))
	for i, k := range kids {
		if j := boundIndex(cm, k); j >= 0 {
			news[i] = args[j]
			continue
		}
		free := map[circuit.Hash]bool{}
		for _, s := range circuit.FreeSymbols(k) {
			free[s.Hash()] = true
		}
		var specs []circuit.ModuleArgSpec
		var used []circuit.Circuit
		for j, a := range cm.ArgSpecs {
			if free[a.Symbol.Hash()] {
				specs, used = append(specs, a), append(used, args[j])
			}
		}
		if len(specs) == 0 {
			news[i] = k
			continue
		}
		name := ""
		if k.Name() != "" && m.Name() != "" {
			name = k.Name() + " bind:" + m.Name()
		}
		n, err := circuit.NewModule(name, k, specs, used...)
		if err != nil {
			return nil, false, err
		}
		news[i] = n
	}
	out, err := spec.WithChildren(news)
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// boundIndex is the position of the arg spec binding c, or -1.
func boundIndex(m *circuit.Module, c circuit.Circuit) int {
	return slices.IndexFunc(m.ArgSpecs, func(a circuit.ModuleArgSpec) bool { return circuit.Equal(a.Symbol, c) })
}
