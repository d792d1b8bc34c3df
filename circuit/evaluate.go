package circuit

import (
	"fmt"
	"sort"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// EvalOptions configure the naive evaluator.
type EvalOptions struct {
	// DType of the computation: tensor.Float32 (the default, as PyTorch) or tensor.Float64.
	DType tensor.DType
	// Bindings give the free Symbols values, keyed by symbol name or uuid
	// as ResolveBindings says; keys that match no free Symbol are ignored.
	Bindings map[string]*tensor.Tensor
}

// Evaluate computes c with the reference semantics. It is plainly correct
// rather than fast: every node is computed once (memoized by hash, so a
// shared subtree is computed once) with the tensor package's reference kernels.
func Evaluate(c Circuit, opts EvalOptions) (*tensor.Tensor, error) {
	out, err := EvaluateAll([]Circuit{c}, opts)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// EvaluateAll evaluates several circuits sharing one memo.
func EvaluateAll(cs []Circuit, opts EvalOptions) ([]*tensor.Tensor, error) {
	if opts.DType == 0 {
		opts.DType = tensor.Float32
	}
	if !opts.DType.IsFloat() {
		return nil, fmt.Errorf("evaluate: dtype must be float32 or float64, got %v", opts.DType)
	}
	bound, err := ResolveBindings(FreeSymbols(cs...), opts.Bindings)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	ev := &evaluator{opts: opts, bound: bound.Values, memo: map[Hash]*tensor.Tensor{}}
	out := make([]*tensor.Tensor, len(cs))
	for i, c := range cs {
		// sampling nodes have no value of their own: evaluate the expectation
		x, err := Explicit(c)
		if err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
		t, err := ev.eval(x)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

// FreeSymbols lists the distinct Symbols reachable from roots that no
// enclosing Module binds, in the order first found (children first). A
// symbol is bound only inside the spec of a Module that lists it among its
// arg specs, so the same symbol may be bound in one place and free in another.
func FreeSymbols(roots ...Circuit) []*Symbol {
	var out []*Symbol
	seen := map[Hash]bool{}
	// bound is the set of symbols bound by the enclosing module specs; a
	// node is walked once per distinct bound set (keyed canonically).
	type visit struct {
		h     Hash
		bound string
	}
	visited := map[visit]bool{}
	var walk func(c Circuit, bound map[Hash]bool, key string)
	walk = func(c Circuit, bound map[Hash]bool, key string) {
		v := visit{c.Hash(), key}
		if visited[v] {
			return
		}
		visited[v] = true
		m, isModule := c.(*Module)
		for i, ch := range c.Children() {
			if isModule && i == 0 {
				inner, innerKey := bindModuleArgs(bound, m)
				walk(ch, inner, innerKey)
				continue
			}
			walk(ch, bound, key)
		}
		if s, ok := c.(*Symbol); ok && !seen[s.Hash()] && !bound[s.Hash()] {
			seen[s.Hash()] = true
			out = append(out, s)
		}
	}
	for _, r := range roots {
		walk(r, map[Hash]bool{}, "")
	}
	return out
}

// bindModuleArgs returns bound plus m's arg symbols, and a canonical key
// for the resulting set.
func bindModuleArgs(bound map[Hash]bool, m *Module) (map[Hash]bool, string) {
	inner := make(map[Hash]bool, len(bound)+len(m.ArgSpecs))
	for h := range bound {
		inner[h] = true
	}
	for _, a := range m.ArgSpecs {
		inner[a.Symbol.Hash()] = true
	}
	keys := make([]string, 0, len(inner))
	for h := range inner {
		keys = append(keys, string(h[:]))
	}
	sort.Strings(keys)
	return inner, strings.Join(keys, "")
}

type evaluator struct {
	opts  EvalOptions
	bound map[Hash]*tensor.Tensor // free Symbols' values (ResolveBindings)
	memo  map[Hash]*tensor.Tensor
}

func (ev *evaluator) eval(c Circuit) (*tensor.Tensor, error) {
	if t, ok := ev.memo[c.Hash()]; ok {
		return t, nil
	}
	var kids []*tensor.Tensor
	if c.Kind() != KindModule {
		for _, ch := range c.Children() {
			t, err := ev.eval(ch)
			if err != nil {
				return nil, err
			}
			kids = append(kids, t)
		}
	}
	t, err := ev.node(c, kids)
	if err != nil {
		return nil, err
	}
	if !sameInts(t.Shape(), c.Shape()) {
		return nil, fmt.Errorf("evaluate %s: internal error: value has shape %v, node has %v", Label(c), t.Shape(), c.Shape())
	}
	ev.memo[c.Hash()] = t
	return t, nil
}

func (ev *evaluator) node(c Circuit, kids []*tensor.Tensor) (*tensor.Tensor, error) {
	dt := ev.opts.DType
	wrap := func(err error) error {
		if err == nil {
			return nil
		}
		return fmt.Errorf("evaluate %s: %v", Label(c), err)
	}
	switch n := c.(type) {
	case *Array:
		v, err := n.Tensor()
		if err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
		if v.DType() == dt {
			return v, nil
		}
		return v.Cast(dt), nil
	case *Scalar:
		t, err := tensor.Full(dt, n.Shape(), n.Value)
		return t, wrap(err)
	case *Symbol:
		t, ok := ev.bound[n.Hash()]
		if !ok {
			return nil, fmt.Errorf("evaluate: %w", UnboundError([]*Symbol{n}))
		}
		if t.DType() != dt {
			t = t.Cast(dt)
		}
		return t, nil
	case *Add:
		if len(kids) == 0 {
			return tensor.ScalarOf(dt, 0), nil
		}
		t, err := tensor.AddN(kids)
		if err != nil {
			return nil, wrap(err)
		}
		if !sameInts(t.Shape(), n.Shape()) {
			t, err = t.BroadcastTo(n.Shape())
		}
		return t, wrap(err)
	case *Einsum:
		if len(kids) == 0 {
			return tensor.ScalarOf(dt, 1), nil
		}
		t, err := tensor.Einsum(kids, n.Axes, n.Out, n.LabelSizes())
		return t, wrap(err)
	case *Rearrange:
		t, err := applyRearrange(kids[0], n.Spec, n.sizes)
		return t, wrap(err)
	case *Index:
		t, err := applyIndex(kids[0], n.Idx)
		return t, wrap(err)
	case *Concat:
		t, err := tensor.Concat(kids, n.Axis)
		return t, wrap(err)
	case *GeneralFunction:
		t, err := applyFunction(n, kids)
		return t, wrap(err)
	case *Scatter:
		t, err := tensor.PadInto(kids[0], n.Shape(), n.Starts())
		return t, wrap(err)
	case *Tag:
		return kids[0], nil
	case *Module:
		return ev.eval(n.Substitute())
	}
	return nil, fmt.Errorf("evaluate: unknown node kind %s", c.Kind())
}

// applyRearrange splits input groups into axis ids, permutes them into
// output order (broadcasting repeat axes), then merges output groups.
func applyRearrange(t *tensor.Tensor, sp RearrangeSpec, sizes []int) (*tensor.Tensor, error) {
	var inIDs, split []int
	for _, g := range sp.In {
		for _, id := range g {
			inIDs = append(inIDs, id)
			split = append(split, sizes[id])
		}
	}
	x, err := t.Reshape(split)
	if err != nil {
		return nil, err
	}
	pos := map[int]int{}
	for i, id := range inIDs {
		pos[id] = i
	}
	var outIDs []int
	for _, g := range sp.Out {
		outIDs = append(outIDs, g...)
	}
	var perm []int
	for _, id := range outIDs {
		if p, ok := pos[id]; ok {
			perm = append(perm, p)
		}
	}
	if x, err = x.Permute(perm); err != nil {
		return nil, err
	}
	// insert size-1 axes for repeats, then broadcast them
	full := make([]int, 0, len(outIDs))
	for i, id := range outIDs {
		if _, ok := pos[id]; !ok {
			if x, err = x.Unsqueeze(i); err != nil {
				return nil, err
			}
		}
		full = append(full, sizes[id])
	}
	if x, err = x.BroadcastTo(full); err != nil {
		return nil, err
	}
	merged := make([]int, len(sp.Out))
	for i, g := range sp.Out {
		p := 1
		for _, id := range g {
			p *= sizes[id]
		}
		merged[i] = p
	}
	return x.Reshape(merged)
}

// applyIndex indexes axis by axis from the last, so earlier axis numbers
// stay valid as Int indexes remove axes.
func applyIndex(t *tensor.Tensor, idx []AxisIndex) (*tensor.Tensor, error) {
	x := t
	for ax := len(idx) - 1; ax >= 0; ax-- {
		a := idx[ax]
		d := x.Shape()[ax]
		var err error
		switch a.Kind {
		case IndexInt:
			var p []int
			if p, err = a.Resolve(d); err == nil {
				x, err = x.Select(ax, p[0])
			}
		case IndexSlice:
			lo, hi := a.sliceBounds(d)
			x, err = x.Slice(ax, lo, hi)
		default:
			x, err = tensor.Gather(x, ax, a.Positions)
		}
		if err != nil {
			return nil, err
		}
	}
	return x, nil
}

func applyFunction(g *GeneralFunction, kids []*tensor.Tensor) (*tensor.Tensor, error) {
	fs := g.FunctionSpec()
	x := kids[0]
	switch {
	case fs.GenIndex != nil:
		return evalGenIndex(g, *fs.GenIndex, kids[0], kids[1])
	case fs.Elementwise != nil:
		return tensor.Map(x, fs.Elementwise), nil
	case g.Spec == "softmax":
		return tensor.Softmax(x, -1)
	case g.Spec == "log_softmax":
		return tensor.LogSoftmax(x, -1)
	case g.Spec == "max":
		return tensor.ReduceMax(x, -1, false)
	case g.Spec == "min":
		return tensor.ReduceMin(x, -1, false)
	case g.Spec == "last_dim_size":
		s := x.Shape()
		return tensor.Full(x.DType(), s[:len(s)-1], float64(s[len(s)-1]))
	case g.Spec == "pow":
		return tensor.Binary(tensor.OpPow, kids[0], kids[1])
	}
	return nil, fmt.Errorf("no evaluation rule for function %q", g.Spec)
}
