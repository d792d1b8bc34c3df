package circuit

import "slices"

// ModuleArgSpec binds one argument of a Module to a Symbol in its spec.
// Batchable lets the argument carry extra leading (batch) dimensions;
// Expandable lets its other dimensions differ from the symbol's; the third
// flag is kept for compatibility with rust_circuit's text format.
type ModuleArgSpec struct {
	Symbol                   *Symbol
	Batchable                bool
	Expandable               bool
	BanNonSymbolicSizeExpand bool
}

// DefaultArgSpec is the spec rust_circuit uses when no flags are given (ttt).
func DefaultArgSpec(s *Symbol) ModuleArgSpec {
	return ModuleArgSpec{Symbol: s, Batchable: true, Expandable: true, BanNonSymbolicSizeExpand: true}
}

// Flags prints the three flags as rust_circuit does ("ttf").
func (a ModuleArgSpec) Flags() string {
	b := func(v bool) byte {
		if v {
			return 't'
		}
		return 'f'
	}
	return string([]byte{b(a.Batchable), b(a.Expandable), b(a.BanNonSymbolicSizeExpand)})
}

// Module is a call: its spec circuit with each arg spec's symbol replaced by
// the matching argument. Extra leading dimensions of batchable arguments
// become batch dimensions of the result. Children are [spec, args...].
type Module struct {
	base
	SpecCircuit Circuit
	ArgSpecs    []ModuleArgSpec
	substituted Circuit
}

// NewModule calls spec with args bound to argSpecs' symbols in order.
func NewModule(name string, spec Circuit, argSpecs []ModuleArgSpec, args ...Circuit) (*Module, error) {
	if spec == nil {
		return nil, nodeErr(KindModule, name, "nil spec circuit")
	}
	if len(argSpecs) != len(args) {
		return nil, nodeErr(KindModule, name, "%d arg specs for %d arguments", len(argSpecs), len(args))
	}
	sizes, err := fitArgs(name, argSpecs, args)
	if err != nil {
		return nil, err
	}
	sub, err := bindModule(spec, argSpecs, args, sizes)
	if err != nil {
		return nil, nodeErr(KindModule, name, "substituting arguments: %w", err)
	}
	specs := make([]ModuleArgSpec, len(argSpecs))
	copy(specs, argSpecs)
	children := append([]Circuit{spec}, args...)
	m := &Module{base: base{name: name, shape: cloneInts(sub.Shape()), children: children}, SpecCircuit: spec, ArgSpecs: specs, substituted: sub}
	return finish(m).(*Module), nil
}

// Args returns the argument nodes (the children after the spec).
func (m *Module) Args() []Circuit { return m.children[1:] }

// Substitute returns the spec circuit with the arguments bound.
func (m *Module) Substitute() Circuit { return m.substituted }

func (*Module) Kind() Kind { return KindModule }
func (m *Module) writeFields(h *hasher) {
	h.int(len(m.ArgSpecs))
	for _, a := range m.ArgSpecs {
		s := a.Symbol.Hash()
		h.buf = append(h.buf, s[:]...)
		h.str(a.Flags())
	}
}
func (m *Module) shallowCopy() Circuit                        { x := *m; return &x }
func (m *Module) Rename(name string) Circuit                  { return renameNode(m, name) }
func (m *Module) WithInfo(na map[int]string, ad bool) Circuit { return withInfo(m, na, ad) }
func (m *Module) WithChildren(cs []Circuit) (Circuit, error) {
	if len(cs) != len(m.children) {
		return nil, nodeErr(KindModule, m.name, "takes %d children, got %d", len(m.children), len(cs))
	}
	n, err := NewModule(m.name, cs[0], m.ArgSpecs, cs[1:]...)
	if err != nil {
		return nil, err
	}
	return keepInfo(m, n), nil
}

// fitArgs checks each argument against its arg spec and returns the
// symbolic sizes the arguments fix.
func fitArgs(name string, argSpecs []ModuleArgSpec, args []Circuit) (sizeBinding, error) {
	sizes := sizeBinding{}
	seen := map[Hash]bool{}
	for i, a := range argSpecs {
		if a.Symbol == nil || args[i] == nil {
			return nil, nodeErr(KindModule, name, "argument %d has a nil symbol or value", i)
		}
		if seen[a.Symbol.Hash()] {
			return nil, nodeErr(KindModule, name, "symbol %s is bound twice", Label(a.Symbol))
		}
		seen[a.Symbol.Hash()] = true
		ss, as := a.Symbol.Shape(), args[i].Shape()
		extra := len(as) - len(ss)
		if extra < 0 {
			return nil, nodeErr(KindModule, name, "argument %s has rank %d, below symbol %s's rank %d", Label(args[i]), len(as), Label(a.Symbol), len(ss))
		}
		if extra > 0 && !a.Batchable {
			return nil, nodeErr(KindModule, name, "argument %s has batch dims %s but symbol %s is not batchable", Label(args[i]), shapeString(as[:extra]), Label(a.Symbol))
		}
		for j, d := range ss {
			if a.BanNonSymbolicSizeExpand && !IsSymbolic(d) && d != as[extra+j] {
				return nil, nodeErr(KindModule, name, "argument %s of shape %s does not fit symbol %s of shape %s: axis %d's size %d is not symbolic, so it cannot change (ban_non_symbolic_size_expand)", Label(args[i]), shapeString(as), Label(a.Symbol), shapeString(ss), j, d)
			}
			if err := sizes.unify(d, as[extra+j]); err != nil {
				return nil, nodeErr(KindModule, name, "argument %s of shape %s does not fit symbol %s of shape %s: %w", Label(args[i]), shapeString(as), Label(a.Symbol), shapeString(ss), err)
			}
		}
		if rs, _ := sizes.shape(ss); !a.Expandable && !slices.Equal(as[extra:], rs) {
			return nil, nodeErr(KindModule, name, "argument %s has shape %s but symbol %s has shape %s", Label(args[i]), shapeString(as), Label(a.Symbol), shapeString(ss))
		}
	}
	return sizes, nil
}

// bindModule fixes the symbolic sizes the arguments determined throughout
// spec (free Symbols included, as rust_circuit does), then replaces each
// arg spec's symbol by its argument.
func bindModule(spec Circuit, argSpecs []ModuleArgSpec, args []Circuit, sizes sizeBinding) (Circuit, error) {
	repl := make(map[Hash]Circuit, len(args))
	if len(sizes) > 0 {
		syms := make([]Circuit, len(argSpecs))
		for i, a := range argSpecs {
			syms[i] = a.Symbol
		}
		all, err := resolveAll(append([]Circuit{spec}, syms...), sizes)
		if err != nil {
			return nil, err
		}
		spec = all[0]
		for i := range argSpecs {
			repl[all[i+1].Hash()] = args[i]
		}
	} else {
		for i, a := range argSpecs {
			repl[a.Symbol.Hash()] = args[i]
		}
	}
	return ReplaceExpand(spec, repl)
}

// CheckAllInputsUsed reports an arg spec symbol the spec circuit never uses.
// A Module may have unused inputs (as in rust_circuit, whose parser checks
// this by default and whose deep_module_remove_unused_inputs drops them).
func (m *Module) CheckAllInputsUsed() error {
	want := map[Hash]bool{}
	for _, a := range m.ArgSpecs {
		want[a.Symbol.Hash()] = true
	}
	used := map[Hash]bool{}
	Walk([]Circuit{m.SpecCircuit}, func(c Circuit) {
		if want[c.Hash()] {
			used[c.Hash()] = true
		}
	})
	for _, a := range m.ArgSpecs {
		if !used[a.Symbol.Hash()] {
			return nodeErr(KindModule, m.Name(), "symbol %s is not used by the spec circuit %s", Label(a.Symbol), Label(m.SpecCircuit))
		}
	}
	return nil
}
