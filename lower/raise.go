package lower

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
)

// maxRaisedName bounds the automatic names of raised intermediate nodes.
// Autonaming appends to the child's name for postfix kinds ("x rearrange
// rearrange ..."), so a long chain would otherwise carry names quadratic
// in its length; a longer autoname is dropped (the node becomes unnamed).
const maxRaisedName = 120

// Raise translates a program back to circuits, one per output in order,
// each named by its output's name. Values shared in the program are shared
// nodes in the circuits. Program inputs become Symbols named by the input
// name with uuid SymbolUUID(name). An output that is directly an input or a
// constant is wrapped in an identity Rearrange, so the Symbol or Array keeps
// its own name. A gather whose positions are not a constant has no
// circuit form and is an error, as is a program that fails ir.Verify
// (dead values excepted: they are skipped).
func Raise(p *ir.Program) ([]circuit.Circuit, error) {
	if p == nil {
		return nil, fmt.Errorf("raise: nil program")
	}
	// Raising trusts operand types, so ill-formed programs are refused;
	// dead values are merely skipped.
	for _, e := range ir.Verify(p) {
		if ve, ok := e.(*ir.VerifyError); ok && ve.Dead {
			continue
		}
		return nil, fmt.Errorf("raise: invalid program: %w", e)
	}
	r := &raiser{p: p, memo: map[int]circuit.Circuit{}}
	// Only values some output needs are raised; leaves are raised on first
	// use, so an i64 gather index never becomes an Array of its own.
	live := map[int]bool{}
	for _, o := range p.Outputs {
		live[o.ID] = true
	}
	for i := len(p.Values) - 1; i >= 0; i-- {
		v := p.Values[i]
		if live[v.ID] {
			for _, o := range v.Operands {
				live[o] = true
			}
		}
	}
	for _, v := range p.Values {
		if !live[v.ID] || isLeaf(v.Op) {
			continue
		}
		if _, err := r.get(v.ID); err != nil {
			return nil, err
		}
	}
	out := make([]circuit.Circuit, len(p.Outputs))
	for i, o := range p.Outputs {
		c, err := r.get(o.ID)
		if err != nil {
			return nil, err
		}
		if k := c.Kind(); k == circuit.KindSymbol || k == circuit.KindArray {
			if c, err = circuit.NewRearrange("", identitySpec(c.Rank()), c); err != nil {
				return nil, fmt.Errorf("raise output %q: %w", o.Name, err)
			}
		}
		out[i] = c.Rename(o.Name)
	}
	return out, nil
}

func isLeaf(op ir.Op) bool { return op == ir.OpInput || op == ir.OpConst || op == ir.OpScalar }

type raiser struct {
	p    *ir.Program
	memo map[int]circuit.Circuit
}

// get returns the circuit of value id, raising it if needed. Non-leaf
// values are raised in program order by Raise, so the recursion here is
// at most one level deep (into leaves).
func (r *raiser) get(id int) (circuit.Circuit, error) {
	if c, ok := r.memo[id]; ok {
		return c, nil
	}
	v := r.p.Value(id)
	if v == nil {
		return nil, fmt.Errorf("raise: value %%%d is not defined", id)
	}
	ops := make([]circuit.Circuit, len(v.Operands))
	for i, o := range v.Operands {
		if v.Op == ir.OpGather && i == 1 {
			continue // positions are read from the constant directly
		}
		c, err := r.get(o)
		if err != nil {
			return nil, err
		}
		ops[i] = c
	}
	c, err := r.value(v, ops)
	if err != nil {
		return nil, fmt.Errorf("raise %v: %w", v, err)
	}
	if !isLeaf(v.Op) && len(c.Name()) > maxRaisedName {
		c = c.Rename("")
	}
	r.memo[id] = c
	return c, nil
}

// unaryFunctions maps IR ops to GeneralFunction specs of another name.
var unaryFunctions = map[ir.Op]string{
	ir.OpReduceMax: "max",
	ir.OpReduceMin: "min",
}

func (r *raiser) value(v *ir.Value, ops []circuit.Circuit) (circuit.Circuit, error) {
	shape := v.Shape()
	switch v.Op {
	case ir.OpInput:
		name := v.Attrs.String("name")
		return circuit.NewSymbol(shape, SymbolUUID(name), name)
	case ir.OpConst:
		t := r.p.Consts[v.Attrs.String("hash")]
		return circuit.NewArray(t, "")
	case ir.OpScalar:
		return circuit.NewScalar(v.Attrs.Float("value"), shape, "")
	case ir.OpAdd:
		return circuit.NewAdd("", ops...)
	case ir.OpMul:
		return circuit.Mul("", ops...)
	case ir.OpPow:
		return circuit.NewGeneralFunction("", "pow", ops...)
	case ir.OpEinsum:
		return raiseEinsum(v, ops)
	case ir.OpReshape:
		return reshapeCircuit(ops[0], shape)
	case ir.OpPermute:
		return circuit.Permute("", ops[0], v.Attrs.Ints("perm")...)
	case ir.OpBroadcast:
		return broadcastCircuit(ops[0], shape)
	case ir.OpSlice:
		starts, stops := v.Attrs.Ints("starts"), v.Attrs.Ints("stops")
		idx := make([]circuit.AxisIndex, len(starts))
		for i := range starts {
			if starts[i] == 0 && stops[i] == ops[0].Shape()[i] {
				idx[i] = circuit.All()
			} else {
				idx[i] = circuit.Slice(starts[i], stops[i])
			}
		}
		return circuit.NewIndex("", idx, ops[0])
	case ir.OpSelect:
		ax := v.Attrs.Int("axis")
		idx := make([]circuit.AxisIndex, ax+1)
		for i := range ax {
			idx[i] = circuit.All()
		}
		idx[ax] = circuit.Int(v.Attrs.Int("index"))
		return circuit.NewIndex("", idx, ops[0])
	case ir.OpGather:
		iv := r.p.Value(v.Operands[1])
		if iv.Op != ir.OpConst {
			return nil, fmt.Errorf("%w: gather positions %%%d are %s, not a constant: a circuit Index needs them fixed", ErrUnsupported, iv.ID, iv.Op)
		}
		pos := r.p.Consts[iv.Attrs.String("hash")].Int64s()
		ax := v.Attrs.Int("axis")
		idx := make([]circuit.AxisIndex, ax+1)
		for i := range ax {
			idx[i] = circuit.All()
		}
		idx[ax] = circuit.Positions(pos...)
		return circuit.NewIndex("", idx, ops[0])
	case ir.OpConcat:
		return circuit.NewConcat("", v.Attrs.Int("axis"), ops...)
	case ir.OpScatter:
		starts := v.Attrs.Ints("starts")
		idx := make([]circuit.AxisIndex, len(starts))
		for i, s := range starts {
			idx[i] = circuit.Slice(s, s+ops[0].Shape()[i])
		}
		return circuit.NewScatter("", idx, shape, ops[0])
	case ir.OpScale:
		return circuit.ScalarMul("", ops[0], v.Attrs.Float("factor"))
	case ir.OpNeg:
		return circuit.ScalarMul("", ops[0], -1)
	case ir.OpSum:
		axes := v.Attrs.Ints("axes")
		if len(axes) == 0 { // sum over no axes is the identity; circuit.Sum would sum all
			return circuit.Permute("", ops[0], identityPerm(ops[0].Rank())...)
		}
		return circuit.Sum("", ops[0], axes...)
	}
	spec, ok := unaryFunctions[v.Op]
	if !ok {
		spec = string(v.Op)
	}
	if _, ok := circuit.LookupFunction(spec); !ok {
		return nil, fmt.Errorf("%w: no circuit form for op %q", ErrUnsupported, v.Op)
	}
	return circuit.NewGeneralFunction("", spec, ops...)
}

// raiseEinsum keeps the IR spec's labels. Labels only in the output
// broadcast in the IR but are not allowed in a circuit Einsum, so they get
// an extra all-ones Scalar operand carrying them (multiplying by 1 is exact).
func raiseEinsum(v *ir.Value, ops []circuit.Circuit) (circuit.Circuit, error) {
	spec, err := ir.ParseEinsum(v.Attrs.String("spec"), len(ops))
	if err != nil {
		return nil, err
	}
	in := map[int]bool{}
	for _, ls := range spec.In {
		for _, l := range ls {
			in[l] = true
		}
	}
	var extra, extraShape []int
	for j, l := range spec.Out {
		if !in[l] {
			in[l] = true
			extra = append(extra, l)
			extraShape = append(extraShape, v.Shape()[j])
		}
	}
	axes := spec.In
	if len(extra) > 0 {
		ones, err := circuit.NewScalar(1, extraShape, "")
		if err != nil {
			return nil, err
		}
		axes = append(append([][]int(nil), axes...), extra)
		ops = append(append([]circuit.Circuit(nil), ops...), ones)
	}
	return circuit.NewEinsum("", axes, spec.Out, ops...)
}

func identityPerm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}
