package lower

import (
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

// TestLowerDTypes: constants of any dtype are cast to the program dtype
// (as Evaluate casts them), so mixed-dtype circuits lower to well-typed
// programs in either precision.
func TestLowerDTypes(t *testing.T) {
	f32 := try(circuit.RandArray([]int{2, 3}, 1, tensor.Float32, "f32")).of(t)
	i64 := try(circuit.NewArray(try(tensor.FromInt64([]int{3}, []int64{1, -2, 3})).of(t), "i64")).of(t)
	x := sym(t, "x", 2, 3)
	sum := try(circuit.NewAdd("sum", f32, i64, x)).of(t)
	bind := map[string]*tensor.Tensor{"x": try(tensor.RandN(tensor.Float32, []int{2, 3}, 3)).of(t)}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		p := try(Lower([]circuit.Circuit{sum}, Options{DType: dt})).of(t)
		for _, v := range p.Values {
			if v.DType() != dt {
				t.Errorf("%v: value %v has dtype %v", dt, v, v.DType())
			}
		}
		got, _, err := runtime.Run(p, bind, dt)
		if err != nil {
			t.Fatal(err)
		}
		want := try(circuit.Evaluate(sum, circuit.EvalOptions{DType: dt, Bindings: bind})).of(t)
		if got["sum"].DType() != dt || !tensor.AllClose(got["sum"], want, 1e-6, 1e-6) {
			t.Errorf("%v: got %v want %v", dt, got["sum"], want)
		}
	}
}

// TestLowerLinearAgainstGonum checks a lowered linear layer against gonum's
// matrix product, independently of both evaluators.
func TestLowerLinearAgainstGonum(t *testing.T) {
	const n, in, out = 7, 5, 4
	xs := try(tensor.RandN(tensor.Float64, []int{n, in}, 21)).of(t)
	ws := try(tensor.RandN(tensor.Float64, []int{out, in}, 22)).of(t)
	bs := try(tensor.RandN(tensor.Float64, []int{out}, 23)).of(t)
	x := sym(t, "x", n, in)
	w := try(circuit.NewArray(ws, "w")).of(t)
	b := try(circuit.NewArray(bs, "b")).of(t)
	lin := try(circuit.Linear("lin", x, w, b)).of(t)
	p := try(Lower([]circuit.Circuit{lin}, Options{DType: tensor.Float64})).of(t)
	if countOp(p, ir.OpEinsum) != 1 || countOp(p, ir.OpAdd) != 1 {
		t.Errorf("linear should lower to one einsum and one add:\n%s", p)
	}
	got, _, err := runtime.Run(p, map[string]*tensor.Tensor{"x": xs}, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	var prod mat.Dense
	prod.Mul(mat.NewDense(n, in, xs.Float64s()), mat.NewDense(out, in, ws.Float64s()).T())
	bias := bs.Float64s()
	want := make([]float64, 0, n*out)
	for i := range n {
		for j := range out {
			want = append(want, prod.At(i, j)+bias[j])
		}
	}
	if err := closeTo(got["lin"], try(tensor.FromFloat64([]int{n, out}, want)).of(t)); err != nil {
		t.Fatal(err)
	}
}
