package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
	"pgregory.net/rapid"
)

// elementwiseDAG builds a random DAG of fusible values over one result
// shape (sometimes longer than a block, so blocks and rows split), whose
// leaves are inputs of that shape, broadcasting suffix shapes with size-1
// axes, scalars, strided selects and slices, and permuted inputs read by
// permuting einsums; a few intermediates are outputs too.
func elementwiseDAG(seed uint64, dt tensor.DType) *ir.Program {
	return elementwiseDAGShaped(seed, dt, nil)
}

// elementwiseDAGShaped is elementwiseDAG at a given shape (nil: a random
// one).
func elementwiseDAGShaped(seed uint64, dt tensor.DType, shape []int) *ir.Program {
	rng := rand.New(rand.NewPCG(seed, 11))
	b := ir.NewBuilder()
	must := func(id int, err error) int {
		if err != nil {
			panic(err)
		}
		return id
	}
	switch k := rng.IntN(4); {
	case shape != nil:
	case k == 0:
		shape = []int{1 + rng.IntN(3000)}
	case k == 1:
		shape = []int{1 + rng.IntN(5), 1 + rng.IntN(700)}
	default:
		for range rng.IntN(4) {
			shape = append(shape, 1+rng.IntN(5))
		}
	}
	ty := func(s []int) ir.Type { return ir.Type{DType: dt, Shape: s} }
	ninputs := 0
	input := func(s []int) int {
		ninputs++
		return must(b.Input(fmt.Sprintf("in%d", ninputs), ty(s)))
	}
	leaf := func() int {
		switch rng.IntN(6) {
		case 0: // a broadcasting suffix
			k := rng.IntN(len(shape) + 1)
			suf := slices.Clone(shape[len(shape)-k:])
			for i := range suf {
				if rng.IntN(3) == 0 {
					suf[i] = 1
				}
			}
			return input(suf)
		case 1:
			return must(b.Scalar(rng.Float64()*4-2, ty(nil)))
		case 2: // a strided view: one column of a wider input
			wide := append(slices.Clone(shape), 3)
			return must(b.Add(ir.OpSelect, ir.Attrs{"axis": len(shape), "index": rng.IntN(3)}, input(wide)))
		case 3:
			if len(shape) > 0 {
				big := slices.Clone(shape)
				big[0] += 2
				starts, stops := make([]int, len(shape)), slices.Clone(big)
				starts[0], stops[0] = 1, big[0]-1
				return must(b.Add(ir.OpSlice, ir.Attrs{"starts": starts, "stops": stops}, input(big)))
			}
		}
		return input(shape)
	}
	full := []int{input(shape)} // values of the result shape
	full = append(full, must(b.Add(ir.OpAdd, nil, full[0], leaf())))
	pick := func() int {
		if rng.IntN(4) == 0 {
			return leaf()
		}
		return full[len(full)-1-rng.IntN(min(len(full), 4))]
	}
	letters := "abcd"[:len(shape)]
	steps := 2 + rng.IntN(12)
	for range steps {
		x := full[len(full)-1-rng.IntN(min(len(full), 3))]
		var id int
		switch rng.IntN(8) {
		case 0, 1:
			terms := []int{x}
			for range 1 + rng.IntN(3) {
				terms = append(terms, pick())
			}
			id = must(b.Add(ir.OpAdd, nil, terms...))
		case 2:
			id = must(b.Add(ir.OpMul, nil, pick(), x))
		case 3:
			id = must(b.Add(ir.OpScale, ir.Attrs{"factor": rng.Float64()*4 - 2}, x))
		case 4:
			// pow of a sigmoid (positive base) by a leaf
			s := must(b.Add(ir.OpSigmoid, nil, x))
			id = must(b.Add(ir.OpPow, nil, s, must(b.Scalar(1.5, ty(nil)))))
		case 5:
			if len(shape) == 2 && rng.IntN(2) == 0 { // a permuted operand: ab,ba->ab
				other := input([]int{shape[1], shape[0]})
				id = must(b.Add(ir.OpEinsum, ir.Attrs{"spec": "ab,ba->ab"}, x, other))
			} else { // a broadcast operand through einsum labels
				k := rng.IntN(len(letters) + 1)
				other := input(slices.Clone(shape[len(shape)-k:]))
				id = must(b.Add(ir.OpEinsum, ir.Attrs{"spec": letters + "," + letters[len(letters)-k:] + "->" + letters}, x, other))
			}
		default:
			id = must(b.Add(ir.UnaryOps[rng.IntN(len(ir.UnaryOps))], nil, x))
		}
		full = append(full, id)
	}
	must(0, b.Output("y", full[len(full)-1]))
	for i, id := range full[:len(full)-1] {
		if b.Value(id).Op != ir.OpInput && rng.IntN(6) == 0 {
			must(0, b.Output(fmt.Sprintf("mid%d", i), id))
		}
	}
	return b.Build()
}

// closeToReference compares outputs with the reference interpreter's
// where the reference is finite (float64 tightly, float32 within rounding
// carried through the chain). Non-finite reference elements are left to
// the bitwise fused/unfused check: Fast and Reference may disagree on the
// sign of a zero (and so of rsqrt(±0)) whether or not anything is fused.
// So are float32 elements the float32 reference itself computes far from
// the float64 one: there the chain is ill-conditioned in float32 (cos of
// x·e^x for a large x turns one ulp of exp into 0.05), and any two float32
// computations may differ.
func closeToReference(t interface {
	Fatalf(string, ...any)
}, p *ir.Program, in map[string]*tensor.Tensor, dt tensor.DType, got map[string]*tensor.Tensor) {
	want, _, err := Reference{}.Run(p, in, dt)
	if err != nil {
		t.Fatalf("reference: %v\n%s", err, p)
	}
	want64 := want
	tol := 1e-9
	if dt == tensor.Float32 {
		tol = 1e-3
		if want64, _, err = (Reference{}).Run(p, in, tensor.Float64); err != nil {
			t.Fatalf("reference: %v\n%s", err, p)
		}
	}
	for name, w := range want {
		g := got[name]
		if g == nil || !slices.Equal(g.Shape(), w.Shape()) {
			t.Fatalf("output %q missing or misshapen\n%s", name, p)
		}
		gv, wv, w64 := g.Float64s(), w.Float64s(), want64[name].Float64s()
		for i, x := range wv {
			if math.IsInf(x, 0) || math.IsNaN(x) || math.Abs(x) > 1e20 {
				continue
			}
			if math.Abs(x-w64[i]) > tol*(1+math.Abs(w64[i])) {
				continue // ill-conditioned in float32
			}
			if math.Abs(gv[i]-x) > tol*(1+math.Abs(x)) {
				t.Fatalf("%v output %q[%d]: fused %g, reference %g\n%s", dt, name, i, gv[i], x, p)
			}
		}
	}
}

// sameBits reports bitwise-equal tensors (NaNs of any payload equal).
func sameBits(a, b *tensor.Tensor) bool {
	x, y := a.Float64s(), b.Float64s()
	if len(x) != len(y) || !slices.Equal(a.Shape(), b.Shape()) {
		return false
	}
	for i := range x {
		if x[i] != y[i] && !(math.IsNaN(x[i]) && math.IsNaN(y[i])) {
			return false
		}
	}
	return true
}

// checkFused runs p fused and unfused: the fused outputs must equal the
// unfused kernels' bit for bit (same operation order and functions), match
// the reference interpreter, and stay within the fused schedule's memory
// prediction. It returns the number of fused regions.
func checkFused(t interface {
	Fatalf(string, ...any)
}, p *ir.Program, seed uint64) int {
	in := randInputs(p, seed)
	q, kernels := fuseProgram(p, tensor.Float64)
	if err := verifyForRun(q); err != nil && len(kernels) == 0 {
		t.Fatalf("fused program: %v", err)
	}
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
		got, st, err := Fast{Workers: 1}.Run(p, in, dt)
		if err != nil {
			t.Fatalf("%v fused: %v\n%s", dt, err, p)
		}
		closeToReference(t, p, in, dt, got)
		par, _, err := Fast{}.Run(p, in, dt)
		if err != nil {
			t.Fatalf("%v fused, parallel: %v\n%s", dt, err, p)
		}
		for name, g := range got {
			if !sameBits(par[name], g) {
				t.Fatalf("%v output %q: a parallel run differs from a one-worker run\n%s", dt, name, p)
			}
		}
		want, _, err := Fast{NoFusion: true}.Run(p, in, dt)
		if err != nil {
			t.Fatalf("%v unfused: %v\n%s", dt, err, p)
		}
		for name, w := range want {
			if !sameBits(got[name], w) {
				t.Fatalf("%v output %q: fused %v, unfused %v\n%s", dt, name, got[name].Float64s()[:min(8, w.Size())], w.Float64s()[:min(8, w.Size())], p)
			}
		}
		if st.PeakBytes > st.PredictedPeakBytes {
			t.Fatalf("%v: measured peak %d over the fused prediction %d\n%s", dt, st.PeakBytes, st.PredictedPeakBytes, p)
		}
	}
	return len(kernels)
}

// TestFusedMatchesUnfused: random elementwise DAGs with broadcasting,
// strided and permuted leaves, computed fused, equal the unfused kernels
// bitwise and the reference interpreter within rounding, in float64 and
// float32; most of them do fuse.
func TestFusedMatchesUnfused(t *testing.T) {
	fusedAny, runs := 0, 0 // rapid runs fewer cases under -short
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		runs++
		if checkFused(rt, elementwiseDAG(seed, tensor.Float64), seed) > 0 {
			fusedAny++
		}
	})
	if 2*fusedAny < runs {
		t.Errorf("only %d of %d random DAGs had a fused region", fusedAny, runs)
	}
}

// TestFusedShortRows: DAGs over [rows, n] with n from 1 to 12 and up to
// 400 rows, where blocks span many rows (fusedRowsT) and broadcast leaves
// are filled row by row, equal the unfused kernels bitwise.
func TestFusedShortRows(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		shape := []int{rapid.IntRange(1, 400).Draw(rt, "rows"), rapid.IntRange(1, 12).Draw(rt, "n")}
		checkFused(rt, elementwiseDAGShaped(seed, tensor.Float64, shape), seed)
	})
}

// TestFusedRandomPrograms: the general random programs of fast_test.go
// (einsums, reductions, gathers, views between elementwise values) agree
// fused and unfused too.
func TestFusedRandomPrograms(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		checkFused(rt, buildRandProg(seed, rapid.IntRange(1, 14).Draw(rt, "steps"), tensor.Float64), seed)
	})
}

func FuzzFusedDAG(f *testing.F) {
	for _, s := range []uint64{0, 1, 7, 42, 1 << 40} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		checkFused(t, elementwiseDAG(seed, tensor.Float64), seed)
	})
}

// TestFuseRegions: which values join a region, by hand. %2..%6 join %7
// (a chain and a DAG over a shared strided select leaf and a scalar); %7 is
// an output read by %8, so it roots that region and %8 starts another; %12
// is [4] broadcast into %9's [3,4], so it roots its own region with %11;
// the permuting einsum %15 reads %14 transposed, so %14 stays outside and
// (alone) unfused.
func TestFuseRegions(t *testing.T) {
	p := program(t, `%0 = input "x" : f32[3,4,2]
%1 = select 2 0 %0 : f32[3,4]
%2 = scale 0.5 %1 : f32[3,4]
%3 = scalar -3 : f32[]
%4 = add %1 %2 %3 : f32[3,4]
%5 = sigmoid %4 : f32[3,4]
%6 = einsum "ab,ab->ab" %5 %5 : f32[3,4]
%7 = exp %6 : f32[3,4]
%8 = neg %7 : f32[3,4]
%10 = input "v" : f32[4]
%11 = tanh %10 : f32[4]
%12 = relu %11 : f32[4]
%9 = add %8 %12 : f32[3,4]
%13 = input "w" : f32[4,3]
%14 = tanh %13 : f32[4,3]
%15 = einsum "ab,ba->ab" %9 %14 : f32[3,4]
output "y" %15
output "e" %7
`)
	q, kernels := fuseProgram(p, tensor.Float32)
	regions := map[int][]int{}
	for root, k := range kernels {
		regions[root] = k.ids
	}
	want := map[int][]int{
		7:  {2, 4, 5, 6, 7},
		12: {11, 12},
		15: {8, 9, 15},
	}
	if fmt.Sprint(regions) != fmt.Sprint(want) {
		t.Errorf("regions %v, want %v\n%s", regions, want, q)
	}
	if len(q.Values) != len(p.Values)-7 {
		t.Errorf("fused program has %d values, want %d\n%s", len(q.Values), len(p.Values)-7, q)
	}
	// The fused program still computes the same thing.
	in := randInputs(p, 3)
	compareRuns(t, p, in, tensor.Float32, Fast{})
	compareRuns(t, p, in, tensor.Float64, Fast{})
}

// chainProgram is x -> exp -> neg -> tanh -> dot in float64 on 100 elements.
func chainProgram(t *testing.T) *ir.Program {
	return program(t, `%0 = input "x" : f64[100]
%1 = exp %0 : f64[100]
%2 = neg %1 : f64[100]
%3 = tanh %2 : f64[100]
%4 = einsum "a,a->" %3 %3 : f64[]
output "y" %4
`)
}

// TestFusedPeak: x -> exp -> neg -> tanh -> dot holds x and one fused
// result (800 B in float64) where unfused it holds two of the chain's
// values at once.
func TestFusedPeak(t *testing.T) {
	p := chainProgram(t)
	x := f64t(t, []int{100}, make([]float64, 100)...)
	_, st, err := Fast{}.Run(p, map[string]*tensor.Tensor{"x": x}, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	pred, err := PredictPeak(p, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	if st.PeakBytes != 1600 || pred != 1600 {
		t.Errorf("fused: peak %d predicted %d, want 1600", st.PeakBytes, pred)
	}
	if len(st.Values) != 3 {
		t.Errorf("stats %+v, want input, fused, einsum", st.Values)
	}
}

// TestUnfusedRunOfFusedOrder: an Order from PlanSchedule (which lists the
// fused program's values) still runs with NoFusion, the fused-away values
// placed before their readers, with the same results.
func TestUnfusedRunOfFusedOrder(t *testing.T) {
	p := chainProgram(t)
	s, err := PlanSchedule(p, tensor.Float64, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Order) != 3 {
		t.Fatalf("fused order %v, want input, fused, einsum", s.Order)
	}
	in := randInputs(p, 1)
	want, _, err := Fast{}.Run(p, in, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := Fast{NoFusion: true, Order: s.Order, MaxMemory: 1 << 20}.Run(p, in, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(got["y"], want["y"]) {
		t.Errorf("unfused %v, fused %v", got["y"].Float64s(), want["y"].Float64s())
	}
}
