package circuit

import (
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/circopt/circopt/tensor"
)

// mixedCircuit exercises every evaluable kind in one tree.
func mixedCircuit(t *testing.T) Circuit {
	x := randArr(t, "x", 31, 2, 3)
	w := randArr(t, "w", 32, 4, 3)
	lin := must(Linear("lin", x, w, must(NewScalar(0.25, []int{4}, "bias"))))
	g := must(NewGeneralFunction("", "gelu", lin))
	r := must(NewRearrangeString("", "a (b c:2) -> b a c", g))
	i := must(NewIndex("", []AxisIndex{Positions(1, 0), Int(-1)}, r))
	cat := must(NewConcat("", 0, i, i))
	sc := must(NewScatter("", []AxisIndex{Slice(1, 5)}, []int{6, 2}, cat))
	sm := must(NewGeneralFunction("", "softmax", sc))
	tg := must(NewTag("", "", sm))
	return must(NewGeneralFunction("", "pow", tg, must(NewScalar(2, nil, "two"))))
}

func TestEvaluateDTypes(t *testing.T) {
	c := mixedCircuit(t)
	v64, err := Evaluate(c, EvalOptions{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	v32, err := Evaluate(c, EvalOptions{DType: tensor.Float32})
	if err != nil {
		t.Fatal(err)
	}
	vDefault, err := Evaluate(c, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v64.DType() != tensor.Float64 || v32.DType() != tensor.Float32 || vDefault.DType() != tensor.Float32 {
		t.Fatalf("dtypes %v %v %v", v64.DType(), v32.DType(), vDefault.DType())
	}
	if !slices.Equal(v64.Shape(), []int{6, 2}) || !slices.Equal(v32.Shape(), []int{6, 2}) {
		t.Fatalf("shapes %v %v", v64.Shape(), v32.Shape())
	}
	f32 := v32.Float32s()
	got := make([]float64, len(f32))
	for i, v := range f32 {
		got[i] = float64(v)
	}
	if d := cmp.Diff(v64.Float64s(), got, cmpopts.EquateApprox(1e-5, 1e-6)); d != "" {
		t.Errorf("float32 vs float64 (-64 +32):\n%s", d)
	}
	if d := cmp.Diff(vDefault.Float32s(), f32); d != "" {
		t.Errorf("default dtype differs from float32: %s", d)
	}
	// rows 0 and 5 are zeros scattered in, softmaxed to 0.5 each, squared
	w := v64.Float64s()
	for _, i := range []int{0, 1, 10, 11} {
		if math.Abs(w[i]-0.25) > 1e-12 {
			t.Errorf("padding entry %d = %v, want 0.25", i, w[i])
		}
	}
	if _, err := Evaluate(c, EvalOptions{DType: tensor.Int64}); err == nil {
		t.Error("int64 evaluation accepted")
	}
}

func TestEvaluateArrayDTypeCast(t *testing.T) {
	i64 := must(NewArray(must(tensor.FromInt64([]int{3}, []int64{1, -2, 3})), "i"))
	f32 := must(NewArray(must(tensor.FromFloat32([]int{3}, []float32{0.5, 0.5, 0.5})), "f"))
	sum := must(NewAdd("", i64, f32))
	checkValue(t, sum, []int{3}, []float64{1.5, -1.5, 3.5})
	v, err := Evaluate(sum, EvalOptions{DType: tensor.Float32})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]float32{1.5, -1.5, 3.5}, v.Float32s()); d != "" {
		t.Error(d)
	}
	// a symbol bound to a float32 tensor evaluates in float64 on request
	s := mkSym(t, "s", 2)
	_, got := eval64(t, s, map[string]*tensor.Tensor{"s": must(tensor.FromFloat32([]int{2}, []float32{0.25, 2}))})
	if d := cmp.Diff([]float64{0.25, 2}, got); d != "" {
		t.Error(d)
	}
}

func TestEvaluateMemoizedDAG(t *testing.T) {
	// Each level uses the previous one twice: 2^60 paths, 61 distinct nodes.
	x := mkArr(t, "x", []int{2}, 1, -3)
	var c Circuit = x
	const depth = 60
	for i := 0; i < depth; i++ {
		if i%2 == 0 {
			c = must(NewAdd("", c, c))
		} else {
			// (c + c) * 0.5: uses c twice and keeps the values bounded
			c = must(NewEinsumSpec("", "a,->a", must(NewAdd("", c, c)), must(NewScalar(0.5, nil, "half"))))
		}
	}
	if n := CountNodes(c); n > 3*depth+2 {
		t.Fatalf("CountNodes = %d", n)
	}
	// without the memo the 2^60 paths would never finish: finishing is the check
	_, got := eval64(t, c, nil)
	// 30 doublings (the other 30 levels double then halve)
	want := []float64{math.Ldexp(1, 30), math.Ldexp(-3, 30)}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// the same with every level an Add of the previous level twice
	var d Circuit = x
	for i := 0; i < depth; i++ {
		d = must(NewAdd("", d, d))
	}
	_, got = eval64(t, d, nil)
	if want := []float64{math.Ldexp(1, depth), math.Ldexp(-3, depth)}; !cmp.Equal(want, got) {
		t.Errorf("Add DAG = %v, want %v", got, want)
	}
	if n := CountNodes(d); n != depth+1 {
		t.Errorf("CountNodes = %d, want %d", n, depth+1)
	}
}

func TestEvaluateAll(t *testing.T) {
	x := mkArr(t, "x", []int{2}, 1, 2)
	a := must(NewAdd("a", x, x))
	b := must(NewGeneralFunction("b", "exp", a))
	vs, err := EvaluateAll([]Circuit{b, a, x}, EvalOptions{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 {
		t.Fatalf("%d outputs", len(vs))
	}
	if d := cmp.Diff([]float64{math.Exp(2), math.Exp(4)}, vs[0].Float64s(), approx); d != "" {
		t.Error(d)
	}
	if d := cmp.Diff([]float64{2, 4}, vs[1].Float64s()); d != "" {
		t.Error(d)
	}
	if d := cmp.Diff([]float64{1, 2}, vs[2].Float64s()); d != "" {
		t.Error(d)
	}
	// an error in any root is reported
	s := mkSym(t, "free", 2)
	if _, err := EvaluateAll([]Circuit{a, must(NewAdd("", a, s))}, EvalOptions{}); err == nil {
		t.Error("unbound symbol in the second root not reported")
	}
}

func TestFreeSymbols(t *testing.T) {
	x := mkSym(t, "x", 3)
	y := mkSym(t, "y", 3)
	inner := must(NewGeneralFunction("", "relu", x))
	m := must(NewModule("m", inner, []ModuleArgSpec{DefaultArgSpec(x)}, y))
	root := must(NewAdd("", m, x))
	got := FreeSymbols(root)
	names := map[string]bool{}
	for _, s := range got {
		names[s.Name()] = true
	}
	// x is bound inside the module's spec but also used freely at the root
	if len(got) != 2 || !names["x"] || !names["y"] {
		t.Errorf("FreeSymbols(root) = %v", names)
	}
	got = FreeSymbols(m)
	if len(got) != 1 || got[0].Name() != "y" {
		t.Errorf("FreeSymbols(m) = %d symbols", len(got))
	}
	if len(FreeSymbols(mkArr(t, "a", []int{1}, 1))) != 0 {
		t.Error("an array has free symbols")
	}
}

func TestFreeSymbolsPerModule(t *testing.T) {
	// Module A binds x; module B binds only y but its spec also uses x, so x
	// is free at the root even though some module binds it.
	x, y := mkSym(t, "x", 3), mkSym(t, "y", 3)
	a := must(NewModule("A", must(NewGeneralFunction("", "relu", x)), []ModuleArgSpec{DefaultArgSpec(x)}, mkArr(t, "av", []int{3}, 1, 2, 3)))
	b := must(NewModule("B", must(NewAdd("", x, y)), []ModuleArgSpec{DefaultArgSpec(y)}, mkArr(t, "bv", []int{3}, 1, 1, 1)))
	root := must(NewAdd("root", a, b))
	free := FreeSymbols(root)
	if len(free) != 1 || free[0].Name() != "x" {
		names := []string{}
		for _, s := range free {
			names = append(names, s.Name())
		}
		t.Errorf("FreeSymbols = %v, want [x]", names)
	}
	// and evaluation agrees: x must be bound
	_, err := Evaluate(root, EvalOptions{})
	wantErr(t, err, "unbound", "\"x\"")
	_, got := eval64(t, root, map[string]*tensor.Tensor{"x": must(tensor.FromFloat64([]int{3}, []float64{-1, 0, 1}))})
	if d := cmp.Diff([]float64{1 + 0, 2 + 1, 3 + 2}, got); d != "" {
		t.Error(d)
	}
}

// TestEvaluateStridedViews feeds broadcast (zero-stride) and permuted views
// into every consumer that reshapes, gathers, concatenates or pads.
func TestEvaluateStridedViews(t *testing.T) {
	s := must(NewScalar(2, []int{2, 3}, "s"))
	x := iotaArr(t, "x", 2, 3)
	xt := must(Permute("xt", x, 1, 0)) // [3,2]: 0 3 / 1 4 / 2 5
	rep := must(NewRearrangeString("rep", "a -> a 2", mkArr(t, "v", []int{3}, 1, 2, 3)))
	cases := []struct {
		name  string
		c     Circuit
		shape []int
		want  []float64
	}{
		{"index scalar", must(NewIndex("", []AxisIndex{Positions(1, 0), Slice(1, 3)}, s)), []int{2, 2}, []float64{2, 2, 2, 2}},
		{"merge transposed", must(Flatten("", xt)), []int{6}, []float64{0, 3, 1, 4, 2, 5}},
		{"split transposed", must(NewRearrangeString("", "(a b:3) -> b a", must(Flatten("", xt)))), []int{3, 2}, []float64{0, 4, 3, 2, 1, 5}},
		{"gather transposed", must(NewIndex("", []AxisIndex{Positions(2, 0)}, xt)), []int{2, 2}, []float64{2, 5, 0, 3}},
		{"concat views", must(NewConcat("", 1, xt, must(Permute("", s, 1, 0)))), []int{3, 4}, []float64{0, 3, 2, 2, 1, 4, 2, 2, 2, 5, 2, 2}},
		{"scatter repeat", must(NewScatter("", []AxisIndex{Slice(1, 4)}, []int{4, 2}, rep)), []int{4, 2}, []float64{0, 0, 1, 1, 2, 2, 3, 3}},
		{"softmax of broadcast", must(NewGeneralFunction("", "softmax", s)), []int{2, 3}, []float64{1. / 3, 1. / 3, 1. / 3, 1. / 3, 1. / 3, 1. / 3}},
		{"max of transposed", must(NewGeneralFunction("", "max", xt)), []int{3}, []float64{3, 4, 5}},
		{"einsum of views", must(NewEinsumSpec("", "ab,ba->a", xt, s)), []int{3}, []float64{6, 10, 14}},
		{"relu of repeat", must(NewGeneralFunction("", "relu", rep)), []int{3, 2}, []float64{1, 1, 2, 2, 3, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkValue(t, tc.c, tc.shape, tc.want) })
	}
}
