package lower

import (
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

func f64t(shape ...int) ir.Type { return ir.Type{DType: tensor.Float64, Shape: shape} }

// progBuilder wraps ir.Builder so test programs read as one call per value.
type progBuilder struct {
	t fatalf
	b *ir.Builder
}

func (pb progBuilder) op(op ir.Op, attrs ir.Attrs, operands ...int) int {
	pb.t.Helper()
	return try(pb.b.Add(op, attrs, operands...)).of(pb.t)
}

func (pb progBuilder) typed(op ir.Op, attrs ir.Attrs, typ ir.Type, operands ...int) int {
	pb.t.Helper()
	return try(pb.b.AddTyped(op, attrs, typ, operands...)).of(pb.t)
}

// checkRaise runs p and compares each output with the naive evaluation of
// the raised circuit of the same name.
func checkRaise(t *testing.T, p *ir.Program, bind map[string]*tensor.Tensor) []circuit.Circuit {
	t.Helper()
	if errs := ir.Verify(p); len(errs) > 0 {
		t.Fatalf("test program does not verify: %v", errs)
	}
	want, _, err := runtime.Run(p, bind, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Raise(p)
	if err != nil {
		t.Fatalf("raise: %v\n%s", err, p)
	}
	if len(cs) != len(p.Outputs) {
		t.Fatalf("%d circuits for %d outputs", len(cs), len(p.Outputs))
	}
	for i, c := range cs {
		o := p.Outputs[i]
		if c.Name() != o.Name {
			t.Errorf("circuit %d named %q, want %q", i, c.Name(), o.Name)
		}
		got, err := circuit.Evaluate(c, circuit.EvalOptions{DType: tensor.Float64, Bindings: bind})
		if err != nil {
			t.Fatalf("evaluate raised %q: %v", o.Name, err)
		}
		if err := closeTo(got, want[o.Name]); err != nil {
			t.Errorf("output %q: raised vs runtime: %v\n%s", o.Name, err, p)
		}
	}
	return cs
}

// TestRaiseEveryOp builds a program using every op in the IR's table and
// checks the raised circuits against the runtime.
func TestRaiseEveryOp(t *testing.T) {
	b := ir.NewBuilder()
	pb := progBuilder{t, b}
	x := try(b.Input("x", f64t(2, 3))).of(t)
	y := try(b.Input("y", f64t(3))).of(t)
	w := try(b.Const(try(tensor.RandN(tensor.Float64, []int{3, 4}, 5)).of(t))).of(t)
	half := try(b.Scalar(0.5, f64t(2, 1))).of(t)
	pos := try(b.Const(try(tensor.FromInt64([]int{3}, []int64{2, 0, 2})).of(t))).of(t)
	outs := map[string]int{}
	out := func(name string, id int) { outs[name] = id; try(0, b.Output(name, id)).of(t) }

	out("add", pb.op(ir.OpAdd, nil, x, y, half))
	out("mul", pb.op(ir.OpMul, nil, x, y))
	out("mulbc", pb.op(ir.OpMul, nil, half, y))
	ex := pb.op(ir.OpExp, nil, x)
	out("pow", pb.op(ir.OpPow, nil, ex, y))
	out("einsum", pb.op(ir.OpEinsum, ir.Attrs{"spec": "ab,bc->ac"}, x, w))
	out("einsum_bcast", pb.typed(ir.OpEinsum, ir.Attrs{"spec": "ab->bza"}, f64t(3, 2, 2), x))
	out("einsum_ones", pb.typed(ir.OpEinsum, ir.Attrs{"spec": "->zz"}, f64t(2, 2)))
	out("einsum_none", pb.typed(ir.OpEinsum, ir.Attrs{"spec": "->"}, f64t()))
	out("reshape_factor", pb.typed(ir.OpReshape, nil, f64t(2, 1, 3), x))
	out("reshape_merge_split", pb.typed(ir.OpReshape, nil, f64t(3, 2), x))
	out("reshape_scalar", pb.typed(ir.OpReshape, nil, f64t(1, 1), pb.op(ir.OpSum, ir.Attrs{"axes": []int{0}}, y)))
	out("permute", pb.op(ir.OpPermute, ir.Attrs{"perm": []int{1, 0}}, x))
	out("broadcast", pb.typed(ir.OpBroadcast, nil, f64t(4, 2, 3), half))
	out("slice", pb.op(ir.OpSlice, ir.Attrs{"starts": []int{1, 0}, "stops": []int{2, 2}}, x))
	out("select", pb.op(ir.OpSelect, ir.Attrs{"axis": 1, "index": 2}, x))
	out("gather", pb.op(ir.OpGather, ir.Attrs{"axis": 1}, x, pos))
	out("concat", pb.op(ir.OpConcat, ir.Attrs{"axis": 0}, x, x, half2(pb, x)))
	out("scatter", pb.typed(ir.OpScatter, ir.Attrs{"starts": []int{1, 2}}, f64t(4, 5), x))
	out("scale", pb.op(ir.OpScale, ir.Attrs{"factor": -2.5}, x))
	out("sum", pb.op(ir.OpSum, ir.Attrs{"axes": []int{1, 0}}, x))
	out("sum_none", pb.op(ir.OpSum, ir.Attrs{"axes": []int{}}, x))
	for _, op := range []ir.Op{ir.OpSoftmax, ir.OpLogSoftmax, ir.OpReduceMax, ir.OpReduceMin, ir.OpLastDimSize} {
		out(string(op), pb.op(op, nil, x))
	}
	for _, op := range ir.UnaryOps {
		out(string(op), pb.op(op, nil, x))
	}
	p := b.Build()
	used := map[ir.Op]bool{}
	for _, v := range p.Values {
		used[v.Op] = true
	}
	for _, op := range ir.Ops() {
		if !used[op] {
			t.Errorf("op %q is not exercised", op)
		}
	}
	bind := map[string]*tensor.Tensor{
		"x": try(tensor.RandN(tensor.Float64, []int{2, 3}, 1)).of(t),
		"y": try(tensor.RandN(tensor.Float64, []int{3}, 2)).of(t),
	}
	cs := checkRaise(t, p, bind)
	byName := map[string]circuit.Circuit{}
	for _, c := range cs {
		byName[c.Name()] = c
	}
	// spot checks of the raised forms
	if r, ok := byName["reshape_factor"].(*circuit.Rearrange); !ok || r.Children()[0].Kind() != circuit.KindSymbol {
		t.Errorf("[2,3] -> [2,1,3] should be one Rearrange, got %v", byName["reshape_factor"])
	}
	if r, ok := byName["reshape_merge_split"].(*circuit.Rearrange); !ok || r.Children()[0].Kind() != circuit.KindRearrange {
		t.Errorf("[2,3] -> [3,2] should merge then split, got %v", byName["reshape_merge_split"])
	}
	if e, ok := byName["scale"].(*circuit.Einsum); !ok || len(e.Children()) != 2 || e.Children()[1].(*circuit.Scalar).Value != -2.5 {
		t.Errorf("scale should be an Einsum with a Scalar operand, got %v", byName["scale"])
	}
	if g, ok := byName["reduce_max"].(*circuit.GeneralFunction); !ok || g.Spec != "max" {
		t.Errorf("reduce_max raised to %v", byName["reduce_max"])
	}
	for _, c := range cs {
		circuit.Walk([]circuit.Circuit{c}, func(n circuit.Circuit) {
			if s, ok := n.(*circuit.Symbol); ok && s.UUID != SymbolUUID(s.Name()) {
				t.Errorf("symbol %q has uuid %s, want SymbolUUID", s.Name(), s.UUID)
			}
		})
	}
}

// half2 is a [1,3] slice of x, a third concat operand of another size.
func half2(pb progBuilder, x int) int {
	return pb.op(ir.OpSlice, ir.Attrs{"starts": []int{0, 0}, "stops": []int{1, 3}}, x)
}

func TestRaiseReshapeSpecs(t *testing.T) {
	for _, tc := range []struct {
		from, to []int
		spec     string // "" when no single spec exists
	}{
		{[]int{6, 4}, []int{2, 12}, "(a:2 b:3) c -> a:2 (b:3 c)"},
		{[]int{6, 4}, []int{24}, "a b -> (a b)"},
		{[]int{24}, []int{2, 3, 4}, "(a:2 b:3 c:4) -> a:2 b:3 c:4"},
		{[]int{1, 3}, []int{3, 1}, "() a -> a ()"},
		{[]int{}, []int{1, 1}, "-> () ()"},
		{[]int{2, 3}, []int{3, 2}, ""},
		{[]int{6, 4}, []int{4, 6}, ""},
		{[]int{0, 3}, []int{3, 0}, ""},
	} {
		_, ok := commonFactorSpec(tc.from, tc.to)
		if ok != (tc.spec != "") {
			t.Errorf("%v -> %v: factorizable %v", tc.from, tc.to, ok)
		}
		x := sym(t, "x", tc.from...)
		c := try(reshapeCircuit(x, tc.to)).of(t)
		if !slices.Equal(c.Shape(), tc.to) {
			t.Fatalf("%v -> %v: shape %v", tc.from, tc.to, c.Shape())
		}
		r := c.(*circuit.Rearrange)
		if tc.spec != "" && r.Spec.String() != tc.spec {
			t.Errorf("%v -> %v: spec %q, want %q", tc.from, tc.to, r.Spec.String(), tc.spec)
		}
		if tc.spec == "" && r.Children()[0].Kind() != circuit.KindRearrange {
			t.Errorf("%v -> %v: want merge then split", tc.from, tc.to)
		}
		n := 1
		for _, d := range tc.from {
			n *= d
		}
		data := make([]float64, n)
		for i := range data {
			data[i] = float64(i)
		}
		got := try(circuit.Evaluate(c, circuit.EvalOptions{DType: tensor.Float64, Bindings: map[string]*tensor.Tensor{"x": f64(t, tc.from, data...)}})).of(t)
		if !slices.Equal(got.Float64s(), data) {
			t.Errorf("%v -> %v: reshape moved data: %v", tc.from, tc.to, got.Float64s())
		}
	}
}

func TestRaiseBroadcastSpec(t *testing.T) {
	x := sym(t, "x", 3, 1)
	c := try(broadcastCircuit(x, []int{2, 3, 4})).of(t)
	if got, want := c.(*circuit.Rearrange).Spec.String(), "a () -> b:2 a c:4"; got != want {
		t.Errorf("spec %q, want %q", got, want)
	}
	v := try(circuit.Evaluate(c, circuit.EvalOptions{DType: tensor.Float64, Bindings: map[string]*tensor.Tensor{"x": f64(t, []int{3, 1}, 1, 2, 3)}})).of(t)
	want := make([]float64, 0, 24)
	for range 2 {
		for i := 1; i <= 3; i++ {
			for range 4 {
				want = append(want, float64(i))
			}
		}
	}
	if !slices.Equal(v.Float64s(), want) {
		t.Errorf("broadcast value %v", v.Float64s())
	}
}

func TestSymbolUUID(t *testing.T) {
	u := SymbolUUID("x")
	if _, err := circuit.ParseUUID(u); err != nil {
		t.Fatal(err)
	}
	if u != SymbolUUID("x") || u == SymbolUUID("y") || u == SymbolUUID("x ") {
		t.Error("SymbolUUID must be a deterministic function of the name")
	}
	if u[14] != '8' || !strings.ContainsRune("89ab", rune(u[19])) {
		t.Errorf("%s is not a version-8 RFC 9562 uuid", u)
	}
}

// TestRaiseOutputsOfLeaves: outputs that are inputs or constants keep the
// leaf's own name under an identity wrapper; shared values stay shared.
func TestRaiseOutputsOfLeaves(t *testing.T) {
	b := ir.NewBuilder()
	x := try(b.Input("x", f64t(2))).of(t)
	c := try(b.Const(f64(t, []int{2}, 1, 2))).of(t)
	s := try(b.Scalar(3, f64t())).of(t)
	r := try(b.Add(ir.OpRelu, nil, x)).of(t)
	for _, o := range []struct {
		n  string
		id int
	}{{"ox", x}, {"oc", c}, {"os", s}, {"r1", r}, {"r2", r}} {
		try(0, b.Output(o.n, o.id)).of(t)
	}
	p := b.Build()
	cs := checkRaise(t, p, map[string]*tensor.Tensor{"x": f64(t, []int{2}, -1, 1)})
	if sy := cs[0].Children(); cs[0].Kind() != circuit.KindRearrange || sy[0].Name() != "x" {
		t.Errorf("input output raised to %v", cs[0])
	}
	if cs[1].Kind() != circuit.KindRearrange || cs[2].Kind() != circuit.KindScalar {
		t.Errorf("const/scalar outputs raised to %v, %v", cs[1].Kind(), cs[2].Kind())
	}
	if cs[3].Children()[0] != cs[4].Children()[0] {
		t.Error("two outputs of one value should share its operand node")
	}
}

func TestRaiseErrors(t *testing.T) {
	if _, err := Raise(nil); err == nil {
		t.Error("nil program accepted")
	}
	b := ir.NewBuilder()
	x := try(b.Input("x", f64t(3))).of(t)
	i := try(b.Input("i", ir.Type{DType: tensor.Int64, Shape: []int{2}})).of(t)
	g := try(b.Add(ir.OpGather, ir.Attrs{"axis": 0}, x, i)).of(t)
	try(0, b.Output("g", g)).of(t)
	if _, err := Raise(b.Build()); err == nil || !strings.Contains(err.Error(), "not a constant") {
		t.Errorf("gather by a run-time index: error %v", err)
	}
	bad := &ir.Program{Values: []*ir.Value{{ID: 0, Op: ir.OpRelu, Operands: []int{7}, Type: f64t(2)}}, Outputs: []ir.Output{{Name: "o", ID: 0}}}
	if _, err := Raise(bad); err == nil || !strings.Contains(err.Error(), "invalid program") {
		t.Errorf("ill-formed program: error %v", err)
	}
}

// TestRaiseSkipsDeadValues: values no output needs are not raised (an
// unraisable dead gather does not fail the call).
func TestRaiseSkipsDeadValues(t *testing.T) {
	b := ir.NewBuilder()
	x := try(b.Input("x", f64t(3))).of(t)
	i := try(b.Input("i", ir.Type{DType: tensor.Int64, Shape: []int{2}})).of(t)
	try(b.Add(ir.OpGather, ir.Attrs{"axis": 0}, x, i)).of(t)
	try(0, b.Output("e", try(b.Add(ir.OpExp, nil, x)).of(t))).of(t)
	cs := try(Raise(b.Build())).of(t)
	if len(cs) != 1 || circuit.CountNodes(cs[0]) != 2 {
		t.Errorf("raised %v", cs)
	}
}

// TestRaiseLongNames: autonames of raised chains stay bounded.
func TestRaiseLongNames(t *testing.T) {
	b := ir.NewBuilder()
	x := try(b.Input("a_rather_long_input_name", f64t(2, 3))).of(t)
	for range 200 {
		x = try(b.Add(ir.OpPermute, ir.Attrs{"perm": []int{1, 0}}, x)).of(t)
	}
	try(0, b.Output("o", x)).of(t)
	cs := try(Raise(b.Build())).of(t)
	circuit.Walk(cs, func(c circuit.Circuit) {
		if len(c.Name()) > maxRaisedName {
			t.Fatalf("name of %d bytes", len(c.Name()))
		}
	})
}
