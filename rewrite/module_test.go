package rewrite

import (
	"testing"

	"github.com/circopt/circopt/circuit"
)

// Simp rewrites a Module's arguments but leaves its spec circuit alone:
// simplifying x·0 in the spec would drop the use of the symbol x and make
// the Module invalid.
func TestSimpModule(t *testing.T) {
	sym := must(circuit.NewSymbol([]int{3}, "", "sym"))
	zero := must(circuit.NewScalar(0, nil, ""))
	spec := must(circuit.NewAdd("spec", must(circuit.NewEinsumSpec("", "a,->a", sym, zero)), sym))
	x, y := rnd(t, "x", 1, 3), rnd(t, "y", 2, 3)
	arg := must(circuit.NewAdd("arg", must(circuit.NewAdd("", x, y)), x))
	m := must(circuit.NewModule("call", spec, []circuit.ModuleArgSpec{circuit.DefaultArgSpec(sym)}, arg))
	res, err := Simp(m, SimpOptions{Include: AggressiveSimpRuleNames()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != FixedPoint {
		t.Fatalf("%s", res)
	}
	r := res.Circuit.(*circuit.Module)
	if !circuit.Equal(r.SpecCircuit, spec) {
		t.Fatalf("spec changed: %s", show(r.SpecCircuit))
	}
	if got, want := show(r.Args()[0]), "(+ (einsum a,->a x 2) y)"; got != want {
		t.Fatalf("arg %s, want %s", got, want)
	}
	sameValue(t, m, r)
	if r.Name() != "call" {
		t.Fatalf("name %q", r.Name())
	}
}
