package circopt_test

import (
	"strings"
	"testing"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// mlp builds relu(x·W1ᵀ + b1)·W2ᵀ with x a [batch,8] Symbol.
func mlp(t *testing.T) (circuit.Circuit, *circuit.Symbol) {
	t.Helper()
	x, err := circuit.NewSymbol([]int{16, 8}, "", "x")
	if err != nil {
		t.Fatal(err)
	}
	w1, _ := circuit.RandArray([]int{32, 8}, 1, tensor.Float64, "w1")
	b1, _ := circuit.RandArray([]int{32}, 2, tensor.Float64, "b1")
	w2, _ := circuit.RandArray([]int{4, 32}, 3, tensor.Float64, "w2")
	h, err := circuit.Linear("h", x, w1, b1)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := circuit.NewGeneralFunction("r", "relu", h)
	out, err := circuit.Linear("out", r, w2, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out, x
}

func TestPlanRunsManyTimes(t *testing.T) {
	out, _ := mlp(t)
	plan, err := circopt.Compile([]circuit.Circuit{out}, circopt.Options{DType: tensor.Float64, Check: true})
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(0); seed < 3; seed++ {
		xv, _ := tensor.RandN(tensor.Float64, []int{16, 8}, seed)
		bind := map[string]*tensor.Tensor{"x": xv}
		got, stats, err := plan.Run(bind)
		if err != nil {
			t.Fatal(err)
		}
		want, err := circuit.Evaluate(out, circuit.EvalOptions{DType: tensor.Float64, Bindings: bind})
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.AllClose(got[0], want, 1e-9, 1e-12) {
			abs, rel, _ := tensor.Compare(got[0], want)
			t.Errorf("seed %d: compiled differs from naive (abs %g rel %g)", seed, abs, rel)
		}
		if stats.PeakBytes <= 0 {
			t.Errorf("no measured peak")
		}
	}
	if _, _, err := plan.Run(nil); err == nil || !strings.Contains(err.Error(), "unbound") {
		t.Errorf("running without x: %v", err)
	}
}

// TestEvaluateManySharesWork compiles ablation variants together: the
// unablated first layer is computed once across them.
func TestEvaluateManySharesWork(t *testing.T) {
	out, x := mlp(t)
	var variants []circuit.Circuit
	for i := 0; i < 10; i++ {
		// scale the second layer's input by i: everything below it is shared
		h := out.Children()[0]
		s, err := circuit.ScalarMul("", h, float64(i))
		if err != nil {
			t.Fatal(err)
		}
		v, err := out.WithChildren([]circuit.Circuit{s, out.Children()[1]})
		if err != nil {
			t.Fatal(err)
		}
		variants = append(variants, v.Rename(""))
	}
	xv, _ := tensor.RandN(tensor.Float64, x.Shape(), 7)
	bind := map[string]*tensor.Tensor{"x": xv}
	plan, err := circopt.Compile(variants, circopt.Options{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := plan.Run(bind)
	if err != nil {
		t.Fatal(err)
	}
	want, err := circuit.EvaluateAll(variants, circuit.EvalOptions{DType: tensor.Float64, Bindings: bind})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if !tensor.AllClose(got[i], want[i], 1e-9, 1e-12) {
			t.Errorf("variant %d differs", i)
		}
	}
	einsums := 0
	for _, v := range plan.Program.Values {
		if v.Op == "einsum" {
			einsums++
		}
	}
	// one first layer, and one second layer per distinct scale at most
	if einsums > 1+len(variants) {
		t.Errorf("%d einsums for %d variants: the first layer was not shared\n%s", einsums, len(variants), plan.Program)
	}
}

func TestMaxMemoryRefuses(t *testing.T) {
	out, _ := mlp(t)
	_, err := circopt.Compile([]circuit.Circuit{out}, circopt.Options{DType: tensor.Float64, MaxMemory: 64})
	if err == nil {
		t.Fatal("a 64-byte budget was accepted")
	}
	if _, err := circopt.Compile([]circuit.Circuit{out}, circopt.Options{DType: tensor.Float64, MaxMemory: 1 << 20}); err != nil {
		t.Errorf("a 1 MiB budget was refused: %v", err)
	}
}
