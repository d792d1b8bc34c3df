package rewrite

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
)

// Residual rewrites a as b + (a − b): the Add of b and the difference
// a + (−1)·b. b must broadcast to a's shape, so the value and shape of a are
// kept. The difference is named "<a> - <b>" when both are named; the Add is
// autonamed. This is how an experiment splits a node into a baseline and a
// residual that can then be ablated separately.
func Residual(a, b circuit.Circuit) (circuit.Circuit, error) {
	if bs, ok := broadcastShape([]circuit.Circuit{a, b}); !ok || !sameInts(bs, a.Shape()) {
		return nil, fmt.Errorf("residual: %s of shape %v does not broadcast to %s of shape %v",
			circuit.Label(b), b.Shape(), circuit.Label(a), a.Shape())
	}
	name := ""
	if a.Name() != "" && b.Name() != "" {
		name = a.Name() + " - " + b.Name()
	}
	diff, err := circuit.Sub(name, a, b)
	if err != nil {
		return nil, err
	}
	return ok(circuit.NewAdd("", b, diff))
}

// ResidualRule is Residual as a Func with b fixed: it applies to any node
// whose shape b broadcasts to, other than b itself.
func ResidualRule(b circuit.Circuit) Func {
	return func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		if circuit.Equal(c, b) {
			return nil, false, nil
		}
		if bs, ok := broadcastShape([]circuit.Circuit{c, b}); !ok || !sameInts(bs, c.Shape()) {
			return nil, false, nil
		}
		r, err := Residual(c, b)
		return r, err == nil, err
	}
}
