package circuit

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// BoundSymbols is the outcome of ResolveBindings: the value of each bound
// free Symbol (by hash), the Symbols left unbound and the binding keys that
// matched no free Symbol.
type BoundSymbols struct {
	Values  map[Hash]*tensor.Tensor
	Unbound []*Symbol
	Unused  []string // sorted
}

// ResolveBindings is the one rule by which bindings keyed by Symbol name or
// uuid give values to the free Symbols free (FreeSymbols): the naive
// evaluator, the compiled plans and the CLI all use it.
//
//   - A uuid key binds every free Symbol with that uuid; those Symbols must
//     agree on the shape. The nil uuid (what Symbols written without one
//     get) is no identity: it binds only the unnamed Symbols that have it.
//   - A name key binds the free Symbol of that name; when two free Symbols
//     of different uuids share the name, binding by it is an error naming
//     both (bind each by its uuid instead).
//   - A Symbol bound by both its name and its uuid to different tensors is
//     an error; a binding whose shape differs from its Symbol's is an error.
//
// Every error is one line naming the Symbol(s).
func ResolveBindings(free []*Symbol, bindings map[string]*tensor.Tensor) (*BoundSymbols, error) {
	byName := map[string][]*Symbol{}
	byUUID := map[string][]*Symbol{}
	for _, s := range free {
		if s.Name() != "" {
			byName[s.Name()] = append(byName[s.Name()], s)
		}
		byUUID[s.UUID] = append(byUUID[s.UUID], s)
	}
	for _, u := range sortedKeys(byUUID) {
		ss := byUUID[u]
		if u == nilUUID {
			ss = slices.DeleteFunc(slices.Clone(ss), func(s *Symbol) bool { return s.Name() != "" })
		}
		if _, ok := bindings[u]; !ok {
			continue
		}
		for _, s := range ss[min(1, len(ss)):] {
			if !sameInts(s.Shape(), ss[0].Shape()) {
				return nil, fmt.Errorf("uuid %s is shared by Symbols %s of shape %s and %s of shape %s, so it cannot bind both", u, Label(ss[0]), shapeString(ss[0].Shape()), Label(s), shapeString(s.Shape()))
			}
		}
	}
	res := &BoundSymbols{Values: map[Hash]*tensor.Tensor{}}
	used := map[string]bool{}
	for _, s := range free {
		var tu *tensor.Tensor
		hasU := false
		if BindsByUUID(s) {
			tu, hasU = bindings[s.UUID]
		}
		var tn *tensor.Tensor
		hasN := false
		if s.Name() != "" {
			tn, hasN = bindings[s.Name()]
		}
		if hasN {
			if other := differentUUID(byName[s.Name()], s); other != nil {
				return nil, fmt.Errorf("binding %q is ambiguous: Symbols %s (uuid %s) and %s (uuid %s) share that name; bind each by its uuid", s.Name(), Label(s), s.UUID, Label(other), other.UUID)
			}
		}
		var t *tensor.Tensor
		key := s.UUID
		switch {
		case hasU && hasN && tu != tn:
			return nil, fmt.Errorf("Symbol %s is bound twice, by name and by uuid %s, to different values", Label(s), s.UUID)
		case hasU:
			t = tu
		case hasN:
			t, key = tn, s.Name()
		default:
			res.Unbound = append(res.Unbound, s)
			continue
		}
		used[s.UUID] = used[s.UUID] || hasU
		used[s.Name()] = used[s.Name()] || hasN
		if t == nil {
			return nil, fmt.Errorf("Symbol %s is bound to a nil tensor", Label(s))
		}
		if !sameInts(t.Shape(), s.Shape()) {
			return nil, &BindingShapeError{Symbol: s, Key: key, Shape: t.Shape()}
		}
		res.Values[s.Hash()] = t
	}
	for k := range bindings {
		if !used[k] {
			res.Unused = append(res.Unused, k)
		}
	}
	sort.Strings(res.Unused)
	return res, nil
}

// BindingShapeError is a binding whose shape differs from its Symbol's.
type BindingShapeError struct {
	Symbol *Symbol
	Key    string // the binding's key: the Symbol's name or uuid
	Shape  []int  // the binding's shape
}

func (e *BindingShapeError) Error() string {
	return fmt.Sprintf("Symbol %s has shape %s but its binding %q has shape %s", Label(e.Symbol), shapeString(e.Symbol.Shape()), e.Key, shapeString(e.Shape))
}

// BindsByUUID reports whether a key equal to s's uuid binds s: always, but
// for the nil uuid of a named Symbol (written without a uuid).
func BindsByUUID(s *Symbol) bool { return s.UUID != nilUUID || s.Name() == "" }

// differentUUID is a Symbol of ss whose uuid differs from s's (nil if none).
func differentUUID(ss []*Symbol, s *Symbol) *Symbol {
	for _, o := range ss {
		if o.UUID != s.UUID {
			return o
		}
	}
	return nil
}

// UnboundError says which free Symbols have no binding, in one line.
func UnboundError(ss []*Symbol) error {
	labels := make([]string, len(ss))
	for i, s := range ss {
		labels[i] = fmt.Sprintf("%s (uuid %s, shape %s)", Label(s), s.UUID, shapeString(s.Shape()))
	}
	return fmt.Errorf("unbound Symbol %s (bind it by name or uuid)", strings.Join(labels, ", "))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return slices.Sorted(slices.Values(keys))
}
