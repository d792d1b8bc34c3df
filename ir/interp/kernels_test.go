package interp

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

func TestEvalValueForFolding(t *testing.T) {
	b := ir.NewBuilder()
	s, _ := b.Scalar(3, ir.Type{DType: tensor.Float32, Shape: []int{2}})
	e, err := b.Add(ir.OpSigmoid, nil, s)
	if err != nil {
		t.Fatal(err)
	}
	p := b.Build()
	st, err := EvalValue(p, p.Value(s), nil, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	got, err := EvalValue(p, p.Value(e), []*tensor.Tensor{st}, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	want := 1 / (1 + math.Exp(-3))
	if got.DType() != tensor.Float64 || !slices.Equal(got.Shape(), []int{2}) || math.Abs(got.Float64s()[0]-want) > 1e-15 {
		t.Errorf("sigmoid(3) = %v %v %v, want f64[2] %v", got.DType(), got.Shape(), got.Float64s(), want)
	}
	if _, err := EvalValue(p, p.Value(e), nil, tensor.Float64); err == nil || !strings.Contains(err.Error(), "sigmoid") {
		t.Errorf("missing operands: %v", err)
	}
	if _, err := EvalValue(p, p.Value(s), nil, tensor.Int64); err == nil {
		t.Errorf("int run dtype accepted")
	}
}

// TestEvalValueChecksShape: a value declaring a shape its kernel does not
// produce is an error naming the value, not a silently reshaped result.
func TestEvalValueChecksShape(t *testing.T) {
	x, _ := tensor.FromFloat64([]int{2, 3}, []float64{1, 2, 3, 4, 5, 6})
	v := &ir.Value{ID: 4, Op: ir.OpPermute, Attrs: ir.Attrs{"perm": []int{1, 0}}, Operands: []int{0},
		Type: ir.Type{DType: tensor.Float64, Shape: []int{2, 3}}}
	if _, err := EvalValue(nil, v, []*tensor.Tensor{x}, tensor.Float64); err == nil || !strings.Contains(err.Error(), "%4") {
		t.Errorf("wrong declared shape: %v", err)
	}
}

func TestUnaryFuncCoversUnaryOps(t *testing.T) {
	for _, op := range ir.UnaryOps {
		if _, ok := UnaryFunc(op); !ok {
			t.Errorf("no scalar function for %s", op)
		}
	}
}
