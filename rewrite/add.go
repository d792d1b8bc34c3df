package rewrite

import (
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// AddFlatten splices the children of Add children into the parent Add.
// Broadcasting is associative, so the shape and value are unchanged.
func AddFlatten(c circuit.Circuit) (circuit.Circuit, bool, error) {
	a, isAdd := c.(*circuit.Add)
	if !isAdd {
		return nil, false, nil
	}
	var kids []circuit.Circuit
	did := false
	for _, ch := range a.Children() {
		if inner, ok := ch.(*circuit.Add); ok {
			did = true
			kids = append(kids, inner.Children()...)
			continue
		}
		kids = append(kids, ch)
	}
	if !did {
		return nil, false, nil
	}
	out, err := ok(circuit.NewAdd(resultName(a), kids...))
	return out, err == nil, err
}

func broadcastShape(cs []circuit.Circuit) ([]int, bool) {
	shapes := make([][]int, len(cs))
	for i, c := range cs {
		shapes[i] = c.Shape()
	}
	s, err := tensor.BroadcastShapes(shapes...)
	return s, err == nil
}

// AddElimZeros drops zero Scalar terms, one at a time, as long as the terms
// left still broadcast to the Add's shape.
func AddElimZeros(c circuit.Circuit) (circuit.Circuit, bool, error) {
	a, isAdd := c.(*circuit.Add)
	if !isAdd {
		return nil, false, nil
	}
	kids := append([]circuit.Circuit(nil), a.Children()...)
	did := false
	for i := 0; i < len(kids); {
		s, isScalar := kids[i].(*circuit.Scalar)
		if !isScalar || s.Value != 0 {
			i++
			continue
		}
		rest := append(append([]circuit.Circuit(nil), kids[:i]...), kids[i+1:]...)
		if bs, ok := broadcastShape(rest); ok && sameInts(bs, a.Shape()) {
			kids, did = rest, true
			continue
		}
		i++
	}
	if !did {
		return nil, false, nil
	}
	out, err := ok(circuit.NewAdd(resultName(a), kids...))
	return out, err == nil, err
}

// AddCollapseScalarInputs replaces two or more Scalar terms by one Scalar
// holding their sum, shaped as their broadcast, appended last.
func AddCollapseScalarInputs(c circuit.Circuit) (circuit.Circuit, bool, error) {
	a, isAdd := c.(*circuit.Add)
	if !isAdd {
		return nil, false, nil
	}
	var kids, scalars []circuit.Circuit
	sum := 0.0
	for _, ch := range a.Children() {
		if s, ok := ch.(*circuit.Scalar); ok {
			scalars = append(scalars, s)
			sum += s.Value
			continue
		}
		kids = append(kids, ch)
	}
	if len(scalars) < 2 {
		return nil, false, nil
	}
	shape, _ := broadcastShape(scalars)
	s, err := circuit.NewScalar(sum, shape, "")
	if err != nil {
		return nil, false, err
	}
	out, err := ok(circuit.NewAdd(resultName(a), append(kids, s)...))
	return out, err == nil, err
}

// AddDeduplicate turns k equal terms (equal hashes) into one term scaled by
// k, at the place of the first occurrence.
func AddDeduplicate(c circuit.Circuit) (circuit.Circuit, bool, error) {
	a, isAdd := c.(*circuit.Add)
	if !isAdd {
		return nil, false, nil
	}
	count := map[circuit.Hash]int{}
	for _, ch := range a.Children() {
		count[ch.Hash()]++
	}
	if len(count) == len(a.Children()) {
		return nil, false, nil
	}
	var kids []circuit.Circuit
	done := map[circuit.Hash]bool{}
	for _, ch := range a.Children() {
		h := ch.Hash()
		if done[h] {
			continue
		}
		done[h] = true
		if count[h] == 1 {
			kids = append(kids, ch)
			continue
		}
		m, err := circuit.ScalarMul("", ch, float64(count[h]))
		if err != nil {
			return nil, false, err
		}
		kids = append(kids, m)
	}
	out, err := ok(circuit.NewAdd(resultName(a), kids...))
	return out, err == nil, err
}

// RemoveAddFewInput replaces an Add of no terms by the Scalar 0 and an Add
// of one term by that term (which keeps its own name).
func RemoveAddFewInput(c circuit.Circuit) (circuit.Circuit, bool, error) {
	a, isAdd := c.(*circuit.Add)
	if !isAdd {
		return nil, false, nil
	}
	switch len(a.Children()) {
	case 0:
		out, err := ok(circuit.NewScalar(0, a.Shape(), a.Name()))
		return out, err == nil, err
	case 1:
		return a.Children()[0], true, nil
	}
	return nil, false, nil
}

// scalarMultiple reads a term as coef·x: a ScalarMul-shaped Einsum (one
// operand with distinct labels in output order and one rank-0 Scalar) or,
// failing that, the term itself with coefficient 1.
func scalarMultiple(c circuit.Circuit) (circuit.Circuit, float64) {
	e, isEinsum := c.(*circuit.Einsum)
	if !isEinsum || len(e.Children()) != 2 {
		return c, 1
	}
	for k := 0; k < 2; k++ {
		s, isScalar := e.Children()[1-k].(*circuit.Scalar)
		if !isScalar || s.Rank() != 0 {
			continue
		}
		if x := e.Children()[k]; sameInts(e.Axes[k], e.Out) && distinct(e.Out) {
			return x, s.Value
		}
	}
	return c, 1
}

func distinct(ls []int) bool {
	seen := map[int]bool{}
	for _, l := range ls {
		if seen[l] {
			return false
		}
		seen[l] = true
	}
	return true
}

// AddFuseScalarMultiples merges terms that are scalar multiples of the same
// circuit: a·x + b·x + x becomes (a+b+1)·x (just x when the sum is 1).
func AddFuseScalarMultiples(c circuit.Circuit) (circuit.Circuit, bool, error) {
	a, isAdd := c.(*circuit.Add)
	if !isAdd {
		return nil, false, nil
	}
	type group struct {
		x    circuit.Circuit
		coef float64
		n    int
	}
	var order []circuit.Hash
	groups := map[circuit.Hash]*group{}
	for _, ch := range a.Children() {
		x, k := scalarMultiple(ch)
		g, seen := groups[x.Hash()]
		if !seen {
			g = &group{x: x}
			groups[x.Hash()] = g
			order = append(order, x.Hash())
		}
		g.coef += k
		g.n++
	}
	if len(order) == len(a.Children()) {
		return nil, false, nil
	}
	var kids []circuit.Circuit
	for _, h := range order {
		g := groups[h]
		if g.n == 1 {
			// unchanged term: find it again to keep its exact form
			for _, ch := range a.Children() {
				if x, _ := scalarMultiple(ch); x.Hash() == h {
					kids = append(kids, ch)
					break
				}
			}
			continue
		}
		if g.coef == 1 {
			kids = append(kids, g.x)
			continue
		}
		m, err := circuit.ScalarMul("", g.x, g.coef)
		if err != nil {
			return nil, false, err
		}
		kids = append(kids, m)
	}
	out, err := ok(circuit.NewAdd(resultName(a), kids...))
	return out, err == nil, err
}
