package rewrite

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
)

// ok wraps a constructor's typed result as a Circuit, so a failed
// constructor yields a nil interface rather than a typed nil.
func ok[T circuit.Circuit](x T, err error) (circuit.Circuit, error) {
	if err != nil {
		return nil, err
	}
	return x, nil
}

// rebuild builds a node of c's kind with c's own fields over kids, named
// name ("" lets autonaming derive a name from the children). Leaves are
// returned unchanged: Arrays and Symbols are never renamed.
func rebuild(c circuit.Circuit, kids []circuit.Circuit, name string) (circuit.Circuit, error) {
	switch n := c.(type) {
	case *circuit.Array, *circuit.Symbol:
		return c, nil
	case *circuit.Scalar:
		return ok(circuit.NewScalar(n.Value, n.Shape(), name))
	case *circuit.Add:
		return ok(circuit.NewAdd(name, kids...))
	case *circuit.Einsum:
		return ok(circuit.NewEinsum(name, n.Axes, n.Out, kids...))
	case *circuit.Rearrange:
		if len(kids) != 1 {
			return nil, fmt.Errorf("rearrange takes one child, got %d", len(kids))
		}
		return ok(circuit.NewRearrange(name, n.Spec, kids[0]))
	case *circuit.Index:
		if len(kids) != 1 {
			return nil, fmt.Errorf("index takes one child, got %d", len(kids))
		}
		return ok(circuit.NewIndex(name, n.Idx, kids[0]))
	case *circuit.Concat:
		return ok(circuit.NewConcat(name, n.Axis, kids...))
	case *circuit.GeneralFunction:
		return ok(circuit.NewGeneralFunction(name, n.Spec, kids...))
	case *circuit.Scatter:
		if len(kids) != 1 {
			return nil, fmt.Errorf("scatter takes one child, got %d", len(kids))
		}
		return ok(circuit.NewScatter(name, n.Idx, n.Shape(), kids[0]))
	case *circuit.Tag:
		if len(kids) != 1 {
			return nil, fmt.Errorf("tag takes one child, got %d", len(kids))
		}
		return ok(circuit.NewTag(name, n.UUID, kids[0]))
	case *circuit.Module:
		if len(kids) < 1 {
			return nil, fmt.Errorf("module needs a spec child")
		}
		return ok(circuit.NewModule(name, kids[0], n.ArgSpecs, kids[1:]...))
	}
	return nil, fmt.Errorf("rebuild: unknown node kind %s", c.Kind())
}

// isAutoName reports whether c's name is the one autonaming would give it.
func isAutoName(c circuit.Circuit) bool {
	if c.Name() == "" || c.AutonameDisabled() || len(c.Children()) == 0 {
		return false
	}
	if m, isModule := c.(*circuit.Module); isModule {
		// rebuilding a Module substitutes its arguments: compare directly
		return m.SpecCircuit.Name() != "" && m.Name() == m.SpecCircuit.Name()
	}
	n, err := rebuild(c, c.Children(), "")
	return err == nil && n.Name() == c.Name()
}

// resultName is the name for a node built to replace c: c's own name, or
// "" (autonaming from the new children) when c's name was automatic.
func resultName(c circuit.Circuit) string {
	if isAutoName(c) {
		return ""
	}
	return c.Name()
}

// withChildren rebuilds c over kids keeping c's name, or recomputing it when
// it was automatic (so "a + b" with children swapped reads "b + a").
func withChildren(c circuit.Circuit, kids []circuit.Circuit) (circuit.Circuit, error) {
	if sameCircuits(c.Children(), kids) {
		return c, nil
	}
	if isAutoName(c) {
		return rebuild(c, kids, "")
	}
	return c.WithChildren(kids)
}

func sameCircuits(a, b []circuit.Circuit) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Hash() != b[i].Hash() {
			return false
		}
	}
	return true
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
