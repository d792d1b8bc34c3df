package circuit

import (
	"fmt"
	"math"
)

// Explicit returns the deterministic circuit that c's value is, with every
// sampling node (Cumulant, DiscreteVar, StoredCumulantVar) removed, as
// rust_circuit's estimate computes it:
//
//   - a Cumulant of order k is rust_circuit's basic_expectation, the sum
//     over the partitions π of its children of (|π|-1)!(-1)^(|π|-1) times
//     the outer product of the expectations of each block's product; of
//     children with no random variable it is 1 (order 0), the child
//     (order 1) or zeros (order >= 2); of k copies of one StoredCumulantVar
//     it is the stored cumulant of order k;
//   - a circuit with random variables outside any Cumulant is its
//     expectation: every DiscreteVar takes all its values at once (one batch
//     axis per group, shared by the group's variables, independent across
//     groups) and the result is weighted by each group's probabilities;
//   - a StoredCumulantVar outside a Cumulant may only enter linearly (the
//     expectation of a linear function is the function of the mean).
//
// A circuit without sampling nodes is returned unchanged.
func Explicit(c Circuit) (Circuit, error) {
	x := &explicitor{memo: map[Hash]Circuit{}, sampling: map[Hash]bool{}, random: map[Hash]bool{}, stored: map[Hash]bool{}}
	if !x.hasSampling(c) {
		return c, nil
	}
	d, err := x.cumulantsOut(c)
	if err != nil {
		return nil, err
	}
	return x.expect(d)
}

// HasSampling reports whether c contains a Cumulant, DiscreteVar or StoredCumulantVar.
func HasSampling(c Circuit) bool {
	x := &explicitor{sampling: map[Hash]bool{}}
	return x.hasSampling(c)
}

type explicitor struct {
	memo     map[Hash]Circuit // cumulantsOut results
	sampling map[Hash]bool    // has a sampling node
	random   map[Hash]bool    // has a random variable (after cumulantsOut)
	stored   map[Hash]bool    // has a StoredCumulantVar
}

func isSamplingKind(k Kind) bool {
	return k == KindCumulant || k == KindDiscreteVar || k == KindStoredCumulantVar
}

func (x *explicitor) hasSampling(c Circuit) bool { return below(x.sampling, c, isSamplingKind) }
func (x *explicitor) hasRandom(c Circuit) bool {
	return below(x.random, c, func(k Kind) bool { return k == KindDiscreteVar || k == KindStoredCumulantVar })
}
func (x *explicitor) hasStored(c Circuit) bool {
	return below(x.stored, c, func(k Kind) bool { return k == KindStoredCumulantVar })
}

// below reports whether c or a node under it has a kind that is, memoized in memo.
func below(memo map[Hash]bool, c Circuit, is func(Kind) bool) bool {
	if v, ok := memo[c.Hash()]; ok {
		return v
	}
	v := is(c.Kind())
	for _, ch := range c.Children() {
		if below(memo, ch, is) {
			v = true
		}
	}
	memo[c.Hash()] = v
	return v
}

// cumulantsOut replaces every Cumulant, innermost first, by its explicit value.
func (x *explicitor) cumulantsOut(c Circuit) (Circuit, error) {
	if !x.hasSampling(c) {
		return c, nil
	}
	if r, ok := x.memo[c.Hash()]; ok {
		return r, nil
	}
	kids := make([]Circuit, len(c.Children()))
	changed := false
	for i, ch := range c.Children() {
		r, err := x.cumulantsOut(ch)
		if err != nil {
			return nil, err
		}
		kids[i], changed = r, changed || r != ch
	}
	var r Circuit
	var err error
	switch {
	case c.Kind() == KindCumulant:
		r, err = x.cumulant(c, kids)
	case changed:
		r, err = c.WithChildren(kids)
	default:
		r = c
	}
	if err != nil {
		return nil, err
	}
	x.memo[c.Hash()] = r
	return r, nil
}

// cumulant is the explicit value of the cumulant k of children kids (which
// have no Cumulants left).
func (x *explicitor) cumulant(k Circuit, kids []Circuit) (Circuit, error) {
	fail := func(err error) (Circuit, error) { return nil, fmt.Errorf("cumulant %s: %w", Label(k), err) }
	anyRandom := false
	for _, ch := range kids {
		anyRandom = anyRandom || x.hasRandom(ch)
	}
	if !anyRandom {
		switch len(kids) {
		case 0:
			return wrap(NewScalar(1, []int{}, k.Name()))
		case 1:
			return kids[0], nil
		}
		return wrap(NewScalar(0, k.Shape(), k.Name()))
	}
	if s, ok := kids[0].(*StoredCumulantVar); ok && allSame(kids) {
		if c := s.Cumulant(len(kids)); c != nil {
			return c, nil
		}
		return fail(fmt.Errorf("StoredCumulantVar %s stores no cumulant of order %d", Label(s), len(kids)))
	}
	if len(kids) == 1 {
		return x.expect(kids[0])
	}
	var terms []Circuit
	for _, part := range setPartitions(len(kids)) {
		coef := math.Gamma(float64(len(part))) // (|π|-1)!
		if len(part)%2 == 0 {
			coef = -coef
		}
		term, err := x.partitionTerm(kids, part, coef)
		if err != nil {
			return fail(err)
		}
		terms = append(terms, term)
	}
	return wrap(NewAdd(k.Name(), terms...))
}

// partitionTerm is coef times the outer product over the blocks of part of
// E[product of the block's children], axes in the children's order.
func (x *explicitor) partitionTerm(kids []Circuit, part [][]int, coef float64) (Circuit, error) {
	// label the children's axes by their position in the concatenated shape
	start := make([]int, len(kids)+1)
	for i, ch := range kids {
		start[i+1] = start[i] + ch.Rank()
	}
	var ops []Circuit
	var axes [][]int
	for _, block := range part {
		var members []Circuit
		var labels []int
		for _, i := range block {
			members = append(members, kids[i])
			for a := start[i]; a < start[i+1]; a++ {
				labels = append(labels, a)
			}
		}
		prod, err := outerProduct(members)
		if err != nil {
			return nil, err
		}
		e, err := x.expect(prod)
		if err != nil {
			return nil, err
		}
		ops, axes = append(ops, e), append(axes, labels)
	}
	s, err := NewScalar(coef, []int{}, "")
	if err != nil {
		return nil, err
	}
	ops, axes = append(ops, s), append(axes, []int{})
	return wrap(NewEinsum("", axes, identityLabels(start[len(kids)]), ops...))
}

// outerProduct of cs, axes in order (one operand is itself).
func outerProduct(cs []Circuit) (Circuit, error) {
	if len(cs) == 1 {
		return cs[0], nil
	}
	axes := make([][]int, len(cs))
	n := 0
	for i, c := range cs {
		axes[i] = make([]int, c.Rank())
		for j := range axes[i] {
			axes[i][j] = n
			n++
		}
	}
	return wrap(NewEinsum("", axes, identityLabels(n), cs...))
}

func allSame(cs []Circuit) bool {
	for _, c := range cs[1:] {
		if !Equal(c, cs[0]) {
			return false
		}
	}
	return true
}

// setPartitions lists the partitions of {0..n-1}, each a list of blocks.
func setPartitions(n int) [][][]int {
	if n == 0 {
		return [][][]int{{}}
	}
	var out [][][]int
	for _, p := range setPartitions(n - 1) {
		for i := range p {
			q := make([][]int, len(p))
			for j, b := range p {
				q[j] = append([]int(nil), b...)
			}
			q[i] = append(q[i], n-1)
			out = append(out, q)
		}
		q := append(append([][]int(nil), p...), []int{n - 1})
		out = append(out, q)
	}
	return out
}

// expect is E[c] for c without Cumulants.
func (x *explicitor) expect(c Circuit) (Circuit, error) {
	if !x.hasRandom(c) {
		return c, nil
	}
	c, err := x.storedMeans(c)
	if err != nil {
		return nil, err
	}
	// the groups, in the order first found, and their variables
	var groups []Circuit
	members := map[Hash][]*DiscreteVar{}
	var bad error
	Walk([]Circuit{c}, func(n Circuit) {
		v, ok := n.(*DiscreteVar)
		if !ok {
			return
		}
		if bad == nil && (x.hasRandom(v.Values()) || x.hasRandom(v.ProbsAndGroup())) {
			bad = fmt.Errorf("DiscreteVar %s: its values or probabilities are random themselves, which circopt cannot take the expectation of", Label(v))
		}
		g := v.ProbsAndGroup()
		if members[g.Hash()] == nil {
			groups = append(groups, g)
		}
		members[g.Hash()] = append(members[g.Hash()], v)
	})
	if bad != nil {
		return nil, bad
	}
	// group j's variables take batch dims [n_j, n_j+1, ...]: every batch
	// shape is a suffix of the full one, so they broadcast right-aligned
	repl := map[Hash]Circuit{}
	for j, g := range groups {
		later := make([]int, 0, len(groups)-j-1)
		for _, h := range groups[j+1:] {
			later = append(later, h.Shape()[0])
		}
		for _, v := range members[g.Hash()] {
			r, err := spreadSamples(v.Values(), later)
			if err != nil {
				return nil, fmt.Errorf("DiscreteVar %s: %w", Label(v), err)
			}
			repl[v.Hash()] = r
		}
	}
	batched, err := ReplaceExpand(c, repl)
	if err != nil {
		return nil, fmt.Errorf("expectation of %s: %w", Label(c), err)
	}
	// weight by each group's probabilities, summing the batch axes
	G := len(groups)
	ops := []Circuit{batched}
	all := identityLabels(batched.Rank())
	axes := [][]int{all}
	for j, g := range groups {
		ops, axes = append(ops, g), append(axes, []int{j})
	}
	e, err := NewEinsum("", axes, all[G:], ops...)
	if err != nil {
		return nil, fmt.Errorf("expectation of %s: %w", Label(c), err)
	}
	if c.Name() == "" {
		return e, nil
	}
	return e.Rename(c.Name()), nil
}

// spreadSamples gives values [n, rest...] the extra batch axes later after
// the samples axis: [n, later..., rest...].
func spreadSamples(values Circuit, later []int) (Circuit, error) {
	if len(later) == 0 {
		return values, nil
	}
	ones, err := NewScalar(1, later, "")
	if err != nil {
		return nil, err
	}
	r := values.Rank()
	in := identityLabels(r)
	lead := make([]int, len(later))
	for i := range lead {
		lead[i] = r + i
	}
	out := append(append([]int{0}, lead...), in[1:]...)
	return wrap(NewEinsum("", [][]int{in, lead}, out, values, ones))
}

// storedMeans replaces each StoredCumulantVar by its mean, after checking
// that c depends on it linearly.
func (x *explicitor) storedMeans(c Circuit) (Circuit, error) {
	repl := map[Hash]Circuit{}
	var bad error
	Walk([]Circuit{c}, func(n Circuit) {
		if s, ok := n.(*StoredCumulantVar); ok {
			repl[s.Hash()] = s.Cumulant(1)
			return
		}
		if bad != nil || !x.hasStored(n) {
			return
		}
		if err := x.linearNode(n); err != nil {
			bad = err
		}
	})
	if bad != nil {
		return nil, bad
	}
	if len(repl) == 0 {
		return c, nil
	}
	return ReplaceExpand(c, repl)
}

// linearNode checks that n, which has a StoredCumulantVar below it, is
// linear in its random children.
func (x *explicitor) linearNode(n Circuit) error {
	switch n.Kind() {
	case KindAdd, KindRearrange, KindIndex, KindConcat, KindScatter, KindTag:
		return nil
	case KindEinsum:
		random := 0
		for _, ch := range n.Children() {
			if x.hasRandom(ch) {
				random++
			}
		}
		if random <= 1 {
			return nil
		}
		return fmt.Errorf("%s multiplies random operands, one with a StoredCumulantVar; its expectation needs cumulants circopt does not derive (write the Cumulant explicitly)", Label(n))
	}
	return fmt.Errorf("%s is a nonlinear function of a StoredCumulantVar, which has no explicit value", Label(n))
}
