package circuit

import "slices"

// Conform returns m with each arg spec's Symbol resized to its argument's
// shape (batch dims included, symbolic sizes fixed) and the spec resized to
// match, as rust_circuit's conform_to_input_shapes: the value is unchanged
// and no argument is batched any more. ok is false when every argument
// already has its Symbol's shape.
func (m *Module) Conform() (n *Module, ok bool, err error) {
	args := m.Args()
	for i, a := range m.ArgSpecs {
		if !slices.Equal(a.Symbol.Shape(), args[i].Shape()) {
			ok = true
		}
	}
	if !ok {
		return m, false, nil
	}
	sizes, err := fitArgs(m.name, m.ArgSpecs, args)
	if err != nil {
		return nil, false, err
	}
	syms := make([]Circuit, len(args))
	specs := make([]ModuleArgSpec, len(args))
	for i, a := range m.ArgSpecs {
		s, err := NewSymbol(args[i].Shape(), a.Symbol.UUID, a.Symbol.Name())
		if err != nil {
			return nil, false, err
		}
		syms[i] = s
		specs[i] = a
		specs[i].Symbol = s
	}
	spec, err := bindModule(m.SpecCircuit, m.ArgSpecs, syms, sizes)
	if err != nil {
		return nil, false, nodeErr(KindModule, m.name, "conforming: %w", err)
	}
	c, err := NewModule(m.name, spec, specs, args...)
	if err != nil {
		return nil, false, err
	}
	return keepInfo(m, c).(*Module), true, nil
}
