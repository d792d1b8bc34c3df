package interp

import (
	"fmt"
	"slices"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// kernel computes one value from its operands' tensors. dt is the run dtype
// for float results.
type kernel func(p *ir.Program, v *ir.Value, args []*tensor.Tensor, dt tensor.DType) (*tensor.Tensor, error)

var kernels map[ir.Op]kernel

func init() {
	kernels = map[ir.Op]kernel{
		ir.OpConst:  kConst,
		ir.OpScalar: kScalar,
		ir.OpAdd: func(_ *ir.Program, _ *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
			return tensor.AddN(a)
		},
		ir.OpMul:    binary(tensor.OpMul),
		ir.OpPow:    binary(tensor.OpPow),
		ir.OpEinsum: kEinsum,
		ir.OpReshape: func(_ *ir.Program, v *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
			return a[0].Reshape(v.Shape())
		},
		ir.OpPermute: func(_ *ir.Program, v *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
			return a[0].Permute(v.Attrs.Ints("perm"))
		},
		ir.OpBroadcast: func(_ *ir.Program, v *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
			return a[0].BroadcastTo(v.Shape())
		},
		ir.OpSlice: kSlice,
		ir.OpSelect: func(_ *ir.Program, v *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
			return a[0].Select(v.Attrs.Int("axis"), v.Attrs.Int("index"))
		},
		ir.OpGather: kGather,
		ir.OpConcat: func(_ *ir.Program, v *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
			return tensor.Concat(a, v.Attrs.Int("axis"))
		},
		ir.OpScatter: func(_ *ir.Program, v *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
			return tensor.PadInto(a[0], v.Shape(), v.Attrs.Ints("starts"))
		},
		ir.OpScale: func(_ *ir.Program, v *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
			return tensor.Scale(a[0], v.Attrs.Float("factor")), nil
		},
		ir.OpSoftmax: func(_ *ir.Program, _ *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
			return tensor.Softmax(a[0], -1)
		},
		ir.OpLogSoftmax: func(_ *ir.Program, _ *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
			return tensor.LogSoftmax(a[0], -1)
		},
		ir.OpReduceMax: func(_ *ir.Program, _ *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
			return tensor.ReduceMax(a[0], -1, false)
		},
		ir.OpReduceMin: func(_ *ir.Program, _ *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
			return tensor.ReduceMin(a[0], -1, false)
		},
		ir.OpLastDimSize: kLastDimSize,
		ir.OpSum: func(_ *ir.Program, v *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
			return tensor.Sum(a[0], v.Attrs.Ints("axes"), false)
		},
	}
	for _, op := range ir.UnaryOps {
		f := unaryFuncs[op]
		kernels[op] = func(_ *ir.Program, _ *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
			return tensor.Map(a[0], f), nil
		}
	}
}

func binary(op tensor.BinaryOp) kernel {
	return func(_ *ir.Program, _ *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
		return tensor.Binary(op, a[0], a[1])
	}
}

// ValueDType is the dtype a value is computed in: the run dtype dt for
// floats, the declared dtype (int64) otherwise.
func ValueDType(v *ir.Value, dt tensor.DType) tensor.DType {
	if v.DType().IsFloat() {
		return dt
	}
	return v.DType()
}

func kConst(p *ir.Program, v *ir.Value, _ []*tensor.Tensor, dt tensor.DType) (*tensor.Tensor, error) {
	c := p.Consts[v.Attrs.String("hash")]
	if c == nil {
		return nil, fmt.Errorf("constant is not in the constant table")
	}
	return c, nil
}

func kScalar(_ *ir.Program, v *ir.Value, _ []*tensor.Tensor, dt tensor.DType) (*tensor.Tensor, error) {
	return tensor.Full(ValueDType(v, dt), v.Shape(), v.Attrs.Float("value"))
}

func kLastDimSize(_ *ir.Program, v *ir.Value, a []*tensor.Tensor, dt tensor.DType) (*tensor.Tensor, error) {
	return tensor.Full(ValueDType(v, dt), v.Shape(), float64(a[0].Dim(a[0].Rank()-1)))
}

func kEinsum(_ *ir.Program, v *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
	spec, err := ir.ParseEinsum(v.Attrs.String("spec"), len(a))
	if err != nil {
		return nil, err
	}
	shapes := make([][]int, len(a))
	for i, t := range a {
		shapes[i] = t.Shape()
	}
	sizes, err := spec.Sizes(shapes, v.Shape())
	if err != nil {
		return nil, err
	}
	return tensor.Einsum(a, spec.In, spec.Out, sizes)
}

func kSlice(_ *ir.Program, v *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
	t := a[0]
	starts, stops := v.Attrs.Ints("starts"), v.Attrs.Ints("stops")
	if len(starts) != t.Rank() || len(stops) != t.Rank() {
		return nil, fmt.Errorf("slice bounds do not match rank %d", t.Rank())
	}
	var err error
	for ax := range starts {
		if starts[ax] == 0 && stops[ax] == t.Dim(ax) {
			continue
		}
		if t, err = t.Slice(ax, starts[ax], stops[ax]); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func kGather(_ *ir.Program, v *ir.Value, a []*tensor.Tensor, _ tensor.DType) (*tensor.Tensor, error) {
	if a[1].DType() != tensor.Int64 {
		return nil, fmt.Errorf("gather index has dtype %v, want int64", a[1].DType())
	}
	return tensor.Gather(a[0], v.Attrs.Int("axis"), a[1].Int64s())
}

// EvalValue computes one non-input value from its operands' tensors
// (constants come from p's table), converting float results to dt and
// checking the declared shape. The runtime's reference executor runs every
// value through it and constant folding uses it, so a folded value equals
// what the reference executor would have produced.
func EvalValue(p *ir.Program, v *ir.Value, args []*tensor.Tensor, dt tensor.DType) (*tensor.Tensor, error) {
	if !dt.IsFloat() {
		return nil, fmt.Errorf("run dtype must be float32 or float64, got %v", dt)
	}
	if v.Op == ir.OpInput {
		return nil, fmt.Errorf("%v: inputs are bound at run time", v)
	}
	k, ok := kernels[v.Op]
	if !ok {
		return nil, fmt.Errorf("%v: no kernel for op %q", v, v.Op)
	}
	def, _ := ir.Lookup(v.Op)
	if def != nil {
		if def.Variadic && len(args) < def.Arity || !def.Variadic && len(args) != def.Arity {
			return nil, fmt.Errorf("%v: %d operand tensors", v, len(args))
		}
	}
	for i, a := range args {
		if a == nil {
			return nil, fmt.Errorf("%v: operand %d has no tensor", v, i)
		}
	}
	t, err := k(p, v, args, dt)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", v, err)
	}
	if want := ValueDType(v, dt); t.DType() != want {
		t = t.Cast(want)
	}
	if !slices.Equal(t.Shape(), v.Shape()) {
		return nil, fmt.Errorf("%v: kernel produced shape %v", v, t.Shape())
	}
	return t, nil
}
