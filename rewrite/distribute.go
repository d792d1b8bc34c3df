package rewrite

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
)

// broadcastTo makes numpy broadcasting of c to shape explicit with a
// Rearrange ("() b -> a:4 b" style); c itself when the shapes agree.
func broadcastTo(c circuit.Circuit, shape []int) (circuit.Circuit, error) {
	if sameInts(c.Shape(), shape) {
		return c, nil
	}
	lead := len(shape) - c.Rank()
	if lead < 0 {
		return nil, fmt.Errorf("cannot broadcast %s of shape %v to %v", circuit.Label(c), c.Shape(), shape)
	}
	sp := circuit.RearrangeSpec{}
	kept := map[int]int{} // output axis -> id
	for i, d := range c.Shape() {
		switch full := shape[lead+i]; {
		case d == full:
			kept[lead+i] = len(sp.Sizes)
			sp.In = append(sp.In, []int{len(sp.Sizes)})
			sp.Sizes = append(sp.Sizes, -1)
		case d == 1:
			sp.In = append(sp.In, []int{})
		default:
			return nil, fmt.Errorf("cannot broadcast %s of shape %v to %v", circuit.Label(c), c.Shape(), shape)
		}
	}
	for j, full := range shape {
		if id, found := kept[j]; found {
			sp.Out = append(sp.Out, []int{id})
			continue
		}
		sp.Out = append(sp.Out, []int{len(sp.Sizes)})
		sp.Sizes = append(sp.Sizes, full)
	}
	return ok(circuit.NewRearrange("", sp, c))
}

// DistributeOnce rewrites the Einsum e whose operand number operand is an
// Add into an Add of Einsums, one per term, with broadcasts made explicit.
// The new Add takes the einsum's name; the einsums are autonamed.
func DistributeOnce(e *circuit.Einsum, operand int) (circuit.Circuit, error) {
	if operand < 0 || operand >= len(e.Children()) {
		return nil, fmt.Errorf("distribute %s: operand %d out of range (%d operands)", circuit.Label(e), operand, len(e.Children()))
	}
	a, isAdd := e.Children()[operand].(*circuit.Add)
	if !isAdd {
		return nil, fmt.Errorf("distribute %s: operand %d is %s, not an Add", circuit.Label(e), operand, circuit.Label(e.Children()[operand]))
	}
	if len(a.Children()) == 0 {
		return nil, fmt.Errorf("distribute %s: operand %d is an empty Add", circuit.Label(e), operand)
	}
	terms := make([]circuit.Circuit, len(a.Children()))
	for i, t := range a.Children() {
		bt, err := broadcastTo(t, a.Shape())
		if err != nil {
			return nil, fmt.Errorf("distribute %s: %v", circuit.Label(e), err)
		}
		kids := append([]circuit.Circuit(nil), e.Children()...)
		kids[operand] = bt
		term, err := circuit.NewEinsum("", e.Axes, e.Out, kids...)
		if err != nil {
			return nil, err
		}
		terms[i] = term
	}
	return ok(circuit.NewAdd(resultName(e), terms...))
}

// DistributeOnceRule distributes an Einsum over its first non-empty Add operand.
func DistributeOnceRule(c circuit.Circuit) (circuit.Circuit, bool, error) {
	e, isEinsum := c.(*circuit.Einsum)
	if !isEinsum {
		return nil, false, nil
	}
	for i, ch := range e.Children() {
		if a, isAdd := ch.(*circuit.Add); isAdd && len(a.Children()) > 0 {
			r, err := DistributeOnce(e, i)
			return r, err == nil, err
		}
	}
	return nil, false, nil
}
