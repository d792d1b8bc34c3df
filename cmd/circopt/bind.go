package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// binding is one -bind NAME=FILE.npy after loading.
type binding struct {
	key  string // a Symbol name or uuid
	file string
	t    *tensor.Tensor
	used bool
}

// loadBindings reads every -bind NAME=FILE.npy. A malformed or repeated
// NAME is a usage error; an unreadable file or an integer or bool array
// is invalid input: Symbols are float-valued, and silently turning a
// label array into floats hides mistakes (convert with .astype(np.float32)).
// A float64 file binds a float32 evaluation and vice versa, converted.
func loadBindings(binds []string) (map[string]*binding, error) {
	out := map[string]*binding{}
	for _, b := range binds {
		name, file, ok := strings.Cut(b, "=")
		if !ok || name == "" || file == "" {
			return nil, usagef("-bind wants NAME=FILE.npy, got %q", b)
		}
		if prev, dup := out[name]; dup {
			return nil, usagef("-bind %s given twice (%s and %s)", name, prev.file, file)
		}
		if err := checkReadable(file, false); err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		t, err := weights.LoadNpy(file)
		if err != nil {
			return nil, fileErr(file, err)
		}
		if !t.DType().IsFloat() {
			return nil, fmt.Errorf("%s: -bind %s: an integer or bool array cannot bind a Symbol; save it as float32 or float64 (.astype(np.float32))", file, name)
		}
		out[name] = &binding{key: name, file: file, t: t}
	}
	return out, nil
}

// bindSymbols matches bindings to the free Symbols of cs, by name or by
// uuid, and returns the evaluator's bindings (keyed by symbolKey). Every
// problem is one line: a Symbol bound both by name and by uuid to
// different files, a shape that differs from the Symbol's, a -bind NAME
// that names no free Symbol (a typo would otherwise be ignored) and, unless
// allowFree, a free Symbol left unbound.
func bindSymbols(path string, cs []circuit.Circuit, binds map[string]*binding, allowFree bool) (map[string]*tensor.Tensor, error) {
	out := map[string]*tensor.Tensor{}
	var msgs []string
	for _, s := range circuit.FreeSymbols(cs...) {
		var byName, byUUID *binding
		if s.Name() != "" {
			byName = binds[s.Name()]
		}
		if s.UUID != "" {
			byUUID = binds[s.UUID]
		}
		b := byName
		switch {
		case byName != nil && byUUID != nil && byName != byUUID:
			msgs = append(msgs, fmt.Sprintf("%s: Symbol %s is bound twice: by name to %s and by uuid to %s", path, quoteName(s.Name()), byName.file, byUUID.file))
			byName.used, byUUID.used = true, true
			continue
		case b == nil:
			b = byUUID
		}
		if b == nil {
			if !allowFree {
				msgs = append(msgs, fmt.Sprintf("%s: unbound Symbol %s of shape %s (pass -bind %s=FILE.npy)", path, symbolLabel(s), shapeText(s.Shape()), bindName(s)))
			}
			continue
		}
		b.used = true
		if !sameShape(b.t.Shape(), s.Shape()) {
			msgs = append(msgs, fmt.Sprintf("%s: -bind %s: array of shape %s, but Symbol %s has shape %s", b.file, b.key, shapeText(b.t.Shape()), symbolLabel(s), shapeText(s.Shape())))
			continue
		}
		out[symbolKey(s)] = b.t
	}
	keys := make([]string, 0, len(binds))
	for k := range binds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if b := binds[k]; !b.used {
			msgs = append(msgs, fmt.Sprintf("%s: -bind %s: no free Symbol has that name or uuid%s", path, k, freeList(cs)))
		}
	}
	if len(msgs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(msgs, "\n"))
	}
	return out, nil
}

// freeList names the free Symbols, for the unknown -bind message.
func freeList(cs []circuit.Circuit) string {
	var names []string
	for _, s := range circuit.FreeSymbols(cs...) {
		names = append(names, bindName(s))
	}
	if len(names) == 0 {
		return " (the file has no free Symbols)"
	}
	return " (free Symbols: " + strings.Join(names, ", ") + ")"
}

func symbolLabel(s *circuit.Symbol) string {
	if s.Name() != "" {
		return quoteName(s.Name())
	}
	return s.UUID
}

func bindName(s *circuit.Symbol) string {
	if s.Name() != "" {
		return s.Name()
	}
	return s.UUID
}

// bindSymbolicSizes binds the free Symbols with symbolic sizes (a model's
// t.input [1s,0s]) as Module arguments, so the sizes their arrays fix are
// resolved throughout; those bindings count as used.
func bindSymbolicSizes(path string, cs []circuit.Circuit, binds map[string]*binding) ([]circuit.Circuit, error) {
	vals := map[string]*tensor.Tensor{}
	for k, b := range binds {
		vals[k] = b.t
	}
	out, used, err := circuit.BindSymbolic(cs, vals)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for k := range used {
		binds[k].used = true
	}
	return out, nil
}
