package runtime

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// program parses src, resolving const prefixes against consts.
func program(t *testing.T, src string, consts ...*tensor.Tensor) *ir.Program {
	t.Helper()
	p, err := ir.Parse("test.ir", []byte(src), func(prefix string) (*tensor.Tensor, error) {
		for _, c := range consts {
			if strings.HasPrefix(tensor.ContentHashHex(c), prefix) {
				return c, nil
			}
		}
		return nil, fmt.Errorf("no const %s", prefix)
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func hashOf(c *tensor.Tensor) string { return tensor.ContentHashHex(c)[:16] }

func f64t(t *testing.T, shape []int, data ...float64) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromFloat64(shape, data)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func run(t *testing.T, p *ir.Program, in map[string]*tensor.Tensor, dt tensor.DType) (map[string]*tensor.Tensor, *Stats) {
	t.Helper()
	out, st, err := Run(p, in, dt)
	if err != nil {
		t.Fatal(err)
	}
	return out, st
}

func expect(t *testing.T, name string, got *tensor.Tensor, shape []int, want ...float64) {
	t.Helper()
	if fmt.Sprint(got.Shape()) != fmt.Sprint(shape) {
		t.Errorf("%s: shape %v want %v", name, got.Shape(), shape)
		return
	}
	g := got.Float64s()
	for i := range want {
		tol := 1e-6 * math.Max(1, math.Abs(want[i]))
		if got.DType() == tensor.Float32 {
			tol = 1e-5 * math.Max(1, math.Abs(want[i]))
		}
		if math.IsNaN(want[i]) != math.IsNaN(g[i]) || math.Abs(g[i]-want[i]) > tol {
			t.Errorf("%s: got %v want %v", name, g, want)
			return
		}
	}
}

func TestMatmulAddRelu(t *testing.T) {
	w := f64t(t, []int{2, 3}, 1, 0, -1, 2, 1, 0)
	p := program(t, fmt.Sprintf(`%%0 = input "x" : f64[2,2]
%%1 = const %q : f64[2,3]
%%2 = einsum "ab,bc->ac" %%0 %%1 : f64[2,3]
%%3 = scalar -1 : f64[3]
%%4 = add %%2 %%3 : f64[2,3]
%%5 = relu %%4 : f64[2,3]
output "y" %%5
output "pre" %%4
`, hashOf(w)), w)
	x := f64t(t, []int{2, 2}, 1, 2, 3, 4)
	// x·w = [[1+4, 2, -1], [3+8, 4, -3]] = [[5,2,-1],[11,4,-3]]; minus 1; relu.
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		out, _ := run(t, p, map[string]*tensor.Tensor{"x": x}, dt)
		expect(t, "pre", out["pre"], []int{2, 3}, 4, 1, -2, 10, 3, -4)
		expect(t, "y", out["y"], []int{2, 3}, 4, 1, 0, 10, 3, 0)
		if out["y"].DType() != dt {
			t.Errorf("output dtype %v, want %v", out["y"].DType(), dt)
		}
	}
}

func TestUnaryOps(t *testing.T) {
	cases := []struct {
		op   ir.Op
		x    []float64
		want []float64
	}{
		{ir.OpRelu, []float64{-1, 0, 2.5}, []float64{0, 0, 2.5}},
		{ir.OpGelu, []float64{1, -1, 0}, []float64{0.8413447460685429, -0.15865525393145707, 0}},
		{ir.OpGeluNew, []float64{1, -1, 0}, []float64{0.8411919906082768, -0.15880800939172324, 0}},
		{ir.OpSigmoid, []float64{0, 2, -800}, []float64{0.5, 0.8807970779778823, 0}},
		{ir.OpTanh, []float64{0.5, 0, -0.5}, []float64{0.46211715726000974, 0, -0.46211715726000974}},
		{ir.OpExp, []float64{1, 0, -1}, []float64{math.E, 1, 1 / math.E}},
		{ir.OpLog, []float64{math.E, 1, 0.5}, []float64{1, 0, -math.Ln2}},
		{ir.OpSin, []float64{math.Pi / 2, 0, math.Pi / 6}, []float64{1, 0, 0.5}},
		{ir.OpCos, []float64{0, math.Pi, math.Pi / 3}, []float64{1, -1, 0.5}},
		{ir.OpRsqrt, []float64{4, 1, 0.25}, []float64{0.5, 1, 2}},
		{ir.OpReciprocal, []float64{4, -2, 0.5}, []float64{0.25, -0.5, 2}},
		{ir.OpAbs, []float64{-3, 0, 2}, []float64{3, 0, 2}},
		{ir.OpStep, []float64{0, 2, -1}, []float64{0, 1, 0}},
		{ir.OpLogExpP1, []float64{0, 1000, -1000}, []float64{math.Ln2, 1000, 0}},
		{ir.OpGaussianPDF, []float64{0, 1, -1}, []float64{0.3989422804014327, 0.24197072451914337, 0.24197072451914337}},
		{ir.OpGaussianCDF, []float64{0, 1.96, -1}, []float64{0.5, 0.9750021048517795, 0.15865525393145707}},
		{ir.OpLogit, []float64{0.5, 0.75, 0.25}, []float64{0, math.Log(3), -math.Log(3)}},
		{ir.OpNeg, []float64{1, 0, -2}, []float64{-1, 0, 2}},
	}
	if len(cases) != len(ir.UnaryOps) {
		t.Errorf("%d cases for %d unary ops", len(cases), len(ir.UnaryOps))
	}
	for _, c := range cases {
		p := program(t, fmt.Sprintf("%%0 = input \"x\" : f64[3]\n%%1 = %s %%0 : f64[3]\noutput \"y\" %%1\n", c.op))
		out, _ := run(t, p, map[string]*tensor.Tensor{"x": f64t(t, []int{3}, c.x...)}, tensor.Float64)
		expect(t, string(c.op), out["y"], []int{3}, c.want...)
	}
}

func TestShapeOps(t *testing.T) {
	x := f64t(t, []int{2, 3}, 0, 1, 2, 3, 4, 5)
	idx, _ := tensor.FromInt64([]int{3}, []int64{2, 0, 2})
	p := program(t, fmt.Sprintf(`%%0 = input "x" : f64[2,3]
%%1 = reshape %%0 : f64[3,2]
%%2 = permute [1,0] %%0 : f64[3,2]
%%3 = broadcast %%0 : f64[2,2,3]
%%4 = slice [1,1] [2,3] %%0 : f64[1,2]
%%5 = select 1 2 %%0 : f64[2]
%%6 = const %q : i64[3]
%%7 = gather 1 %%0 %%6 : f64[2,3]
%%8 = concat 0 %%0 %%7 : f64[4,3]
%%9 = concat 1 %%0 %%0 : f64[2,6]
%%10 = scatter [1,1] %%4 : f64[3,4]
%%11 = sum [0] %%0 : f64[3]
%%12 = sum [0,1] %%0 : f64[]
%%13 = sum [] %%0 : f64[2,3]
output "reshape" %%1
output "permute" %%2
output "broadcast" %%3
output "slice" %%4
output "select" %%5
output "gather" %%7
output "concat0" %%8
output "concat1" %%9
output "scatter" %%10
output "sum0" %%11
output "sumall" %%12
output "sumnone" %%13
`, hashOf(idx)), idx)
	out, _ := run(t, p, map[string]*tensor.Tensor{"x": x}, tensor.Float64)
	expect(t, "reshape", out["reshape"], []int{3, 2}, 0, 1, 2, 3, 4, 5)
	expect(t, "permute", out["permute"], []int{3, 2}, 0, 3, 1, 4, 2, 5)
	expect(t, "broadcast", out["broadcast"], []int{2, 2, 3}, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5)
	expect(t, "slice", out["slice"], []int{1, 2}, 4, 5)
	expect(t, "select", out["select"], []int{2}, 2, 5)
	expect(t, "gather", out["gather"], []int{2, 3}, 2, 0, 2, 5, 3, 5)
	expect(t, "concat0", out["concat0"], []int{4, 3}, 0, 1, 2, 3, 4, 5, 2, 0, 2, 5, 3, 5)
	expect(t, "concat1", out["concat1"], []int{2, 6}, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5)
	expect(t, "scatter", out["scatter"], []int{3, 4}, 0, 0, 0, 0, 0, 4, 5, 0, 0, 0, 0, 0)
	expect(t, "sum0", out["sum0"], []int{3}, 3, 5, 7)
	expect(t, "sumall", out["sumall"], []int{}, 15)
	expect(t, "sumnone", out["sumnone"], []int{2, 3}, 0, 1, 2, 3, 4, 5)
}

func TestReduceBinaryEinsumOps(t *testing.T) {
	x := f64t(t, []int{2, 3}, 1, 2, 3, 3, -1, 0)
	m := f64t(t, []int{2, 2}, 1, 2, 3, 4)
	v := f64t(t, []int{2}, 5, 7)
	p := program(t, `%0 = input "x" : f64[2,3]
%1 = softmax %0 : f64[2,3]
%2 = log_softmax %0 : f64[2,3]
%3 = reduce_max %0 : f64[2]
%4 = reduce_min %0 : f64[2]
%5 = last_dim_size %0 : f64[2]
%6 = scalar 2 : f64[3]
%7 = pow %0 %6 : f64[2,3]
%8 = mul %0 %6 : f64[2,3]
%9 = scale -0.5 %0 : f64[2,3]
%10 = add %0 %0 %6 : f64[2,3]
%12 = input "m" : f64[2,2]
%11 = einsum "aa->" %12 : f64[]
%13 = input "v" : f64[2]
%14 = einsum "a,b->ab" %13 %13 : f64[2,2]
%15 = einsum "a->aa" %13 : f64[2,2]
%16 = einsum "->" : f64[]
%17 = einsum "ab,b->a" %12 %13 : f64[2]
%18 = einsum "ab->ba" %12 : f64[2,2]
%19 = einsum "a->ab" %13 : f64[2,3]
output "softmax" %1
output "log_softmax" %2
output "max" %3
output "min" %4
output "lds" %5
output "pow" %7
output "mul" %8
output "scale" %9
output "add" %10
output "trace" %11
output "outer" %14
output "embed" %15
output "one" %16
output "matvec" %17
output "transpose" %18
output "bcast" %19
`)
	out, _ := run(t, p, map[string]*tensor.Tensor{"x": x, "m": m, "v": v}, tensor.Float64)
	expect(t, "softmax", out["softmax"], []int{2, 3}, 0.09003057317038046, 0.24472847105479767, 0.6652409557748219, 0.9362395518765056, 0.01714782554552039, 0.04661262257797389)
	expect(t, "log_softmax", out["log_softmax"], []int{2, 3}, -2.40760596444438, -1.4076059644443801, -0.40760596444438013, -0.06588390375742925, -4.065883903757429, -3.0658839037574293)
	expect(t, "max", out["max"], []int{2}, 3, 3)
	expect(t, "min", out["min"], []int{2}, 1, -1)
	expect(t, "lds", out["lds"], []int{2}, 3, 3)
	expect(t, "pow", out["pow"], []int{2, 3}, 1, 4, 9, 9, 1, 0)
	expect(t, "mul", out["mul"], []int{2, 3}, 2, 4, 6, 6, -2, 0)
	expect(t, "scale", out["scale"], []int{2, 3}, -0.5, -1, -1.5, -1.5, 0.5, 0)
	expect(t, "add", out["add"], []int{2, 3}, 4, 6, 8, 8, 0, 2)
	expect(t, "trace", out["trace"], []int{}, 5)
	expect(t, "outer", out["outer"], []int{2, 2}, 25, 35, 35, 49)
	expect(t, "embed", out["embed"], []int{2, 2}, 5, 0, 0, 7)
	expect(t, "one", out["one"], []int{}, 1)
	expect(t, "matvec", out["matvec"], []int{2}, 1*5+2*7, 3*5+4*7)
	expect(t, "transpose", out["transpose"], []int{2, 2}, 1, 3, 2, 4)
	expect(t, "bcast", out["bcast"], []int{2, 3}, 5, 5, 5, 7, 7, 7)
}

func TestInputErrors(t *testing.T) {
	p := program(t, "%0 = input \"x\" : f32[2]\n%1 = input \"i\" : i64[2]\n%2 = gather 0 %0 %1 : f32[2]\noutput \"y\" %2\n")
	x := f64t(t, []int{2}, 1, 2)
	i, _ := tensor.FromInt64([]int{2}, []int64{1, 1})
	cases := []struct {
		in   map[string]*tensor.Tensor
		dt   tensor.DType
		want string
	}{
		{map[string]*tensor.Tensor{"i": i}, tensor.Float32, `input "x" is not bound`},
		{map[string]*tensor.Tensor{"x": f64t(t, []int{3}, 1, 2, 3), "i": i}, tensor.Float32, `input "x" has shape [3]`},
		{map[string]*tensor.Tensor{"x": x, "i": x}, tensor.Float32, `input "i" has dtype float64`},
		{map[string]*tensor.Tensor{"x": x, "i": i}, tensor.Int64, "run dtype"},
	}
	for _, c := range cases {
		_, _, err := Run(p, c.in, c.dt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	// Float inputs of another precision are converted; int64 indices stay.
	out, _ := run(t, p, map[string]*tensor.Tensor{"x": x, "i": i}, tensor.Float32)
	expect(t, "y", out["y"], []int{2}, 2, 2)
	if out["y"].DType() != tensor.Float32 {
		t.Errorf("dtype %v", out["y"].DType())
	}
	// A gather index out of range is an error naming the value, not a panic.
	bad, _ := tensor.FromInt64([]int{2}, []int64{0, 5})
	if _, _, err := Run(p, map[string]*tensor.Tensor{"x": x, "i": bad}, tensor.Float64); err == nil || !strings.Contains(err.Error(), "%2 = gather") {
		t.Errorf("out-of-range gather: %v", err)
	}
}

func TestStatsPeakAndFLOPs(t *testing.T) {
	p := program(t, `%0 = input "x" : f32[100]
%1 = exp %0 : f32[100]
%2 = neg %1 : f32[100]
%3 = einsum "a,a->" %2 %2 : f32[]
output "y" %3
`)
	x := f64t(t, []int{100}, make([]float64, 100)...)
	for _, c := range []struct {
		dt   tensor.DType
		peak int64
	}{{tensor.Float32, 800}, {tensor.Float64, 1600}} {
		// unfused, so that every value has its own stats (fused below)
		out, st, err := Fast{NoFusion: true}.Run(p, map[string]*tensor.Tensor{"x": x}, c.dt)
		if err != nil {
			t.Fatal(err)
		}
		// Live sets: {x}, {x,exp}, {exp,neg}, {neg,dot}: two 100-element buffers at most.
		if st.PeakBytes != c.peak {
			t.Errorf("%v: PeakBytes %d want %d", c.dt, st.PeakBytes, c.peak)
		}
		// exp 4/elt, neg 1/elt, dot 2 per point.
		if st.TotalFLOPs != 400+100+200 {
			t.Errorf("TotalFLOPs %d", st.TotalFLOPs)
		}
		if len(st.Values) != 4 || st.Values[1].Op != ir.OpExp || st.Values[1].FLOPs != 400 || st.Values[3].Bytes != int64(c.dt.Size()) {
			t.Errorf("per-value stats %+v", st.Values)
		}
		byOp := st.ByOp()
		if len(byOp) != 4 {
			t.Errorf("ByOp %+v", byOp)
		}
		expect(t, "y", out["y"], []int{}, 100)
		// Fused, exp and neg are one value: live sets {x}, {x,fused},
		// {fused,dot}; the region's FLOPs are its values' sum.
		out, st = run(t, p, map[string]*tensor.Tensor{"x": x}, c.dt)
		if st.PeakBytes != c.peak || st.TotalFLOPs != 700 {
			t.Errorf("%v fused: PeakBytes %d want %d, TotalFLOPs %d", c.dt, st.PeakBytes, c.peak, st.TotalFLOPs)
		}
		if len(st.Values) != 3 || st.Values[1].Op != "fused" || st.Values[1].ID != 2 || st.Values[1].FLOPs != 500 {
			t.Errorf("fused per-value stats %+v", st.Values)
		}
		expect(t, "y", out["y"], []int{}, 100)
	}
}

type fakeExecutor struct{ called bool }

func (f *fakeExecutor) Run(*ir.Program, map[string]*tensor.Tensor, tensor.DType) (map[string]*tensor.Tensor, *Stats, error) {
	f.called = true
	return nil, &Stats{}, nil
}

func TestUseSwapsExecutor(t *testing.T) {
	f := &fakeExecutor{}
	Use(f)
	defer Use(nil)
	if _, _, err := Run(&ir.Program{}, nil, tensor.Float32); err != nil || !f.called {
		t.Errorf("installed executor not used")
	}
}

func TestRunRefusesInvalidPrograms(t *testing.T) {
	x := &ir.Value{ID: 0, Op: ir.OpInput, Attrs: ir.Attrs{"name": "x"}, Type: ir.Type{DType: tensor.Float64, Shape: []int{2}}}
	bad := &ir.Program{
		Values:  []*ir.Value{x, {ID: 1, Op: ir.OpConcat, Attrs: ir.Attrs{"axis": 3}, Operands: []int{0}, Type: ir.Type{DType: tensor.Float64, Shape: []int{2}}}},
		Outputs: []ir.Output{{Name: "y", ID: 1}},
	}
	_, _, err := Run(bad, map[string]*tensor.Tensor{"x": f64t(t, []int{2}, 1, 2)}, tensor.Float64)
	if err == nil || !strings.Contains(err.Error(), "%1 = concat 3 %0 : f64[2]") {
		t.Errorf("invalid program: %v", err)
	}
	// Dead values run (and are freed) without complaint.
	ok := program(t, "%0 = input \"x\" : f64[2]\n%1 = exp %0 : f64[2]\n%2 = neg %0 : f64[2]\noutput \"y\" %2\n")
	out, st := run(t, ok, map[string]*tensor.Tensor{"x": f64t(t, []int{2}, 1, 2)}, tensor.Float64)
	expect(t, "y", out["y"], []int{2}, -1, -2)
	if st.PeakBytes != 32 {
		t.Errorf("PeakBytes %d, want 32 (x plus one result)", st.PeakBytes)
	}
}

// TestSharedPoolKeepsRunBuffers: buffers a run frees are kept for the next
// run up to the largest set of buffers a run took, even past the pool's
// minimum and past the run's peak (values of five sizes, each freed before
// the next but one: more distinct buffers than live bytes); a second run of
// the same plan takes only its output from the heap, and after FreeBuffers a run
// takes it all again.
func TestSharedPoolKeepsRunBuffers(t *testing.T) {
	defer func(m int64) { sharedPoolMin = m }(sharedPoolMin)
	sharedPoolMin = 1 << 10 // far below this plan's peak
	FreeBuffers()
	defer FreeBuffers()
	p := program(t, `%0 = input "x" : f64[100000]
%1 = exp %0 : f64[100000]
%2 = slice [0] [90000] %1 : f64[90000]
%3 = tanh %2 : f64[90000]
%4 = slice [0] [80000] %3 : f64[80000]
%5 = sin %4 : f64[80000]
%6 = slice [0] [70000] %5 : f64[70000]
%7 = cos %6 : f64[70000]
%8 = slice [0] [60000] %7 : f64[60000]
%9 = exp %8 : f64[60000]
%10 = einsum "a,a->" %9 %9 : f64[]
output "y" %10
`)
	in := randInputs(p, 1)
	run := func() *Stats {
		_, st, err := Fast{NoFusion: true, Workers: 1}.Run(p, in, tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	first := run()
	if first.AllocatedBytes <= first.PeakBytes-800000 {
		t.Fatalf("the plan takes %d heap bytes for a peak of %d (inputs included): want more buffers than live bytes", first.AllocatedBytes, first.PeakBytes)
	}
	if second := run(); second.AllocatedBytes != 8 {
		t.Errorf("second run took %d bytes from the heap, want 8 (its output, which it hands out)", second.AllocatedBytes)
	}
	if global.bytes > global.maxHeld {
		t.Errorf("pool keeps %d bytes, over the largest buffer set %d", global.bytes, global.maxHeld)
	}
	FreeBuffers()
	if third := run(); third.AllocatedBytes != first.AllocatedBytes {
		t.Errorf("after FreeBuffers: %d heap bytes, want %d as on the first run", third.AllocatedBytes, first.AllocatedBytes)
	}
}

// TestSharedPoolMakesRoom: a run's buffers displace those of another
// program that no run has taken since, so a second run of the new program
// takes only its output from the heap, while the pool stays within the
// largest buffer set.
func TestSharedPoolMakesRoom(t *testing.T) {
	defer func(m int64) { sharedPoolMin = m }(sharedPoolMin)
	sharedPoolMin = 1 << 10
	FreeBuffers()
	defer FreeBuffers()
	chain := func(n int) *ir.Program {
		return program(t, fmt.Sprintf(`%%0 = input "x" : f64[%d]
%%1 = exp %%0 : f64[%[1]d]
%%2 = slice [0] [%d] %%1 : f64[%[2]d]
%%3 = tanh %%2 : f64[%[2]d]
%%4 = einsum "a,a->" %%3 %%3 : f64[]
output "y" %%4
`, n, n*3/4))
	}
	run := func(p *ir.Program) *Stats {
		_, st, err := Fast{NoFusion: true, Workers: 1}.Run(p, randInputs(p, 1), tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	big, small := chain(100000), chain(60000)
	run(big)
	run(small)
	if st := run(small); st.AllocatedBytes != 8 {
		t.Errorf("second run of the other program took %d bytes from the heap, want 8 (its output)", st.AllocatedBytes)
	}
	if global.bytes > global.maxHeld {
		t.Errorf("pool keeps %d bytes, over the largest buffer set %d", global.bytes, global.maxHeld)
	}
}
