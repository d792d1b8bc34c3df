package circuit

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// Building: nodes as read become circuits, children first.

// build constructs n after everything it depends on (its children, then
// its arguments' symbols); line is the occurrence that led here (named in a
// cycle error). It walks with an explicit stack, so a chain as deep as the
// file is long cannot overflow the goroutine's stack.
func (p *parser) build(root *pnode, line int) (Circuit, error) {
	type task struct {
		n    *pnode
		next int // the next dependency to visit
	}
	var stack []task
	// visit starts n, or reports it needs no work (built, or a reference).
	visit := func(n *pnode, line int) error {
		if n.ref != nil || n.state == stateDone {
			return nil
		}
		if n.state == stateBuilding {
			return p.errAt(line, "cycle through ident %s", n.key)
		}
		n.state = stateBuilding
		stack = append(stack, task{n: n})
		return nil
	}
	if err := visit(root, line); err != nil {
		return nil, err
	}
	for len(stack) > 0 {
		t := &stack[len(stack)-1]
		n := t.n
		if dep, line, ok := n.dependency(t.next); ok {
			t.next++
			if dep != nil {
				if err := visit(dep, line); err != nil {
					return nil, err
				}
			}
			continue
		}
		stack = stack[:len(stack)-1]
		if err := p.finish(n); err != nil {
			return nil, err
		}
	}
	return root.result(), nil
}

// dependency is n's i'th dependency slot with the line naming it: its
// children in order, then per child the symbol it binds as a Module
// argument (nil for a child that is not one). ok is false past the end.
func (n *pnode) dependency(i int) (dep *pnode, line int, ok bool) {
	k := len(n.children)
	switch {
	case i < k:
		e := n.children[i]
		return e.n, e.line, true
	case i < 2*k:
		if a := n.children[i-k].arg; a != nil {
			return a.sym, a.line, true
		}
		return nil, 0, true
	}
	return nil, 0, false
}

// result is a finished node's circuit.
func (n *pnode) result() Circuit {
	if n.ref != nil {
		return n.ref
	}
	return n.built
}

// finish constructs n, whose dependencies are all built.
func (p *parser) finish(n *pnode) error {
	kids := make([]Circuit, len(n.children))
	for i, e := range n.children {
		kids[i] = e.n.result()
	}
	var args []ModuleArgSpec
	for i, e := range n.children {
		if e.arg == nil {
			continue
		}
		c := e.arg.sym.result()
		s, ok := c.(*Symbol)
		if !ok {
			return p.errAt(e.arg.line, "argument %d of Module %s binds %s, which is a %s, not a Symbol", i, n.key, e.arg.sym.key, c.Kind())
		}
		args = append(args, ModuleArgSpec{Symbol: s, Batchable: e.arg.flags[0], Expandable: e.arg.flags[1], BanNonSymbolicSizeExpand: e.arg.flags[2]})
	}
	p.curLine = n.defLine
	c, err := p.construct(n, kids, args)
	if err != nil {
		return p.errAt(n.defLine, "%w", err)
	}
	if n.ad && n.name == "" && c.Name() != "" {
		// AD with no name: the constructor's automatic name must go.
		c = c.Rename("")
	}
	if n.hasShape && !slices.Equal(n.shape, c.Shape()) {
		return p.errAt(n.defLine, "shape %s given, but the computed shape is %s", FormatShape(n.shape, nil), FormatShape(c.Shape(), nil))
	}
	for _, o := range n.shapeChecks {
		if !slices.Equal(o.li.shape, c.Shape()) {
			return p.errAt(o.line, "shape %s given for ident %s, but its computed shape is %s", FormatShape(o.li.shape, nil), n.key, FormatShape(c.Shape(), nil))
		}
		if len(o.li.named) > 0 && !maps.Equal(o.li.named, n.named) {
			return p.errAt(o.line, "named axes %s given for ident %s differ from its definition's %s", FormatShape(o.li.shape, o.li.named), n.key, FormatShape(c.Shape(), n.named))
		}
	}
	if n.ad || len(n.named) > 0 {
		c = c.WithInfo(n.named, n.ad)
	}
	if n.sameAs != nil && !Equal(c, n.sameAs) {
		return p.errAt(n.defLine, "%s differs from the reference circuit of that name (%s %s)", n.key, n.sameAs.Kind(), FormatShape(n.sameAs.Shape(), nil))
	}
	n.state, n.built = stateDone, c
	return nil
}

// construct calls the kind's constructor.
func (p *parser) construct(n *pnode, kids []Circuit, args []ModuleArgSpec) (Circuit, error) {
	k, name, x := n.kind, n.name, n.extra
	count := func(want int) error {
		if len(kids) != want {
			return fmt.Errorf("%s takes %d children, got %d", k, want, len(kids))
		}
		return nil
	}
	needShape := func() error {
		if !n.hasShape {
			return fmt.Errorf("%s needs its shape on the line, like [2,3]", k)
		}
		return nil
	}
	noExtra := func() error {
		if x != "" {
			return fmt.Errorf("%s takes no text after the kind, got %q", k, x)
		}
		return nil
	}
	var first Circuit
	if len(kids) > 0 {
		first = kids[0]
	}
	switch k {
	case KindArray:
		if err := count(0); err != nil {
			return nil, err
		}
		return p.array(n)
	case KindScalar:
		if err := firstErr(count(0), needShape()); err != nil {
			return nil, err
		}
		if x == "" {
			return nil, fmt.Errorf("Scalar needs a value after the kind")
		}
		v, err := ParseNumber(numericText(x))
		if err != nil {
			return nil, fmt.Errorf("Scalar: %w", err)
		}
		return wrap(NewScalar(v, n.shape, name))
	case KindSymbol:
		if err := firstErr(count(0), needShape()); err != nil {
			return nil, err
		}
		uuid := x
		switch x {
		case "":
			uuid = nilUUID
		case "rand":
			uuid = NewUUID()
		}
		return wrap(NewSymbol(n.shape, uuid, name))
	case KindAdd:
		if err := noExtra(); err != nil {
			return nil, err
		}
		return wrap(NewAdd(name, kids...))
	case KindEinsum:
		// checked first for the message; NewEinsumSpec keeps the letters
		if _, _, _, err := parseEinsumText(x); err != nil {
			return nil, fmt.Errorf("Einsum: %w", err)
		}
		return wrap(NewEinsumSpec(name, x, kids...))
	case KindRearrange:
		if err := count(1); err != nil {
			return nil, err
		}
		sp, err := ParseRearrangeSpec(x)
		if err != nil {
			return nil, err
		}
		return wrap(NewRearrange(name, sp, first))
	case KindIndex, KindScatter:
		if err := count(1); err != nil {
			return nil, err
		}
		if k == KindScatter {
			if err := needShape(); err != nil {
				return nil, err
			}
		}
		idx, err := p.parseIndexText(x, first)
		if err != nil {
			return nil, err
		}
		if k == KindIndex {
			return wrap(NewIndex(name, idx, first))
		}
		return wrap(NewScatter(name, idx, n.shape, first))
	case KindConcat:
		axis, err := strconv.Atoi(numericText(x))
		if err != nil {
			return nil, fmt.Errorf("Concat needs an integer axis after the kind, got %q", x)
		}
		return wrap(NewConcat(name, axis, kids...))
	case KindGeneralFunction:
		if x == "" {
			return nil, fmt.Errorf("GeneralFunction needs a function name after the kind")
		}
		return wrap(NewGeneralFunction(name, x, kids...))
	case KindTag:
		if err := count(1); err != nil {
			return nil, err
		}
		if x == "" {
			return nil, fmt.Errorf("Tag needs a uuid after the kind")
		}
		return wrap(NewTag(name, x, first))
	case KindCumulant:
		if err := noExtra(); err != nil {
			return nil, err
		}
		return wrap(NewCumulant(name, kids...))
	case KindDiscreteVar:
		if err := firstErr(count(2), noExtra()); err != nil {
			return nil, err
		}
		return wrap(NewDiscreteVar(name, kids[0], kids[1]))
	case KindStoredCumulantVar:
		orders, uuid, err := parseStoredCumulantExtra(x)
		if err != nil {
			return nil, err
		}
		if err := count(len(orders)); err != nil {
			return nil, err
		}
		m := make(map[int]Circuit, len(orders))
		for i, o := range orders {
			if m[o] != nil {
				return nil, fmt.Errorf("StoredCumulantVar: cumulant order %d given twice", o)
			}
			m[o] = kids[i]
		}
		if uuid == "" {
			return nil, fmt.Errorf("StoredCumulantVar needs a uuid after the |")
		}
		return wrap(NewStoredCumulantVar(name, m, uuid))
	case KindModule:
		if err := noExtra(); err != nil {
			return nil, err
		}
		if len(kids) == 0 {
			return nil, fmt.Errorf("Module needs its spec circuit as the first child")
		}
		m, err := NewModule(name, kids[0], args, kids[1:]...)
		if err == nil && !p.opts.ModuleAllowUnusedInputs {
			err = m.CheckAllInputsUsed()
		}
		if err != nil {
			return nil, err
		}
		return m, nil
	}
	return nil, fmt.Errorf("unknown kind %v", k)
}

// wrap turns a typed constructor result into a Circuit without making a
// non-nil interface out of a nil pointer.
func wrap[T Circuit](c T, err error) (Circuit, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// label names a node being read in messages: its quoted name when it has
// one (as constructor errors do), else its ident.
func (n *pnode) label() string {
	if n.name != "" {
		return strconv.Quote(n.name)
	}
	return n.key.String()
}

// array resolves an Array line: rand, a random draw for a hash, or a stored tensor.
func (p *parser) array(n *pnode) (Circuit, error) {
	x := n.extra
	if x == "rand" {
		return p.randArray(n, "rand", n.key.String())
	}
	if x == "" {
		return nil, fmt.Errorf("Array %s needs a tensor hash prefix or rand after the kind", n.label())
	}
	prefix := strings.ToLower(x)
	if strings.Trim(prefix, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("Array %s: %q is neither a hex tensor hash prefix nor rand", n.label(), x)
	}
	if p.opts.RandomTensors && p.opts.Store == nil {
		return p.randArray(n, "hash", prefix)
	}
	if p.opts.Store == nil {
		return p.unresolvedArray(n, prefix, "there is no tensor store")
	}
	t, _, err := p.opts.Store.Resolve(prefix)
	if p.opts.RandomTensors && errors.Is(err, ErrNotStored) {
		return p.randArray(n, "hash", prefix)
	}
	if errors.Is(err, ErrNotStored) {
		return p.unresolvedArray(n, prefix, err.Error())
	}
	if err != nil {
		return nil, fmt.Errorf("Array %s: %w", n.label(), err)
	}
	if t == nil {
		return nil, fmt.Errorf("Array %s: the tensor store returned no tensor for %s", n.label(), prefix)
	}
	a, err := NewArray(t, n.name)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(a.ContentHash, prefix) {
		return nil, fmt.Errorf("Array %s: the tensor store returned a tensor whose hash %s does not start with %s", n.label(), a.ContentHash, prefix)
	}
	return a, nil
}

// unresolvedArray keeps an Array whose tensor is not at hand by its hash
// and the shape on its line; only evaluating it needs the values.
func (p *parser) unresolvedArray(n *pnode, prefix, why string) (Circuit, error) {
	if !n.hasShape {
		return nil, fmt.Errorf("Array %s: tensor %s is not loaded (%s) and the line gives no shape", n.label(), prefix, why)
	}
	return wrap(NewUnresolvedArray(n.shape, prefix, n.name))
}

func (p *parser) randArray(n *pnode, what, text string) (Circuit, error) {
	if !n.hasShape {
		return nil, fmt.Errorf("Array %s needs its shape on the line to draw random values", n.label())
	}
	size, err := tensor.NumElements(n.shape)
	if err != nil {
		return nil, fmt.Errorf("Array %s: %w", n.label(), err)
	}
	if err := p.drawRandom(size); err != nil {
		return nil, fmt.Errorf("Array %s: random array of shape %s: %w", n.label(), FormatShape(n.shape, nil), err)
	}
	// Draws are float32 whatever dtype evaluates them (evaluation casts), so
	// one line has one tensor and one hash in every command.
	return wrap(RandArray(n.shape, RandomSeed(p.opts.Seed, what, text), tensor.Float32, n.name))
}

// RandomSeed derives the seed of a random Array drawn by the parser from the
// user's seed, what kind of line it is ("rand" or "hash") and the text that
// identifies it (the ident as printed for rand, the hash prefix for hash).
func RandomSeed(seed uint64, what, text string) uint64 {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write([]byte("circopt-random-array\x00"))
	h.Write(b[:])
	h.Write([]byte(what + "\x00" + text))
	return binary.LittleEndian.Uint64(h.Sum(nil)[:8])
}

// unsupportedKinds are rust_circuit node kinds circopt has no equivalent
// for; naming them gives a clearer error than "unknown kind".
var unsupportedKinds = map[string]bool{
	"SetSymbolicShape": true, "Conv": true,
}
