package lower

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

func lowerOne(t *testing.T, c circuit.Circuit) *ir.Program {
	t.Helper()
	return try(Lower([]circuit.Circuit{c}, Options{DType: tensor.Float64})).of(t)
}

// TestLowerHandWorked checks small circuits against values worked out by
// hand, independently of the naive evaluator.
func TestLowerHandWorked(t *testing.T) {
	a := arr(t, "a", []int{2, 3}, 1, 2, 3, 4, 5, 6)
	b := arr(t, "b", []int{3, 2}, 1, 0, 0, 1, 1, 1)
	x := sym(t, "x", 3)
	bind := map[string]*tensor.Tensor{"x": f64(t, []int{3}, 10, 20, 30)}
	mm := try(circuit.NewEinsumSpec("mm", "ab,bc->ac", a, b)).of(t)
	add := try(circuit.NewAdd("add", a, x)).of(t)
	idx := try(circuit.NewIndex("idx", []circuit.AxisIndex{circuit.Int(1), circuit.Positions(2, 0)}, a)).of(t)
	tr := try(circuit.NewRearrangeString("tr", "a b -> b a", a)).of(t)
	cat := try(circuit.NewConcat("cat", 0, a, a)).of(t)
	sc := try(circuit.NewScatter("sc", []circuit.AxisIndex{circuit.Slice(1, 3)}, []int{4}, try(circuit.NewIndex("", []circuit.AxisIndex{circuit.Int(0), circuit.Slice(0, 2)}, a)).of(t))).of(t)
	mx := try(circuit.NewGeneralFunction("mx", "max", a)).of(t)
	cases := []struct {
		c     circuit.Circuit
		shape []int
		want  []float64
	}{
		// [[1,2,3],[4,5,6]]·[[1,0],[0,1],[1,1]] = [[4,5],[10,11]]
		{mm, []int{2, 2}, []float64{4, 5, 10, 11}},
		{add, []int{2, 3}, []float64{11, 22, 33, 14, 25, 36}},
		{idx, []int{2}, []float64{6, 4}},
		{tr, []int{3, 2}, []float64{1, 4, 2, 5, 3, 6}},
		{cat, []int{4, 3}, []float64{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}},
		{sc, []int{4}, []float64{0, 1, 2, 0}},
		{mx, []int{2}, []float64{3, 6}},
	}
	for _, tc := range cases {
		t.Run(tc.c.Name(), func(t *testing.T) {
			p := lowerOne(t, tc.c)
			out, _, err := runtime.Run(p, bind, tensor.Float64)
			if err != nil {
				t.Fatal(err)
			}
			if err := closeTo(out[tc.c.Name()], f64(t, tc.shape, tc.want...)); err != nil {
				t.Fatalf("%v\n%s", err, p)
			}
			roundTrip(t, []circuit.Circuit{tc.c}, bind)
		})
	}
}

// TestLowerEveryKind lowers one or more circuits of every node kind.
func TestLowerEveryKind(t *testing.T) {
	x := sym(t, "x", 2, 3)
	bind := map[string]*tensor.Tensor{"x": try(tensor.RandN(tensor.Float64, []int{2, 3}, 7)).of(t)}
	a := randArr(t, "a", 1, 2, 3)
	v := randArr(t, "v", 2, 3)
	sq := randArr(t, "sq", 3, 3, 3)
	a6 := randArr(t, "a6", 4, 2, 6)
	var cases []circuit.Circuit
	add := func(c circuit.Circuit, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	add(a, nil)
	add(circuit.NewScalar(2.5, []int{2, 2}, "s"))
	add(x, nil)
	add(circuit.NewAdd("add0"))
	add(circuit.NewAdd("add1", a))
	add(circuit.NewAdd("add3", a, x, v))
	add(circuit.NewAdd("addbc", v, try(circuit.NewScalar(1, []int{4, 1, 1}, "")).of(t)))
	add(circuit.NewEinsumSpec("matmul", "ab,bc->ac", x, sq))
	add(circuit.NewEinsumSpec("diag", "aa->a", sq))
	add(circuit.NewEinsumSpec("trace", "aa->", sq))
	add(circuit.NewEinsumSpec("embed", "a->aa", v))
	add(circuit.NewEinsumSpec("outer", "ab,c->abc", x, v))
	add(circuit.NewEinsum("one", nil, nil))
	add(circuit.NewEinsumSpec("scalarop", "ab,->ab", x, try(circuit.NewScalar(3, nil, "")).of(t)))
	add(circuit.Mean("mean", x, 1))
	for i, spec := range []string{
		"a b -> b a", "a b -> a b", "a (b c:3) -> a b c", "(a b:1) c -> c b a", "a b -> (b a)",
		"a b -> a 4 b", "a b -> (a 2) b", "a b -> () a b ()", "a b -> b () a", "a (b c:3) -> (c a) b",
		"a b -> (a b)", "a b -> 2 (b a)", "a (b:2 c) -> c (a b)",
	} {
		add(circuit.NewRearrangeString(fmt.Sprintf("r%d", i), spec, a6))
	}
	add(circuit.NewIndex("idx", []circuit.AxisIndex{circuit.Slice(-1, 5), circuit.Positions(-1, 0, 0)}, x))
	add(circuit.NewIndex("idxint", []circuit.AxisIndex{circuit.Int(-1), circuit.Int(1)}, x))
	add(circuit.NewIndex("idxempty", []circuit.AxisIndex{circuit.Slice(2, 1), circuit.Positions()}, x))
	add(circuit.NewIndex("idxall", []circuit.AxisIndex{circuit.All()}, x))
	add(circuit.NewConcat("cat", -1, x, a, a6))
	add(circuit.NewConcat("cat0", 0, x, a, sq))
	for _, f := range circuit.FunctionNames() {
		if f == "pow" {
			add(circuit.NewGeneralFunction("f_pow", "pow", try(circuit.NewGeneralFunction("", "exp", x)).of(t), v))
			continue
		}
		add(circuit.NewGeneralFunction("f_"+f, f, x))
	}
	add(circuit.NewScatter("scatter", []circuit.AxisIndex{circuit.Slice(1, 3), circuit.Slice(-4, -1)}, []int{4, 5}, x))
	add(circuit.NewTag("tag", "", x))
	for _, c := range cases {
		t.Run(c.Name(), func(t *testing.T) {
			roundTrip(t, []circuit.Circuit{c}, bind)
		})
	}
	t.Run("all roots in one program", func(t *testing.T) {
		p := roundTrip(t, cases, bind)
		if n := countOp(p, ir.OpInput); n != 1 {
			t.Errorf("%d inputs for the one symbol x, want 1", n)
		}
	})
}

// TestLowerRearrangeSteps pins the op sequence each spec lowers to.
func TestLowerRearrangeSteps(t *testing.T) {
	a := randArr(t, "a", 1, 2, 6)
	for _, tc := range []struct {
		spec string
		ops  []ir.Op
	}{
		{"a b -> a b", nil},
		{"a b -> b a", []ir.Op{"permute"}},
		{"a b -> (a b)", []ir.Op{"reshape"}},
		{"a (b c:3) -> a b c", []ir.Op{"reshape"}},
		{"a (b c:3) -> (a b) c", []ir.Op{"reshape"}}, // split then merge is one reshape
		{"a b -> b () a", []ir.Op{"permute", "reshape"}},
		{"a b -> () a () b", []ir.Op{"reshape"}}, // moving size-1 axes is a reshape
		{"a b -> (b a)", []ir.Op{"permute", "reshape"}},
		{"a (b c:3) -> c a b", []ir.Op{"reshape", "permute"}},
		{"a b -> a b 4", []ir.Op{"reshape", "broadcast"}},
		{"a b -> (a 2) b", []ir.Op{"reshape", "broadcast", "reshape"}},
		{"a b -> a 1 b", []ir.Op{"reshape"}}, // a size-1 repeat needs no broadcast
		{"a b -> 4 b a", []ir.Op{"permute", "reshape", "broadcast"}},
	} {
		r := try(circuit.NewRearrangeString("r", tc.spec, a)).of(t)
		p := lowerOne(t, r)
		got := opsOf(p)[1:] // after the const
		if !slices.Equal(got, tc.ops) {
			t.Errorf("%q: ops %v, want %v\n%s", tc.spec, got, tc.ops, p)
		}
		roundTrip(t, []circuit.Circuit{r}, nil)
	}
}

// TestLowerIndexSteps checks the slice/gather/select decomposition.
func TestLowerIndexSteps(t *testing.T) {
	x := randArr(t, "x", 1, 4, 5, 6)
	idx := try(circuit.NewIndex("i", []circuit.AxisIndex{circuit.Slice(1, 3), circuit.Int(-2), circuit.Positions(5, -6, 2)}, x)).of(t)
	p := lowerOne(t, idx)
	want := []ir.Op{"const", "slice", "const", "gather", "select"}
	if got := opsOf(p); !slices.Equal(got, want) {
		t.Fatalf("ops %v, want %v\n%s", got, want, p)
	}
	sl := p.Values[1]
	if !slices.Equal(sl.Attrs.Ints("starts"), []int{1, 0, 0}) || !slices.Equal(sl.Attrs.Ints("stops"), []int{3, 5, 6}) {
		t.Errorf("slice %v", sl)
	}
	if pos := p.Consts[p.Values[2].Attrs.String("hash")].Int64s(); !slices.Equal(pos, []int64{5, 0, 2}) {
		t.Errorf("gather positions %v, want [5 0 2] (negatives resolved)", pos)
	}
	if s := p.Values[4]; s.Attrs.Int("axis") != 1 || s.Attrs.Int("index") != 3 {
		t.Errorf("select %v, want axis 1 index 3", s)
	}
	roundTrip(t, []circuit.Circuit{idx}, nil)

	// two int axes are selected from the back so axis numbers stay valid
	two := try(circuit.NewIndex("two", []circuit.AxisIndex{circuit.Int(3), circuit.All(), circuit.Int(0)}, x)).of(t)
	p = lowerOne(t, two)
	if a0, a1 := p.Values[1].Attrs.Int("axis"), p.Values[2].Attrs.Int("axis"); a0 != 2 || a1 != 0 {
		t.Errorf("selects on axes %d then %d, want 2 then 0\n%s", a0, a1, p)
	}
	roundTrip(t, []circuit.Circuit{two}, nil)

	// identity indexes emit nothing
	id := try(circuit.NewIndex("id", []circuit.AxisIndex{circuit.All(), circuit.Slice(0, 99), circuit.Positions(0, 1, 2, 3, 4, 5)}, x)).of(t)
	if got := opsOf(lowerOne(t, id)); !slices.Equal(got, []ir.Op{"const"}) {
		t.Errorf("identity index lowered to %v", got)
	}
}

func TestLowerOutputNames(t *testing.T) {
	a := randArr(t, "a", 1, 2)
	b := randArr(t, "", 2, 2)
	c := randArr(t, "", 3, 2)
	a2 := try(circuit.NewGeneralFunction("a", "exp", a)).of(t)
	p := try(Lower([]circuit.Circuit{a, b, a2, c, a, a2}, Options{})).of(t)
	var names []string
	for _, o := range p.Outputs {
		names = append(names, o.Name)
	}
	want := []string{"a", "output1", "a#2", "output3", "a#3", "a#4"}
	if !slices.Equal(names, want) {
		t.Errorf("output names %v, want %v", names, want)
	}
	if p.Outputs[0].ID != p.Outputs[4].ID {
		t.Errorf("the same root twice should name one value twice")
	}
	if got := p.Values[0].DType(); got != tensor.Float32 {
		t.Errorf("default dtype %v, want float32", got)
	}
}

func TestLowerErrors(t *testing.T) {
	x1 := sym(t, "x", 2)
	x2 := sym(t, "x", 2) // same name, another uuid
	_, err := Lower([]circuit.Circuit{try(circuit.NewAdd("s", x1, x2)).of(t)}, Options{})
	if err == nil || !strings.Contains(err.Error(), x1.UUID) || !strings.Contains(err.Error(), x2.UUID) || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("two symbols named x: error %v should name both uuids and the input", err)
	}
	if _, err := Lower([]circuit.Circuit{x1}, Options{DType: tensor.Int64}); err == nil {
		t.Error("int64 program dtype accepted")
	}
	if _, err := Lower([]circuit.Circuit{nil}, Options{}); err == nil {
		t.Error("nil root accepted")
	}
	p, err := Lower(nil, Options{})
	if err != nil || len(p.Values) != 0 || len(p.Outputs) != 0 {
		t.Errorf("no roots: %v, %v", p, err)
	}
}

// TestLowerUnnamedSymbol binds an unnamed symbol by its uuid.
func TestLowerUnnamedSymbol(t *testing.T) {
	s := try(circuit.NewSymbol([]int{2}, "", "")).of(t)
	r := try(circuit.NewGeneralFunction("r", "relu", s)).of(t)
	p := lowerOne(t, r)
	if in := p.Inputs(); len(in) != 1 || in[0].Attrs.String("name") != s.UUID {
		t.Fatalf("inputs %v, want one named %s", in, s.UUID)
	}
	out := try(func() (map[string]*tensor.Tensor, error) {
		o, _, err := runtime.Run(p, map[string]*tensor.Tensor{s.UUID: f64(t, []int{2}, -1, 2)}, tensor.Float64)
		return o, err
	}()).of(t)
	if err := closeTo(out["r"], f64(t, []int{2}, 0, 2)); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, []circuit.Circuit{r}, map[string]*tensor.Tensor{s.UUID: f64(t, []int{2}, -1, 2)})
}

// TestLowerSharedSubtree: many roots over one subtree make one program in
// which the subtree appears once.
func TestLowerSharedSubtree(t *testing.T) {
	x := sym(t, "x", 4, 3)
	w := randArr(t, "w", 1, 5, 3)
	h := try(circuit.Linear("h", x, w, nil)).of(t)
	var roots []circuit.Circuit
	for _, f := range []string{"relu", "exp", "tanh", "softmax"} {
		roots = append(roots, try(circuit.NewGeneralFunction("", f, h)).of(t))
	}
	roots = append(roots, h)
	roots = append(roots, try(circuit.NewAdd("hh", h, roots[0])).of(t))
	bind := map[string]*tensor.Tensor{"x": try(tensor.RandN(tensor.Float64, []int{4, 3}, 9)).of(t)}
	p := roundTrip(t, roots, bind)
	// x, w, einsum, four functions, one add
	if len(p.Values) != 8 || countOp(p, ir.OpEinsum) != 1 || countOp(p, ir.OpInput) != 1 || countOp(p, ir.OpConst) != 1 {
		t.Errorf("want 8 values with one einsum, input and const:\n%s", p)
	}
}

// TestLowerModule checks Module substitution with and without batch dims.
func TestLowerModule(t *testing.T) {
	s := sym(t, "m.x", 3)
	w := randArr(t, "m.w", 4, 2, 3)
	body := try(circuit.NewGeneralFunction("m.out", "gelu", try(circuit.NewEinsumSpec("", "a,ba->b", s, w)).of(t))).of(t)
	spec := circuit.ModuleArgSpec{Symbol: s, Batchable: true}
	plain := try(circuit.NewModule("call", body, []circuit.ModuleArgSpec{spec}, randArr(t, "arg", 5, 3))).of(t)
	x := sym(t, "x", 4, 5, 3)
	batched := try(circuit.NewModule("bcall", body, []circuit.ModuleArgSpec{spec}, x)).of(t)
	if !slices.Equal(batched.Shape(), []int{4, 5, 2}) {
		t.Fatalf("batched shape %v", batched.Shape())
	}
	bind := map[string]*tensor.Tensor{"x": try(tensor.RandN(tensor.Float64, []int{4, 5, 3}, 11)).of(t)}
	p := roundTrip(t, []circuit.Circuit{plain, batched}, bind)
	for _, in := range p.Inputs() {
		if in.Attrs.String("name") != "x" {
			t.Errorf("the module's own symbol %v must be substituted away", in)
		}
	}
	// a module nested in a module's argument
	inner := try(circuit.NewModule("inner", body, []circuit.ModuleArgSpec{spec}, try(circuit.NewIndex("", []circuit.AxisIndex{circuit.All(), circuit.All(), circuit.Slice(0, 3)}, try(circuit.NewConcat("", 2, x, x)).of(t))).of(t))).of(t)
	s2 := sym(t, "m2.y", 2)
	body2 := try(circuit.NewAdd("m2.out", s2, s2)).of(t)
	outer := try(circuit.NewModule("outer", body2, []circuit.ModuleArgSpec{{Symbol: s2, Batchable: true}}, inner)).of(t)
	roundTrip(t, []circuit.Circuit{outer}, bind)
}

// chain builds n nodes: alternating functions and adds over a symbol.
func chain(t testing.TB, n int) circuit.Circuit {
	x := try(circuit.NewSymbol([]int{4}, "", "x")).of(t)
	c := circuit.Circuit(x)
	one := try(circuit.NewScalar(1, []int{4}, "one")).of(t)
	for i := 1; c != nil && i < n; i++ {
		var err error
		switch i % 3 {
		case 0:
			c, err = circuit.NewAdd("", c, one)
		case 1:
			c, err = circuit.NewGeneralFunction("", "tanh", c)
		default:
			c, err = circuit.NewRearrangeString("", "a b -> (b a)", try(circuit.NewRearrangeString("", "(a b:2) -> a b", c)).of(t))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// TestLowerLongChain: 10,000 nodes lower to a program that verifies and
// raises back; the time is BenchmarkLowerChain's figure, not asserted here.
func TestLowerLongChain(t *testing.T) {
	c := chain(t, 10000)
	if n := circuit.CountNodes(c); n < 10000 {
		t.Fatalf("chain has %d nodes", n)
	}
	p, err := Lower([]circuit.Circuit{c}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if errs := ir.Verify(p); len(errs) > 0 {
		t.Fatal(errs[0])
	}
	if _, err := Raise(p); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkLowerChain(b *testing.B) {
	c := chain(b, 10000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Lower([]circuit.Circuit{c}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRaiseChain(b *testing.B) {
	p, err := Lower([]circuit.Circuit{chain(b, 10000)}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Raise(p); err != nil {
			b.Fatal(err)
		}
	}
}
