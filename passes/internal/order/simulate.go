package order

// state is the current operand list while a path is being built: every
// method (greedy, left-to-right, exhaustive, and DP when replaying its tree)
// goes through it, so all report costs computed by the same code.
type state struct {
	in    *instance
	nodes []labelSet
	count []int // label id -> number of current nodes holding it
}

func newState(in *instance) *state {
	s := &state{in: in, count: make([]int, len(in.labels))}
	for _, op := range in.ops {
		s.nodes = append(s.nodes, op.clone())
		op.forEach(func(l int) { s.count[l]++ })
	}
	return s
}

func (s *state) clone() *state {
	c := &state{in: s.in, nodes: append([]labelSet(nil), s.nodes...), count: append([]int(nil), s.count...)}
	return c
}

// pairCost is what contracting nodes i and j would produce.
type pairCost struct {
	result   labelSet
	union    labelSet
	flops    float64
	elements float64
}

// cost evaluates contracting i and j; a label of the union is kept when the
// output or a node other than i and j holds it.
func (s *state) cost(i, j int) pairCost {
	a, b := s.nodes[i], s.nodes[j]
	u := newLabelSet(s.in.words)
	u.or(a, b)
	r := newLabelSet(s.in.words)
	summed := false
	u.forEach(func(l int) {
		others := s.count[l]
		if a.has(l) {
			others--
		}
		if b.has(l) {
			others--
		}
		if others > 0 || s.in.out.has(l) {
			r.add(l)
		} else {
			summed = true
		}
	})
	f := s.in.prod(u)
	if summed {
		f *= 2
	}
	return pairCost{result: r, union: u, flops: f, elements: s.in.prod(r)}
}

// apply contracts i and j (any order), removes both, appends the result and
// returns the step.
func (s *state) apply(i, j int) Step {
	if i > j {
		i, j = j, i
	}
	c := s.cost(i, j)
	st := s.step(i, j, c)
	s.nodes[i].forEach(func(l int) { s.count[l]-- })
	s.nodes[j].forEach(func(l int) { s.count[l]-- })
	c.result.forEach(func(l int) { s.count[l]++ })
	nodes := make([]labelSet, 0, len(s.nodes)-1)
	for k, nd := range s.nodes {
		if k != i && k != j {
			nodes = append(nodes, nd)
		}
	}
	s.nodes = append(nodes, c.result)
	return st
}

func (s *state) step(i, j int, c pairCost) Step {
	summed := newLabelSet(s.in.words)
	for w := range summed {
		summed[w] = c.union[w] &^ c.result[w]
	}
	return Step{
		Left: i, Right: j,
		Result:   s.in.ordered(c.result),
		Summed:   s.in.sorted(summed),
		FLOPs:    c.flops,
		Elements: elements(c.elements),
	}
}

// finish assembles a Path from steps, filling the totals.
func (in *instance) finish(method string, steps []Step) Path {
	p := Path{Steps: steps, Method: method, Final: []int{}}
	for _, l := range in.outOrder {
		p.Final = append(p.Final, in.labels[l])
	}
	for k, st := range steps {
		p.FLOPs += st.FLOPs
		if k < len(steps)-1 && st.Elements > p.MaxIntermediate {
			p.MaxIntermediate = st.Elements
		}
	}
	p.OverCap = in.exceeds(p.MaxIntermediate)
	return p
}

// single plans an einsum of at most one operand: nothing to contract, at
// most one reduction of the lone operand to the output's labels.
func (in *instance) single() Path {
	if in.n == 0 {
		return in.finish("single", nil)
	}
	op := in.ops[0]
	if op.equal(in.out) {
		return in.finish("single", nil)
	}
	st := Step{
		Left: 0, Right: -1,
		Result:   in.ordered(in.out),
		FLOPs:    in.prod(op),
		Elements: elements(in.prod(in.out)),
	}
	summed := newLabelSet(in.words)
	for w := range summed {
		summed[w] = op[w] &^ in.out[w]
	}
	st.Summed = in.sorted(summed)
	return in.finish("single", []Step{st})
}

// replay builds the path for a sequence of (i, j) pairs.
func (in *instance) replay(method string, pairs [][2]int) Path {
	s := newState(in)
	steps := make([]Step, 0, len(pairs))
	for _, pr := range pairs {
		steps = append(steps, s.apply(pr[0], pr[1]))
	}
	return in.finish(method, steps)
}
