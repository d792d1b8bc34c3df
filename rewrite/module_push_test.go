package rewrite

import (
	"slices"
	"testing"

	"github.com/circopt/circopt/circuit"
)

// a module over a symbolic-size symbol, called with a batched argument
func batchedModule(t *testing.T) (*circuit.Module, *circuit.Symbol, *circuit.Symbol) {
	t.Helper()
	x := must(circuit.NewSymbol([]int{circuit.SymbolicSize(0)}, "11111111-1111-4111-8111-111111111111", "x"))
	w := must(circuit.NewSymbol([]int{circuit.SymbolicSize(0), 2}, "22222222-2222-4222-8222-222222222222", "w"))
	xw := must(circuit.NewEinsumSpec("xw", "a,ab->b", x, w))
	relu := must(circuit.NewGeneralFunction("r", "relu", xw))
	spec := must(circuit.NewAdd("spec", relu, must(circuit.NewScalar(1, []int{2}, "one"))))
	m := must(circuit.NewModule("m", spec, []circuit.ModuleArgSpec{circuit.DefaultArgSpec(x), circuit.DefaultArgSpec(w)},
		rnd(t, "xin", 1, 4, 3), rnd(t, "win", 2, 3, 2)))
	return m, x, w
}

func TestModuleConform(t *testing.T) {
	m, _, _ := batchedModule(t)
	if !slices.Equal(m.Shape(), []int{4, 2}) {
		t.Fatalf("module shape %v", m.Shape())
	}
	r := fires(t, ModuleConform, m).(*circuit.Module)
	// the symbols take the arguments' shapes; uuids and names stay
	if got := r.ArgSpecs[0].Symbol; !slices.Equal(got.Shape(), []int{4, 3}) || got.UUID != "11111111-1111-4111-8111-111111111111" || got.Name() != "x" {
		t.Errorf("conformed x: %s %v", got.UUID, got.Shape())
	}
	if got := r.ArgSpecs[1].Symbol.Shape(); !slices.Equal(got, []int{3, 2}) {
		t.Errorf("conformed w: %v", got)
	}
	if !slices.Equal(r.SpecCircuit.Shape(), []int{4, 2}) {
		t.Errorf("conformed spec shape %v", r.SpecCircuit.Shape())
	}
	if _, again, err := ModuleConform(r); again || err != nil {
		t.Errorf("conform is not idempotent: %v %v", again, err)
	}
}

func TestModulePushDown(t *testing.T) {
	m, _, _ := batchedModule(t)
	one := fires(t, ModulePushDown, m)
	// the spec's root (an Add) comes out; its relu child is a Module binding both symbols, "one" is not
	if one.Kind() != circuit.KindAdd || one.Name() != "spec" {
		t.Fatalf("pushed down once: %s", show(one))
	}
	kid := one.Children()[0]
	if kid.Kind() != circuit.KindModule || kid.Name() != "r bind:m" || len(kid.(*circuit.Module).ArgSpecs) != 2 {
		t.Fatalf("first child %s", circuit.Label(kid))
	}
	if one.Children()[1].Kind() != circuit.KindScalar {
		t.Fatalf("second child %s", circuit.Label(one.Children()[1]))
	}
	// to a fixed point every Module is pushed into the leaves and disappears
	all, n, err := Apply(m, []string{"module_push_down"}, nil)
	if err != nil || n < 3 {
		t.Fatalf("push down everywhere: %v after %d", err, n)
	}
	circuit.Walk([]circuit.Circuit{all}, func(c circuit.Circuit) {
		if c.Kind() == circuit.KindModule || c.Kind() == circuit.KindSymbol {
			t.Errorf("%s left after pushing modules all the way down", circuit.Label(c))
		}
	})
	sameValue(t, m, all)
	// the module whose argument x is used only by one child: that child's
	// module binds only x
	xs := must(circuit.NewSymbol([]int{3}, "", "xs"))
	ys := must(circuit.NewSymbol([]int{3}, "", "ys"))
	sp := must(circuit.NewAdd("sp", must(circuit.NewGeneralFunction("ex", "exp", xs)), ys))
	m2 := must(circuit.NewModule("m2", sp, []circuit.ModuleArgSpec{circuit.DefaultArgSpec(xs), circuit.DefaultArgSpec(ys)}, rnd(t, "a", 3, 3), rnd(t, "b", 4, 3)))
	p := fires(t, ModulePushDown, m2)
	if k := p.Children()[0].(*circuit.Module); len(k.ArgSpecs) != 1 || !circuit.Equal(k.ArgSpecs[0].Symbol, xs) {
		t.Errorf("exp child binds %d symbols", len(k.ArgSpecs))
	}
	if !circuit.Equal(p.Children()[1], m2.Args()[1]) {
		t.Errorf("a child that is a bound symbol is not its argument: %s", show(p.Children()[1]))
	}
}
