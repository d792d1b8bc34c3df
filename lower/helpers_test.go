package lower

import (
	"fmt"
	"math"
	"slices"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

const (
	rtol = 1e-9
	atol = 1e-12
)

// fatalf is the part of testing.TB (and *rapid.T) the helpers need.
type fatalf interface {
	Helper()
	Fatalf(format string, args ...any)
}

// result carries a (value, error) pair so that try(f(...)).of(t) can
// check a two-result call in one expression.
type result[T any] struct {
	v   T
	err error
}

func try[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) of(t fatalf) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%v", r.err)
	}
	return r.v
}

func f64(t fatalf, shape []int, data ...float64) *tensor.Tensor {
	t.Helper()
	return try(tensor.FromFloat64(shape, data)).of(t)
}

func arr(t fatalf, name string, shape []int, data ...float64) *circuit.Array {
	t.Helper()
	return try(circuit.NewArray(f64(t, shape, data...), name)).of(t)
}

func randArr(t fatalf, name string, seed uint64, shape ...int) *circuit.Array {
	t.Helper()
	return try(circuit.RandArray(shape, seed, tensor.Float64, name)).of(t)
}

func sym(t fatalf, name string, shape ...int) *circuit.Symbol {
	t.Helper()
	return try(circuit.NewSymbol(shape, "", name)).of(t)
}

// closeTo compares two tensors elementwise with rtol/atol; NaNs must match
// NaNs and infinities must be equal.
func closeTo(got, want *tensor.Tensor) error {
	if !slices.Equal(got.Shape(), want.Shape()) {
		return fmt.Errorf("shape %v, want %v", got.Shape(), want.Shape())
	}
	g, w := got.Float64s(), want.Float64s()
	for i := range w {
		a, b := g[i], w[i]
		switch {
		case math.IsNaN(a) || math.IsNaN(b):
			if !(math.IsNaN(a) && math.IsNaN(b)) {
				return fmt.Errorf("element %d: got %v, want %v", i, a, b)
			}
		case math.IsInf(a, 0) || math.IsInf(b, 0):
			if a != b {
				return fmt.Errorf("element %d: got %v, want %v", i, a, b)
			}
		case math.Abs(a-b) > atol+rtol*math.Max(math.Abs(a), math.Abs(b)):
			return fmt.Errorf("element %d: got %v, want %v (diff %g)", i, a, b, a-b)
		}
	}
	return nil
}

// roundTrip is what every value claim checks: Lower(roots) is a valid
// program whose runtime values equal the naive evaluator's, output i
// belongs to root i, and Raise of the program evaluates (naively) to the
// same values again, as does lowering the raised circuits. It returns the
// program.
func roundTrip(t fatalf, roots []circuit.Circuit, bind map[string]*tensor.Tensor) *ir.Program {
	t.Helper()
	p, err := Lower(roots, Options{DType: tensor.Float64})
	if err != nil {
		t.Fatalf("lower: %v", err)
	}
	if errs := ir.Verify(p); len(errs) > 0 {
		t.Fatalf("lowered program does not verify: %v\n%s", errs, p)
	}
	if len(p.Outputs) != len(roots) {
		t.Fatalf("%d outputs for %d roots", len(p.Outputs), len(roots))
	}
	got, _, err := runtime.Run(p, bind, tensor.Float64)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, p)
	}
	want := make([]*tensor.Tensor, len(roots))
	for i, r := range roots {
		want[i], err = circuit.Evaluate(r, circuit.EvalOptions{DType: tensor.Float64, Bindings: bind})
		if err != nil {
			t.Fatalf("evaluate root %d: %v", i, err)
		}
		if err := closeTo(got[p.Outputs[i].Name], want[i]); err != nil {
			t.Fatalf("root %d (%s), output %q: runtime vs naive: %v\n%s", i, circuit.Label(r), p.Outputs[i].Name, err, p)
		}
	}
	raised, err := Raise(p)
	if err != nil {
		t.Fatalf("raise: %v\n%s", err, p)
	}
	for i, c := range raised {
		if c.Name() != p.Outputs[i].Name {
			t.Fatalf("raised output %d named %q, want %q", i, c.Name(), p.Outputs[i].Name)
		}
		v, err := circuit.Evaluate(c, circuit.EvalOptions{DType: tensor.Float64, Bindings: bind})
		if err != nil {
			t.Fatalf("evaluate raised output %q: %v\n%s", c.Name(), err, p)
		}
		if err := closeTo(v, want[i]); err != nil {
			t.Fatalf("raised output %q vs naive original: %v\n%s", c.Name(), err, p)
		}
	}
	p2, err := Lower(raised, Options{DType: tensor.Float64})
	if err != nil {
		t.Fatalf("lower raised: %v", err)
	}
	got2, _, err := runtime.Run(p2, bind, tensor.Float64)
	if err != nil {
		t.Fatalf("run lowered raised: %v\n%s", err, p2)
	}
	for i, o := range p.Outputs {
		if p2.Outputs[i].Name != o.Name {
			t.Fatalf("relowered output %d named %q, want %q", i, p2.Outputs[i].Name, o.Name)
		}
		if err := closeTo(got2[o.Name], want[i]); err != nil {
			t.Fatalf("relowered output %q: %v\n%s", o.Name, err, p2)
		}
	}
	return p
}

// opsOf lists the ops of p's values in order.
func opsOf(p *ir.Program) []ir.Op {
	out := make([]ir.Op, len(p.Values))
	for i, v := range p.Values {
		out[i] = v.Op
	}
	return out
}

// countOp counts the values of p with op.
func countOp(p *ir.Program, op ir.Op) int {
	n := 0
	for _, v := range p.Values {
		if v.Op == op {
			n++
		}
	}
	return n
}
