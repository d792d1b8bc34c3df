package rewrite

import (
	"testing"

	"github.com/circopt/circopt/circuit"
)

// Simp works inside a Module's spec too (as rust_circuit's simp does):
// x·0 + x becomes x, so the spec is the symbol; the value is unchanged.
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
	if !circuit.Equal(r.SpecCircuit, sym) {
		t.Fatalf("spec not simplified: %s", show(r.SpecCircuit))
	}
	if got, want := show(r.Args()[0]), "(+ (einsum a,->a x 2) y)"; got != want {
		t.Fatalf("arg %s, want %s", got, want)
	}
	sameValue(t, m, r)
	if r.Name() != "call" {
		t.Fatalf("name %q", r.Name())
	}
}

// Substituting all modules, removing unused inputs and eliminating a
// no-input Module keep the value.
func TestDeepModuleOps(t *testing.T) {
	s1 := must(circuit.NewSymbol([]int{3}, "", "s1"))
	s2 := must(circuit.NewSymbol([]int{3}, "", "s2"))
	inner := must(circuit.NewModule("inner", must(circuit.NewEinsumSpec("sq", "a,a->a", s1, s1)), []circuit.ModuleArgSpec{circuit.DefaultArgSpec(s1)}, s2))
	x, y := rnd(t, "x", 1, 3), rnd(t, "y", 2, 3)
	// s1 is unused by the outer spec
	outer := must(circuit.NewModule("outer", inner, []circuit.ModuleArgSpec{circuit.DefaultArgSpec(s2), circuit.DefaultArgSpec(s1)}, x, y))
	r, n, err := Apply(outer, []string{"module_remove_unused_inputs"}, nil)
	if err != nil || n != 1 || len(r.(*circuit.Module).ArgSpecs) != 1 {
		t.Fatalf("remove unused: %v %d", err, n)
	}
	sameValue(t, outer, r)
	flat, _, err := Apply(outer, []string{"module_substitute"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	circuit.Walk([]circuit.Circuit{flat}, func(c circuit.Circuit) {
		if c.Kind() == circuit.KindModule || c.Kind() == circuit.KindSymbol {
			t.Errorf("%s left after substituting all modules", circuit.Label(c))
		}
	})
	sameValue(t, outer, flat)
	empty := must(circuit.NewModule("e", x, nil))
	if r, n, err := Apply(empty, []string{"elim_no_input_module"}, nil); err != nil || n != 1 || !circuit.Equal(r, x) {
		t.Errorf("elim_no_input_module: %v %d", err, n)
	}
}

func TestBatchToConcat(t *testing.T) {
	x, w := rnd(t, "x", 1, 6, 3), rnd(t, "w", 2, 3, 4)
	e := must(circuit.NewEinsumSpec("e", "ab,bc->ac", x, w))
	r, err := BatchToConcat(e, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != circuit.KindConcat || len(r.Children()) != 3 || r.Children()[0].Kind() != circuit.KindEinsum {
		t.Fatalf("got %s", show(r))
	}
	sameValue(t, e, r)
	if _, err := BatchToConcat(e, 0, 4); err == nil {
		t.Error("a batch size that does not divide was accepted")
	}
}
