package circuit

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/circopt/circopt/tensor"
)

// reluLinear is the spec relu(W·x) for W [4,3] and a symbol x [3].
func reluLinear(t *testing.T) (Circuit, *Symbol, *Array) {
	W := randArr(t, "W", 41, 4, 3)
	x := mkSym(t, "x", 3)
	h := must(NewEinsumSpec("h", "ab,b->a", W, x))
	return must(NewGeneralFunction("f", "relu", h)), x, W
}

func TestModuleSubstitution(t *testing.T) {
	spec, x, W := reluLinear(t)
	arg := mkArr(t, "in", []int{3}, 1, -2, 0.5)
	m := must(NewModule("", spec, []ModuleArgSpec{DefaultArgSpec(x)}, arg))
	if !slices.Equal(m.Shape(), []int{4}) {
		t.Fatalf("shape %v", m.Shape())
	}
	if m.Name() != "f(in)" {
		t.Errorf("autoname %q, want %q", m.Name(), "f(in)")
	}
	w := W.Value.Float64s()
	want := make([]float64, 4)
	for o := 0; o < 4; o++ {
		s := w[o*3]*1 + w[o*3+1]*-2 + w[o*3+2]*0.5
		want[o] = max(s, 0)
	}
	checkValue(t, m, []int{4}, want)
	// the substituted circuit has no free symbol and the same value
	sub := m.Substitute()
	if len(FreeSymbols(sub)) != 0 {
		t.Error("substitution left a free symbol")
	}
	checkValue(t, sub, []int{4}, want)
	if len(FreeSymbols(m)) != 0 {
		t.Error("module reports its bound symbol as free")
	}
	if d := cmp.Diff([]Circuit{arg}, m.Args(), cmp.Comparer(Equal)); d != "" {
		t.Error(d)
	}
	// binding the symbol instead of calling gives the same value
	_, bound := eval64(t, spec, map[string]*tensor.Tensor{"x": arg.Value})
	if d := cmp.Diff(want, bound, approx); d != "" {
		t.Error(d)
	}
	// flags
	if f := DefaultArgSpec(x).Flags(); f != "ttt" {
		t.Errorf("default flags %q", f)
	}
	if f := (ModuleArgSpec{Symbol: x, Batchable: true}).Flags(); f != "tff" {
		t.Errorf("flags %q", f)
	}
	// flags are part of the identity
	m2 := must(NewModule("", spec, []ModuleArgSpec{{Symbol: x, Batchable: true, Expandable: true}}, arg))
	if Equal(m, m2) {
		t.Error("modules with different arg flags hash equal")
	}
	// WithChildren rebuilds over a new argument
	arg2 := mkArr(t, "in2", []int{3}, 0, 0, 0)
	m3 := must(m.WithChildren([]Circuit{spec, arg2}))
	checkValue(t, m3, []int{4}, []float64{0, 0, 0, 0})
	if _, err := m.WithChildren([]Circuit{spec}); err == nil {
		t.Error("WithChildren with a missing argument accepted")
	}
}

func TestModuleBatching(t *testing.T) {
	spec, x, _ := reluLinear(t)
	batch := randArr(t, "batch", 42, 5, 3)
	m := must(NewModule("call", spec, []ModuleArgSpec{DefaultArgSpec(x)}, batch))
	if !slices.Equal(m.Shape(), []int{5, 4}) {
		t.Fatalf("shape %v, want [5,4]", m.Shape())
	}
	_, got := eval64(t, m, nil)
	bv := batch.Value.Float64s()
	for r := 0; r < 5; r++ {
		row := mkArr(t, "row", []int{3}, bv[r*3:r*3+3]...)
		one := must(NewModule("", spec, []ModuleArgSpec{DefaultArgSpec(x)}, row))
		_, want := eval64(t, one, nil)
		if d := cmp.Diff(want, got[r*4:r*4+4], approx); d != "" {
			t.Errorf("row %d (-single +batched):\n%s", r, d)
		}
	}
	// two batch dims
	b2 := randArr(t, "b2", 43, 2, 5, 3)
	m2 := must(NewModule("", spec, []ModuleArgSpec{DefaultArgSpec(x)}, b2))
	if !slices.Equal(m2.Shape(), []int{2, 5, 4}) {
		t.Fatalf("shape %v, want [2,5,4]", m2.Shape())
	}
	_, got2 := eval64(t, m2, nil)
	b2v := b2.Value.Float64s()
	for r := 0; r < 10; r++ {
		row := mkArr(t, "row", []int{3}, b2v[r*3:r*3+3]...)
		_, want := eval64(t, must(NewModule("", spec, []ModuleArgSpec{DefaultArgSpec(x)}, row)), nil)
		if d := cmp.Diff(want, got2[r*4:r*4+4], approx); d != "" {
			t.Errorf("row %d (-single +batched):\n%s", r, d)
		}
	}
}

func TestModuleTwoArgs(t *testing.T) {
	// spec: softmax(a + b) with a [3] batchable and b [3] not batchable
	a, b := mkSym(t, "a", 3), mkSym(t, "b", 3)
	spec := must(NewGeneralFunction("", "softmax", must(NewAdd("", a, b))))
	av := randArr(t, "av", 44, 2, 3)
	bv := mkArr(t, "bv", []int{3}, 1, 0, -1)
	m := must(NewModule("", spec, []ModuleArgSpec{DefaultArgSpec(a), {Symbol: b}}, av, bv))
	if !slices.Equal(m.Shape(), []int{2, 3}) {
		t.Fatalf("shape %v", m.Shape())
	}
	if m.Name() != "softmax(a + b)(av, bv)" {
		t.Errorf("autoname %q", m.Name())
	}
	_, got := eval64(t, m, nil)
	avs := av.Value.Float64s()
	for r := 0; r < 2; r++ {
		row := mkArr(t, "row", []int{3}, avs[r*3:r*3+3]...)
		_, want := eval64(t, must(NewModule("", spec, []ModuleArgSpec{DefaultArgSpec(a), {Symbol: b}}, row, bv)), nil)
		if d := cmp.Diff(want, got[r*3:r*3+3], approx); d != "" {
			t.Errorf("row %d:\n%s", r, d)
		}
	}
	// both batched with the same batch shape
	bb := randArr(t, "bb", 45, 2, 3)
	m2 := must(NewModule("", spec, []ModuleArgSpec{DefaultArgSpec(a), DefaultArgSpec(b)}, av, bb))
	_, got2 := eval64(t, m2, nil)
	bbs := bb.Value.Float64s()
	for r := 0; r < 2; r++ {
		ra := mkArr(t, "ra", []int{3}, avs[r*3:r*3+3]...)
		rb := mkArr(t, "rb", []int{3}, bbs[r*3:r*3+3]...)
		_, want := eval64(t, must(NewModule("", spec, []ModuleArgSpec{DefaultArgSpec(a), DefaultArgSpec(b)}, ra, rb)), nil)
		if d := cmp.Diff(want, got2[r*3:r*3+3], approx); d != "" {
			t.Errorf("row %d:\n%s", r, d)
		}
	}
	// different batch shapes are refused
	_, err := NewModule("M", spec, []ModuleArgSpec{DefaultArgSpec(a), DefaultArgSpec(b)}, av, randArr(t, "b4", 46, 4, 3))
	wantErr(t, err, "Module \"M\"", "batch")
}

func TestModuleErrors(t *testing.T) {
	spec, x, _ := reluLinear(t)
	y := mkSym(t, "y", 3)
	batch := randArr(t, "batch", 42, 5, 3)
	cases := []struct {
		name  string
		specs []ModuleArgSpec
		args  []Circuit
		frag  []string
	}{
		{"not batchable", []ModuleArgSpec{{Symbol: x, Expandable: true}}, []Circuit{batch}, []string{"not batchable", "[5]"}},
		{"rank below symbol", []ModuleArgSpec{DefaultArgSpec(x)}, []Circuit{mkArr(t, "s", []int{}, 1)}, []string{"rank 0"}},
		{"wrong size, not expandable", []ModuleArgSpec{{Symbol: x, Batchable: true}}, []Circuit{iotaArr(t, "z", 5, 2)}, []string{"[5,2]", "[3]"}},
		{"wrong size, expandable", []ModuleArgSpec{DefaultArgSpec(x)}, []Circuit{iotaArr(t, "z", 2)}, []string{"Module \"M\""}},
		{"bound twice", []ModuleArgSpec{DefaultArgSpec(x), DefaultArgSpec(x)}, []Circuit{batch, batch}, []string{"twice"}},
		{"count mismatch", []ModuleArgSpec{DefaultArgSpec(x)}, nil, []string{"1 arg specs for 0"}},
		{"nil symbol", []ModuleArgSpec{{}}, []Circuit{batch}, []string{"nil"}},
		{"nil argument", []ModuleArgSpec{DefaultArgSpec(x)}, []Circuit{nil}, []string{"nil"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewModule("M", spec, tc.specs, tc.args...)
			wantErr(t, err, append([]string{"Module \"M\""}, tc.frag...)...)
		})
	}
	// an unused input is allowed on construction, as in rust_circuit, and
	// CheckAllInputsUsed (what the parser applies) reports it
	m, err := NewModule("M", spec, []ModuleArgSpec{DefaultArgSpec(x), DefaultArgSpec(y)}, batch, batch)
	if err != nil {
		t.Fatalf("unused input refused: %v", err)
	}
	wantErr(t, m.CheckAllInputsUsed(), "Module \"M\"", "\"y\"", "not used")
	if _, err := NewModule("M", nil, nil); err == nil {
		t.Error("nil spec accepted")
	}
}

func TestNestedModules(t *testing.T) {
	// inner(u) = relu(W·u); outer(v) = inner(v) + v[:4]... with v [4]: outer(v) = inner(v[0:3]) * 2 + v
	inner, u, W := reluLinear(t)
	v := mkSym(t, "v", 4)
	vHead := must(NewIndex("vh", []AxisIndex{Slice(0, 3)}, v))
	call := must(NewModule("call", inner, []ModuleArgSpec{DefaultArgSpec(u)}, vHead))
	outerSpec := must(NewAdd("outer", must(ScalarMul("", call, 2)), v))
	arg := mkArr(t, "arg", []int{4}, 1, 2, -1, 3)
	m := must(NewModule("", outerSpec, []ModuleArgSpec{DefaultArgSpec(v)}, arg))
	w := W.Value.Float64s()
	av := arg.Value.Float64s()
	want := make([]float64, 4)
	for o := 0; o < 4; o++ {
		h := w[o*3]*av[0] + w[o*3+1]*av[1] + w[o*3+2]*av[2]
		want[o] = 2*max(h, 0) + av[o]
	}
	checkValue(t, m, []int{4}, want)
	if n := len(FreeSymbols(m)); n != 0 {
		t.Errorf("%d free symbols", n)
	}
	// batched through both levels
	batch := randArr(t, "batch", 47, 3, 4)
	mb := must(NewModule("", outerSpec, []ModuleArgSpec{DefaultArgSpec(v)}, batch))
	if !slices.Equal(mb.Shape(), []int{3, 4}) {
		t.Fatalf("shape %v", mb.Shape())
	}
	_, got := eval64(t, mb, nil)
	bs := batch.Value.Float64s()
	for r := 0; r < 3; r++ {
		row := mkArr(t, "row", []int{4}, bs[r*4:r*4+4]...)
		_, want := eval64(t, must(NewModule("", outerSpec, []ModuleArgSpec{DefaultArgSpec(v)}, row)), nil)
		if d := cmp.Diff(want, got[r*4:r*4+4], approx); d != "" {
			t.Errorf("row %d:\n%s", r, d)
		}
	}
	// the inner symbol stays bound: evaluating the outer spec needs only v
	_, err := Evaluate(outerSpec, EvalOptions{})
	wantErr(t, err, "unbound", "\"v\"")
}
