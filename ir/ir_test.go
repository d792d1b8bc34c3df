package ir

import (
	"fmt"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
)

func f32(shape ...int) Type { return Type{DType: tensor.Float32, Shape: shape} }
func i64(shape ...int) Type { return Type{DType: tensor.Int64, Shape: shape} }

func must(t *testing.T) func(int, error) int {
	return func(id int, err error) int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
}

// sample builds a small program touching most attribute kinds.
func sample(t *testing.T) (*Program, string) {
	t.Helper()
	m := must(t)
	b := NewBuilder()
	w, err := tensor.FromFloat32([]int{3, 4}, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	if err != nil {
		t.Fatal(err)
	}
	x := m(b.Input("x", f32(2, 3)))
	c := m(b.Const(w))
	e := m(b.Add(OpEinsum, Attrs{"spec": "ab,bc->ac"}, x, c))
	s := m(b.Scalar(0.5, f32()))
	a := m(b.Add(OpAdd, nil, e, s))
	r := m(b.Add(OpRelu, nil, a))
	p := m(b.Add(OpPermute, Attrs{"perm": []int{1, 0}}, r))
	sl := m(b.Add(OpSlice, Attrs{"starts": []int{0, 0}, "stops": []int{2, 1}}, p))
	sc := m(b.Add(OpScale, Attrs{"factor": -1e-07}, sl))
	if err := b.Output("y", sc); err != nil {
		t.Fatal(err)
	}
	if err := b.Output("h", r); err != nil {
		t.Fatal(err)
	}
	return b.Build(), tensor.ContentHashHex(w)
}

func TestPrinterGolden(t *testing.T) {
	p, h := sample(t)
	want := fmt.Sprintf(`%%0 = input "x" : f32[2,3]
%%1 = const %q : f32[3,4]
%%2 = einsum "ab,bc->ac" %%0 %%1 : f32[2,4]
%%3 = scalar 0.5 : f32[]
%%4 = add %%2 %%3 : f32[2,4]
%%5 = relu %%4 : f32[2,4]
%%6 = permute [1,0] %%5 : f32[4,2]
%%7 = slice [0,0] [2,1] %%6 : f32[2,1]
%%8 = scale -1e-07 %%7 : f32[2,1]
output "y" %%8
output "h" %%5
`, h[:16])
	if got := p.String(); got != want {
		t.Errorf("printed:\n%s\nwant:\n%s", got, want)
	}
	if p.Consts[h] == nil {
		t.Errorf("constant table lacks full hash %s", h)
	}
	if len(p.Hash()) != 64 {
		t.Errorf("Hash() = %q", p.Hash())
	}
	if errs := Verify(p); errs != nil {
		t.Errorf("Verify: %v", errs)
	}
}

func TestPrintAttrForms(t *testing.T) {
	m := must(t)
	b := NewBuilder()
	x := m(b.Input("a \"q\"\n", Type{DType: tensor.Float64, Shape: []int{2, 3, 4}}))
	cases := []struct {
		op    Op
		attrs Attrs
		want  string
	}{
		{OpSelect, Attrs{"axis": 1, "index": 2}, `select 1 2 %0 : f64[2,4]`},
		{OpSum, Attrs{"axes": []int{}}, `sum [] %0 : f64[2,3,4]`},
		{OpSum, Attrs{"axes": []int{2, 0}}, `sum [2,0] %0 : f64[3]`},
		{OpScale, Attrs{"factor": 3.0}, `scale 3 %0 : f64[2,3,4]`},
		{OpLastDimSize, nil, `last_dim_size %0 : f64[2,3]`},
		{OpSoftmax, nil, `softmax %0 : f64[2,3,4]`},
	}
	for _, c := range cases {
		id := m(b.Add(c.op, c.attrs, x))
		got := b.Value(id).String()
		if want := fmt.Sprintf("%%%d = %s", id, c.want); got != want {
			t.Errorf("got %q want %q", got, want)
		}
	}
	if got := b.Value(x).String(); got != `%0 = input "a \"q\"\n" : f64[2,3,4]` {
		t.Errorf("input prints %q", got)
	}
}

func TestBuilderShapes(t *testing.T) {
	m := must(t)
	b := NewBuilder()
	x := m(b.Input("x", f32(2, 3)))
	y := m(b.Input("y", f32(3)))
	z := m(b.Input("z", f32(4, 1, 3)))
	idx := m(b.Input("idx", i64(5)))
	check := func(id int, err error, want Type) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Value(id).Type; !got.Equal(want) {
			t.Errorf("%v: type %v want %v", b.Value(id), got, want)
		}
	}
	id, err := b.Add(OpAdd, nil, x, y, z)
	check(id, err, f32(4, 2, 3))
	id, err = b.Add(OpEinsum, Attrs{"spec": "ab,b->a"}, x, y)
	check(id, err, f32(2))
	id, err = b.Add(OpEinsum, Attrs{"spec": "ab->ba"}, x)
	check(id, err, f32(3, 2))
	id, err = b.AddTyped(OpEinsum, Attrs{"spec": "ab->abc"}, f32(2, 3, 7), x)
	check(id, err, f32(2, 3, 7))
	id, err = b.AddTyped(OpEinsum, Attrs{"spec": "->"}, f32())
	check(id, err, f32())
	id, err = b.Add(OpEinsum, Attrs{"spec": "b->bb"}, y)
	check(id, err, f32(3, 3))
	id, err = b.Add(OpGather, Attrs{"axis": 1}, z, idx)
	check(id, err, f32(4, 5, 3))
	id, err = b.Add(OpConcat, Attrs{"axis": 0}, x, x, x)
	check(id, err, f32(6, 3))
	id, err = b.AddTyped(OpScatter, Attrs{"starts": []int{1, 0}}, f32(4, 5), x)
	check(id, err, f32(4, 5))
	id, err = b.AddTyped(OpBroadcast, nil, f32(7, 2, 3), x)
	check(id, err, f32(7, 2, 3))
	id, err = b.AddTyped(OpReshape, nil, f32(3, 2), x)
	check(id, err, f32(3, 2))
	id, err = b.Add(OpReduceMax, nil, z)
	check(id, err, f32(4, 1))
	id, err = b.Add(OpPow, nil, x, y)
	check(id, err, f32(2, 3))

	bad := []struct {
		name     string
		op       Op
		attrs    Attrs
		declared *Type
		operands []int
		want     string
	}{
		{"broadcast mismatch", OpAdd, nil, nil, []int{x, m(b.Input("w", f32(4)))}, "not broadcastable"},
		{"einsum size", OpEinsum, Attrs{"spec": "ab,a->b"}, nil, []int{x, y}, "label a has sizes 2 and 3"},
		{"einsum rank", OpEinsum, Attrs{"spec": "abc->a"}, nil, []int{x}, "rank 2"},
		{"einsum terms", OpEinsum, Attrs{"spec": "ab,b->a"}, nil, []int{x}, "2 operand terms"},
		{"einsum arrow", OpEinsum, Attrs{"spec": "ab"}, nil, []int{x}, "no \"->\""},
		{"einsum output-only", OpEinsum, Attrs{"spec": "ab->abz"}, nil, []int{x}, "no result shape is declared"},
		{"reshape count", OpReshape, nil, &Type{tensor.Float32, []int{5}}, []int{x}, "6 elements"},
		{"reshape undeclared", OpReshape, nil, nil, []int{x}, "needs a declared result type"},
		{"permute", OpPermute, Attrs{"perm": []int{0, 0}}, nil, []int{x}, "not a permutation"},
		{"slice", OpSlice, Attrs{"starts": []int{0, 2}, "stops": []int{2, 4}}, nil, []int{x}, "out of range"},
		{"select", OpSelect, Attrs{"axis": 2, "index": 0}, nil, []int{x}, "axis 2 out of range"},
		{"gather index dtype", OpGather, Attrs{"axis": 0}, nil, []int{x, y}, "1-D i64"},
		{"concat", OpConcat, Attrs{"axis": 0}, nil, []int{x, y}, "rank"},
		{"scatter", OpScatter, Attrs{"starts": []int{3, 0}}, &Type{tensor.Float32, []int{4, 3}}, []int{x}, "does not fit"},
		{"broadcast", OpBroadcast, nil, &Type{tensor.Float32, []int{3, 3}}, []int{x}, "cannot broadcast"},
		{"unary int", OpExp, nil, nil, []int{idx}, "float"},
		{"arity", OpPow, nil, nil, []int{x}, "needs 2 operands"},
		{"variadic min", OpAdd, nil, nil, nil, "at least 1"},
		{"missing attr", OpPermute, nil, nil, []int{x}, `missing attribute "perm"`},
		{"attr type", OpPermute, Attrs{"perm": "10"}, nil, []int{x}, "must be int list"},
		{"extra attr", OpRelu, Attrs{"x": 1}, nil, []int{x}, `unknown attribute "x"`},
		{"unknown op", "frobnicate", nil, nil, []int{x}, "unknown op"},
		{"undefined operand", OpRelu, nil, nil, []int{99}, "%99 is not defined"},
		{"declared mismatch", OpRelu, nil, &Type{tensor.Float32, []int{3, 2}}, []int{x}, "declared type f32[3,2] but operands give f32[2,3]"},
		{"dtype mix", OpAdd, nil, nil, []int{x, m(b.Input("d", Type{tensor.Float64, []int{3}}))}, "dtype"},
		{"softmax scalar", OpSoftmax, nil, nil, []int{m(b.Input("s", f32()))}, "rank"},
		{"sum axes", OpSum, Attrs{"axes": []int{1, 1}}, nil, []int{x}, "distinct"},
	}
	for _, c := range bad {
		var err error
		if c.declared != nil {
			_, err = b.AddTyped(c.op, c.attrs, *c.declared, c.operands...)
		} else {
			_, err = b.Add(c.op, c.attrs, c.operands...)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	p, h := sample(t)
	text := p.String()
	lookup := func(prefix string) (*tensor.Tensor, error) {
		for k, c := range p.Consts {
			if strings.HasPrefix(k, prefix) {
				return c, nil
			}
		}
		return nil, fmt.Errorf("no tensor with prefix %s", prefix)
	}
	q, err := Parse("sample.ir", []byte(text), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if q.String() != text {
		t.Errorf("round trip changed:\n%s\nvs\n%s", q, text)
	}
	if q.Consts[h] != p.Consts[h] {
		t.Errorf("lookup tensor not kept under its full hash")
	}
	// Standalone: constants are invented, printing is still a fixed point.
	r, err := Parse("sample.ir", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.String() != text {
		t.Errorf("standalone round trip changed:\n%s", r)
	}
	c := r.Consts[h[:16]]
	if c == nil || c.DType() != tensor.Float32 || fmt.Sprint(c.Shape()) != "[3 4]" {
		t.Fatalf("invented constant %v", c)
	}
	r2, _ := Parse("sample.ir", []byte(text), nil)
	if !tensor.AllClose(c, r2.Consts[h[:16]], 0, 0) {
		t.Errorf("invented constants are not deterministic")
	}
	if errs := Verify(r); errs != nil {
		t.Errorf("Verify(parsed): %v", errs)
	}
}

func TestParseKeepsIDsAndComments(t *testing.T) {
	src := `# a comment

%4 = input "x" : f64[3]   # trailing
%9 = exp %4 : f64[3]
%10 = const "00ff" : i64[2]
%12 = gather 0 %9 %10 : f64[2]
%13 = scalar NaN : f64[]
%14 = scalar -Inf : f64[2]
output "out" %12
output "n" %13
output "i" %14
`
	p, err := Parse("t.ir", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `%4 = input "x" : f64[3]
%9 = exp %4 : f64[3]
%10 = const "00ff" : i64[2]
%12 = gather 0 %9 %10 : f64[2]
%13 = scalar NaN : f64[]
%14 = scalar -Inf : f64[2]
output "out" %12
output "n" %13
output "i" %14
`
	if got := p.String(); got != want {
		t.Errorf("got\n%s", got)
	}
	if got := p.Consts["00ff"].Int64s(); fmt.Sprint(got) != "[0 0]" {
		t.Errorf("invented index const %v", got)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"%0 = input \"x\" : f32[2]\n%1 = relu %0 : f32[3]\n", "f.ir:2: %1: relu: declared type f32[3]"},
		{"%0 = nope : f32[2]", "f.ir:1: unknown op \"nope\""},
		{"%0 = input x : f32[2]", "f.ir:1: input attribute \"name\": expected a quoted string"},
		{"%0 = input \"x\" : f33[2]", "f.ir:1: expected a type"},
		{"%0 = input \"x\" : f32[2", "f.ir:1: unterminated list"},
		{"%0 = input \"x\" : f32[2] extra", "f.ir:1: unexpected \"extra\""},
		{"\n\n%1 = relu %0 : f32[2]", "f.ir:3: %1: relu: operand %0 is not defined"},
		{"%0 = input \"x\" : f32[2]\n%0 = relu %0 : f32[2]", "f.ir:2: %0: relu: id %0 is already defined"},
		{"output \"y\" %3", "f.ir:1: output \"y\": value %3 is not defined"},
		{"%0 = const \"xyz\" : f32[2]", "f.ir:1: const hash \"xyz\""},
		{"%0 = const \"ab\" : f32[100000,100000]", "too large"},
		{"%0 = scale x %0 : f32[]", "expected a number"},
		{"%0 = input \"x : f32[]", "unterminated string"},
		{"%x = input \"x\" : f32[]", "bad value id"},
		{"%0 = input \"x\" : f32[-1]", "negative dimension"},
	}
	for _, c := range cases {
		_, err := Parse("f.ir", []byte(c.src), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.src, err, c.want)
		}
	}
	_, err := Parse("f.ir", []byte(`%0 = const "ab" : f32[2]`), func(string) (*tensor.Tensor, error) {
		return tensor.ScalarOf(tensor.Float32, 1), nil
	})
	if err == nil || !strings.Contains(err.Error(), "resolved tensor has hash") {
		t.Errorf("wrong-hash lookup: %v", err)
	}
}

func TestVerifyReportsEverything(t *testing.T) {
	x := &Value{ID: 0, Op: OpInput, Attrs: Attrs{"name": "x"}, Type: f32(2)}
	bad := []*Value{
		x,
		{ID: 1, Op: OpRelu, Operands: []int{0}, Type: f32(3)},                             // wrong shape
		{ID: 2, Op: OpAdd, Operands: []int{0, 7}, Type: f32(2)},                           // undefined operand
		{ID: 3, Op: OpPermute, Operands: []int{0}, Attrs: Attrs{"perm": 1}, Type: f32(2)}, // attr type
		{ID: 4, Op: OpExp, Operands: []int{5}, Type: f32(2)},                              // use before def
		{ID: 5, Op: OpNeg, Operands: []int{0}, Type: f32(2)},
		{ID: 5, Op: OpNeg, Operands: []int{0}, Type: f32(2)},                 // duplicate id
		{ID: 6, Op: OpPow, Operands: []int{0}, Type: f32(2)},                 // arity
		{ID: 8, Op: OpConst, Attrs: Attrs{"hash": "deadbeef"}, Type: f32(2)}, // missing const
		{ID: 9, Op: OpSigmoid, Operands: []int{0}, Type: f32(2)},             // dead
	}
	p := &Program{Values: bad, Outputs: []Output{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 6}, {"f", 8}, {"g", 42}, {"a", 5}}}
	errs := Verify(p)
	wantParts := []string{
		"%1 = relu %0 : f32[3]: relu: declared type f32[3] but operands give f32[2]",
		"%2 = add %0 %7 : f32[2]: operand %7 is not defined",
		"%3 = permute 1 %0 : f32[2]: permute: attribute \"perm\" must be int list, got int",
		"%4 = exp %5 : f32[2]: operand %5 is used before its definition",
		"%5 = neg %0 : f32[2]: duplicate id %5",
		"%6 = pow %0 : f32[2]: pow needs 2 operands, got 1",
		"%8 = const \"deadbeef\" : f32[2]: hash deadbeef is not in the constant table",
		"output \"g\" %42: value %42 is not defined",
		"output \"a\" %5: output name \"a\" is used twice",
		"%9 = sigmoid %0 : f32[2]: dead value",
	}
	all := ""
	for _, e := range errs {
		all += e.Error() + "\n"
	}
	for _, w := range wantParts {
		if !strings.Contains(all, w) {
			t.Errorf("missing problem %q in:\n%s", w, all)
		}
	}
	if len(errs) != len(wantParts) {
		t.Errorf("%d problems, want %d:\n%s", len(errs), len(wantParts), all)
	}
	if err := p.CheckOrder(); err == nil || !strings.Contains(err.Error(), "%2 = add") {
		t.Errorf("CheckOrder: %v", err)
	}
}

func TestVerifyConstTable(t *testing.T) {
	p, h := sample(t)
	p2 := &Program{Values: p.Values, Outputs: p.Outputs, Consts: map[string]*tensor.Tensor{h: tensor.ScalarOf(tensor.Float32, 1)}}
	errs := Verify(p2)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "constant table tensor is f32[]") {
		t.Errorf("Verify: %v", errs)
	}
}

func TestUsersLiveRebuild(t *testing.T) {
	m := must(t)
	b := NewBuilder()
	x := m(b.Input("x", f32(2)))
	e := m(b.Add(OpExp, nil, x))
	a := m(b.Add(OpAdd, nil, e, e, x))
	dead := m(b.Add(OpNeg, nil, x))
	if err := b.Output("a", a); err != nil {
		t.Fatal(err)
	}
	p := b.Build()
	if got := fmt.Sprint(p.Users(x)); got != fmt.Sprint([]int{e, a, dead}) {
		t.Errorf("Users(x) = %v", got)
	}
	if got := fmt.Sprint(p.Users(e)); got != fmt.Sprint([]int{a, a}) {
		t.Errorf("Users(e) = %v", got)
	}
	if p.NumUses(a) != 1 || !p.IsOutput(a) || p.IsOutput(e) {
		t.Errorf("NumUses/IsOutput wrong")
	}
	live := p.Live()
	if !live[x] || !live[e] || !live[a] || live[dead] {
		t.Errorf("Live = %v", live)
	}
	lu := p.LastUse()
	if lu[x] != 3 || lu[e] != 2 || lu[a] != 4 || lu[dead] != 3 {
		t.Errorf("LastUse = %v", lu)
	}
	if len(Verify(p)) != 1 {
		t.Errorf("want exactly the dead value reported: %v", Verify(p))
	}
	// A dead-code pass in miniature: drop the dead value, turn exp into sigmoid.
	q, err := Rebuild(p, func(nb *Builder, v *Value, ops []int) (int, bool, error) {
		if !live[v.ID] {
			return -1, true, nil
		}
		if v.Op == OpExp {
			id, err := nb.Add(OpSigmoid, nil, ops...)
			return id, true, err
		}
		return 0, false, nil
	})
	if err == nil {
		t.Fatalf("replacement -1 should be rejected, got\n%s", q)
	}
	q, err = Rebuild(p, func(nb *Builder, v *Value, ops []int) (int, bool, error) {
		if v.Op == OpExp {
			id, err := nb.Add(OpSigmoid, nil, ops...)
			return id, true, err
		}
		return 0, false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "%0 = input \"x\" : f32[2]\n%1 = sigmoid %0 : f32[2]\n%2 = add %1 %1 %0 : f32[2]\n%3 = neg %0 : f32[2]\noutput \"a\" %2\n"
	if q.String() != want {
		t.Errorf("rebuilt:\n%s", q)
	}
}

func TestDOTSorted(t *testing.T) {
	p, _ := sample(t)
	d := p.DOT()
	if d != p.DOT() {
		t.Fatal("DOT not deterministic")
	}
	lines := strings.Split(strings.TrimSpace(d), "\n")
	var nodeIDs, edgeFrom []int
	for _, l := range lines {
		var a, c int
		if strings.Contains(l, "->") && !strings.Contains(l, "[label=\"%") {
			fmt.Sscanf(l, "  v%d -> v%d", &a, &c)
			edgeFrom = append(edgeFrom, a)
		} else if n, _ := fmt.Sscanf(l, "  v%d [label=", &a); n == 1 {
			nodeIDs = append(nodeIDs, a)
		}
	}
	if len(nodeIDs) != len(p.Values) || len(edgeFrom) != 10 {
		t.Fatalf("nodes %v edges %v in\n%s", nodeIDs, edgeFrom, d)
	}
	for i := 1; i < len(nodeIDs); i++ {
		if nodeIDs[i] < nodeIDs[i-1] {
			t.Errorf("nodes unsorted: %v", nodeIDs)
		}
	}
	for i := 1; i < len(edgeFrom); i++ {
		if edgeFrom[i] < edgeFrom[i-1] {
			t.Errorf("edges unsorted: %v", edgeFrom)
		}
	}
	if !strings.Contains(d, `v2 [label="%2 = einsum \"ab,bc->ac\" %0 %1 : f32[2,4]"];`) {
		t.Errorf("node label missing:\n%s", d)
	}
	if !strings.Contains(d, "v5 -> out1;") {
		t.Errorf("output edge missing:\n%s", d)
	}
}

func TestFLOPs(t *testing.T) {
	m := must(t)
	b := NewBuilder()
	x := m(b.Input("x", f32(10, 20)))
	y := m(b.Input("y", f32(20, 30)))
	e := m(b.Add(OpEinsum, Attrs{"spec": "ab,bc->ac"}, x, y))
	a := m(b.Add(OpAdd, nil, e, e, e))
	p := b.Build()
	if got := FLOPsOf(p, p.Value(e)); got != 2*10*20*30 {
		t.Errorf("einsum FLOPs %d", got)
	}
	if got := FLOPsOf(p, p.Value(a)); got != 2*10*30 {
		t.Errorf("add FLOPs %d", got)
	}
}

func TestOpTable(t *testing.T) {
	for _, op := range Ops() {
		d, _ := Lookup(op)
		if d.Shape == nil || d.FLOPs == nil || d.Doc == "" {
			t.Errorf("op %s lacks a shape function, FLOP function or doc", op)
		}
	}
	if len(Ops()) != 40 {
		t.Errorf("%d ops", len(Ops()))
	}
}

func TestSortTopological(t *testing.T) {
	x := &Value{ID: 0, Op: OpInput, Attrs: Attrs{"name": "x"}, Type: f32(2)}
	e := &Value{ID: 1, Op: OpExp, Operands: []int{0}, Type: f32(2)}
	n := &Value{ID: 2, Op: OpNeg, Operands: []int{1}, Type: f32(2)}
	a := &Value{ID: 3, Op: OpAdd, Operands: []int{2, 0}, Type: f32(2)}
	p := &Program{Values: []*Value{a, n, x, e}, Outputs: []Output{{"y", 3}}}
	if p.CheckOrder() == nil {
		t.Fatal("out-of-order program passed CheckOrder")
	}
	q, err := SortTopological(p)
	if err != nil {
		t.Fatal(err)
	}
	want := "%0 = input \"x\" : f32[2]\n%1 = exp %0 : f32[2]\n%2 = neg %1 : f32[2]\n%3 = add %2 %0 : f32[2]\noutput \"y\" %3\n"
	if q.String() != want || Verify(q) != nil {
		t.Errorf("sorted:\n%s", q)
	}
	cyc := &Program{Values: []*Value{x, {ID: 5, Op: OpExp, Operands: []int{6}, Type: f32(2)}, {ID: 6, Op: OpExp, Operands: []int{5}, Type: f32(2)}}}
	if _, err := SortTopological(cyc); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: %v", err)
	}
	// Large chains stay fast (linearithmic, not quadratic).
	b := NewBuilder()
	id, _ := b.Input("x", f32(1))
	for i := 0; i < 20000; i++ {
		id, _ = b.Add(OpNeg, nil, id)
	}
	_ = b.Output("y", id)
	big := b.Build()
	rev := &Program{Values: make([]*Value, len(big.Values)), Outputs: big.Outputs}
	for i, v := range big.Values {
		rev.Values[len(big.Values)-1-i] = v
	}
	s, err := SortTopological(rev)
	if err != nil || s.String() != big.String() {
		t.Errorf("20k chain: %v", err)
	}
}

// TestOutputsIndexed: output names are checked for duplicates and output
// uses counted through indexes (a program with many outputs builds in
// linear time), with the same answers as before.
func TestOutputsIndexed(t *testing.T) {
	b := NewBuilder()
	x, _ := b.Input("x", Type{DType: tensor.Float64, Shape: []int{2}})
	for i := range 3 {
		if err := b.Output(fmt.Sprintf("o%d", i), x); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Output("o1", x); err == nil || !strings.Contains(err.Error(), "defined twice") {
		t.Fatalf("duplicate output name: %v", err)
	}
	p := b.Build()
	if p.NumUses(x) != 3 || !p.IsOutput(x) || len(p.Outputs) != 3 {
		t.Errorf("NumUses %d, IsOutput %v, %d outputs", p.NumUses(x), p.IsOutput(x), len(p.Outputs))
	}
}
