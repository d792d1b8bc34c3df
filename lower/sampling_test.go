package lower

import (
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// Sampling circuits lower as their expectation, and the compiled values
// equal the naive evaluator's.
func TestLowerSamplingCircuits(t *testing.T) {
	g := try(circuit.NewTag("", "11111111-1111-1111-1111-111111111111", arr(t, "p", []int{3}, .2, .3, .5))).of(t)
	x := try(circuit.NewDiscreteVar("x", randArr(t, "v", 1, 3, 4), g)).of(t)
	s := sym(t, "s", 4)
	relu := try(circuit.NewGeneralFunction("", "relu", try(circuit.NewAdd("", x, s)).of(t))).of(t)
	k2 := try(circuit.NewCumulant("k2", x, relu)).of(t)
	k3 := try(circuit.NewCumulant("k3", x, x, x)).of(t)
	m := randArr(t, "m", 2, 4)
	v := randArr(t, "var", 3, 4, 4)
	scv := try(circuit.NewStoredCumulantVar("scv", map[int]circuit.Circuit{1: m, 2: v}, "")).of(t)
	mixed := try(circuit.NewAdd("mixed", scv, relu)).of(t)
	bind := map[string]*tensor.Tensor{"s": f64(t, []int{4}, 0.5, -1, 2, -0.25)}
	roundTrip(t, []circuit.Circuit{relu, k2, k3, try(circuit.NewCumulant("", scv, scv)).of(t), mixed}, bind)
	// an unsupported expectation is a lowering error naming the node
	bad := try(circuit.NewGeneralFunction("badrelu", "relu", scv)).of(t)
	if _, err := Lower([]circuit.Circuit{bad}, Options{}); err == nil {
		t.Error("lowered a nonlinear function of a StoredCumulantVar")
	}
}
