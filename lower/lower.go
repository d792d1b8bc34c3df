package lower

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// Options configure Lower.
type Options struct {
	// DType of every float value in the program: tensor.Float32 (the
	// default, as Evaluate) or tensor.Float64.
	DType tensor.DType
}

// Lower translates roots into one program. Root i becomes an output named
// by the root's name, or "output<i>" when it is unnamed; a name already
// taken gets the suffix "#2", "#3" and so on.
func Lower(roots []circuit.Circuit, opts Options) (*ir.Program, error) {
	dt := opts.DType
	if dt == 0 {
		dt = tensor.Float32
	}
	if !dt.IsFloat() {
		return nil, fmt.Errorf("lower: dtype must be float32 or float64, got %v", dt)
	}
	l := &lowerer{
		b:      ir.NewBuilder(),
		dt:     dt,
		memo:   map[circuit.Hash]int{},
		inputs: map[string]*circuit.Symbol{},
	}
	ids := make([]int, len(roots))
	for i, r := range roots {
		if r == nil {
			return nil, fmt.Errorf("lower: root %d is nil", i)
		}
		// sampling nodes lower as the expectation Evaluate computes
		x, err := circuit.Explicit(r)
		if err != nil {
			return nil, fmt.Errorf("lower: %w", err)
		}
		id, err := l.lower(x)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	used := map[string]bool{}
	for i, r := range roots {
		base := r.Name()
		if base == "" {
			base = "output" + strconv.Itoa(i)
		}
		name := base
		for k := 2; used[name]; k++ {
			name = base + "#" + strconv.Itoa(k)
		}
		used[name] = true
		if err := l.b.Output(name, ids[i]); err != nil {
			return nil, fmt.Errorf("lower: %w", err)
		}
	}
	return l.b.Build(), nil
}

// lowerer holds one Lower call's state.
type lowerer struct {
	b      *ir.Builder
	dt     tensor.DType
	memo   map[circuit.Hash]int
	inputs map[string]*circuit.Symbol // input name -> the symbol that claimed it
}

func (l *lowerer) typ(shape []int) ir.Type {
	return ir.Type{DType: l.dt, Shape: slices.Clone(shape)}
}

// lower returns the id of c's value, lowering c's subtree on first sight.
func (l *lowerer) lower(c circuit.Circuit) (int, error) {
	if id, ok := l.memo[c.Hash()]; ok {
		return id, nil
	}
	id, err := l.node(c)
	if err != nil {
		return -1, err
	}
	l.memo[c.Hash()] = id
	return id, nil
}

// children lowers every child of c (not for Module, whose children are its
// spec and arguments rather than operands).
func (l *lowerer) children(c circuit.Circuit) ([]int, error) {
	ids := make([]int, len(c.Children()))
	for i, ch := range c.Children() {
		id, err := l.lower(ch)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// errorf names the node the failure is about; %w in format wraps.
func errorf(c circuit.Circuit, format string, args ...any) error {
	return fmt.Errorf("lower %s: "+format, append([]any{circuit.Label(c)}, args...)...)
}

func (l *lowerer) node(c circuit.Circuit) (int, error) {
	if m, ok := c.(*circuit.Module); ok {
		return l.lower(m.Substitute())
	}
	if g, ok := c.(*circuit.GeneralFunction); ok {
		if s, ok := g.GenIndex(); ok {
			return l.genIndex(g, s) // its index becomes a const, not a value
		}
	}
	kids, err := l.children(c)
	if err != nil {
		return -1, err
	}
	id, err := l.emit(c, kids)
	if err != nil {
		return -1, errorf(c, "%w", err)
	}
	return id, nil
}

// emit appends the ops for c given its children's value ids.
func (l *lowerer) emit(c circuit.Circuit, kids []int) (int, error) {
	b := l.b
	switch n := c.(type) {
	case *circuit.Array:
		t, err := n.Tensor()
		if err != nil {
			return -1, err
		}
		if t.DType() != l.dt {
			return b.Const(t.Cast(l.dt))
		}
		return b.ConstHashed(t, n.ContentHash)
	case *circuit.Scalar:
		return b.Scalar(n.Value, l.typ(n.Shape()))
	case *circuit.Symbol:
		return l.input(n)
	case *circuit.Add:
		switch len(kids) {
		case 0:
			return b.Scalar(0, l.typ(nil))
		case 1:
			// a one-term sum is its term (same shape: nothing to broadcast against)
			return kids[0], nil
		}
		return b.Add(ir.OpAdd, nil, kids...)
	case *circuit.Einsum:
		if len(kids) == 0 {
			return b.Scalar(1, l.typ(nil))
		}
		return b.Add(ir.OpEinsum, ir.Attrs{"spec": n.Spec()}, kids...)
	case *circuit.Rearrange:
		return l.rearrange(n, kids[0])
	case *circuit.Index:
		return l.index(n, kids[0])
	case *circuit.Concat:
		return b.Add(ir.OpConcat, ir.Attrs{"axis": n.Axis}, kids...)
	case *circuit.GeneralFunction:
		op, err := functionOp(n.Spec)
		if err != nil {
			return -1, err
		}
		return b.Add(op, nil, kids...)
	case *circuit.Scatter:
		return b.AddTyped(ir.OpScatter, ir.Attrs{"starts": n.Starts()}, l.typ(n.Shape()), kids[0])
	case *circuit.Tag:
		return kids[0], nil
	}
	return -1, fmt.Errorf("%w: no lowering for node kind %s", ErrUnsupported, c.Kind())
}

// input maps a symbol to a program input. Two different symbols may not
// claim the same input name, since the runtime binds inputs by name.
func (l *lowerer) input(s *circuit.Symbol) (int, error) {
	name := s.Name()
	if name == "" {
		name = s.UUID
	}
	if old, ok := l.inputs[name]; ok && old.Hash() != s.Hash() {
		return -1, &InputConflictError{Input: name, First: old, Second: s}
	}
	l.inputs[name] = s
	return l.b.Input(name, l.typ(s.Shape()))
}

// functionOps maps GeneralFunction specs whose IR op has another name.
var functionOps = map[string]ir.Op{
	"max": ir.OpReduceMax,
	"min": ir.OpReduceMin,
}

func functionOp(spec string) (ir.Op, error) {
	op, ok := functionOps[spec]
	if !ok {
		op = ir.Op(spec)
	}
	if _, ok := ir.Lookup(op); !ok {
		return "", fmt.Errorf("%w: function %q has no IR op", ErrUnsupported, spec)
	}
	return op, nil
}
