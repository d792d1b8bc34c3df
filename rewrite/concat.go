package rewrite

import "github.com/circopt/circopt/circuit"

// ConcatElimIdentity replaces a Concat of one input by that input.
func ConcatElimIdentity(c circuit.Circuit) (circuit.Circuit, bool, error) {
	x, isConcat := c.(*circuit.Concat)
	if !isConcat || len(x.Children()) != 1 {
		return nil, false, nil
	}
	return x.Children()[0], true, nil
}

// ConcatFuse splices Concat children on the same axis into their parent.
func ConcatFuse(c circuit.Circuit) (circuit.Circuit, bool, error) {
	x, isConcat := c.(*circuit.Concat)
	if !isConcat {
		return nil, false, nil
	}
	var kids []circuit.Circuit
	did := false
	for _, ch := range x.Children() {
		if inner, ok := ch.(*circuit.Concat); ok && inner.Axis == x.Axis {
			kids = append(kids, inner.Children()...)
			did = true
			continue
		}
		kids = append(kids, ch)
	}
	if !did {
		return nil, false, nil
	}
	r, err := ok(circuit.NewConcat(resultName(x), x.Axis, kids...))
	return r, err == nil, err
}
