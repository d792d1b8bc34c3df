package runtime

import (
	"errors"
	"fmt"
	cblas "github.com/circopt/circopt/blas"
	"math"
	"math/rand/v2"
	goruntime "runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/circopt/circopt/internal/rowloop"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
	"pgregory.net/rapid"
)

// randProg builds random well-typed programs covering every fast kernel:
// binary einsums of every label class (batch, M, N, K) on permuted, sliced
// and broadcast operands, n-ary broadcasting adds, mul/pow/scale, unary
// functions, sums over any axes, last-axis reductions, gather, concat,
// scatter, reshapes of non-contiguous values, and shared subtrees.
type randProg struct {
	rng  *rand.Rand
	b    *ir.Builder
	vals []int
	n    int
	dt   tensor.DType
}

func (g *randProg) shape(id int) []int { t, _ := g.b.TypeOf(id); return t.Shape }

func (g *randProg) add(id int, err error) int {
	if err != nil {
		panic(fmt.Sprintf("generator: %v", err))
	}
	g.vals = append(g.vals, id)
	return id
}

func (g *randProg) pick() int { return g.vals[g.rng.IntN(len(g.vals))] }

func (g *randProg) input(shape []int) int {
	g.n++
	return g.add(g.b.Input(fmt.Sprintf("x%d", g.n), ir.Type{DType: g.dt, Shape: shape}))
}

func (g *randProg) dims(k int) []int {
	s := make([]int, k)
	for i := range s {
		s[i] = 1 + g.rng.IntN(5)
	}
	return s
}

const labelLetters = "abcdefgh"

// einsum builds a random binary contraction on fresh or permuted operands.
func (g *randProg) einsum() {
	nl := 1 + g.rng.IntN(5)
	sizes := g.dims(nl)
	var la, lb, lo []int
	for l := 0; l < nl; l++ {
		switch g.rng.IntN(4) {
		case 0: // batch
			la, lb, lo = append(la, l), append(lb, l), append(lo, l)
		case 1: // M
			la, lo = append(la, l), append(lo, l)
		case 2: // N
			lb, lo = append(lb, l), append(lo, l)
		default: // K
			la, lb = append(la, l), append(lb, l)
		}
	}
	g.rng.Shuffle(len(la), func(i, j int) { la[i], la[j] = la[j], la[i] })
	g.rng.Shuffle(len(lb), func(i, j int) { lb[i], lb[j] = lb[j], lb[i] })
	g.rng.Shuffle(len(lo), func(i, j int) { lo[i], lo[j] = lo[j], lo[i] })
	operand := func(ls []int) int {
		shape := make([]int, len(ls))
		for i, l := range ls {
			shape[i] = sizes[l]
		}
		// Sometimes a permuted view of a permuted input, sometimes a slice.
		switch g.rng.IntN(3) {
		case 0:
			perm := g.rng.Perm(len(ls))
			src := make([]int, len(ls))
			for i, p := range perm {
				src[p] = shape[i]
			}
			x := g.input(src)
			inv := make([]int, len(perm))
			for i, p := range perm {
				inv[p] = i
			}
			// src axis p holds result axis i where perm[i] = p: permute by perm.
			return g.add(g.b.Add(ir.OpPermute, ir.Attrs{"perm": perm}, x))
		case 1:
			big := slices.Clone(shape)
			starts := make([]int, len(shape))
			stops := slices.Clone(shape)
			if len(big) > 0 {
				big[0]++
				starts[0], stops[0] = 1, big[0]
			}
			x := g.input(big)
			return g.add(g.b.Add(ir.OpSlice, ir.Attrs{"starts": starts, "stops": stops}, x))
		}
		return g.input(shape)
	}
	a, b := operand(la), operand(lb)
	str := func(ls []int) string {
		var sb strings.Builder
		for _, l := range ls {
			sb.WriteByte(labelLetters[l])
		}
		return sb.String()
	}
	g.add(g.b.Add(ir.OpEinsum, ir.Attrs{"spec": str(la) + "," + str(lb) + "->" + str(lo)}, a, b))
}

func (g *randProg) step() {
	x := g.pick()
	s := g.shape(x)
	switch g.rng.IntN(14) {
	case 0, 1:
		g.einsum()
	case 2: // broadcasting add of up to three terms, one a suffix
		terms := []int{x}
		for range 1 + g.rng.IntN(2) {
			k := g.rng.IntN(len(s) + 1)
			suf := slices.Clone(s[len(s)-k:])
			for i := range suf {
				if g.rng.IntN(3) == 0 {
					suf[i] = 1
				}
			}
			terms = append(terms, g.input(suf))
		}
		g.add(g.b.Add(ir.OpAdd, nil, terms...))
	case 3:
		y := g.input(s)
		g.add(g.b.Add(ir.OpMul, nil, x, y))
	case 4:
		e := g.add(g.b.Add(ir.OpSigmoid, nil, x))
		sc, _ := g.b.Scalar(1.5, ir.Type{DType: g.dt, Shape: nil})
		g.add(g.b.Add(ir.OpPow, nil, e, sc))
	case 5:
		ops := []ir.Op{ir.OpRelu, ir.OpGelu, ir.OpTanh, ir.OpExp, ir.OpNeg, ir.OpAbs, ir.OpSin, ir.OpGeluNew}
		g.add(g.b.Add(ops[g.rng.IntN(len(ops))], nil, x))
	case 6:
		g.add(g.b.Add(ir.OpScale, ir.Attrs{"factor": g.rng.Float64()*4 - 2}, x))
	case 7:
		var axes []int
		for ax := range s {
			if g.rng.IntN(2) == 0 {
				axes = append(axes, ax)
			}
		}
		g.add(g.b.Add(ir.OpSum, ir.Attrs{"axes": axes}, x))
	case 8:
		if len(s) >= 1 && s[len(s)-1] > 0 {
			ops := []ir.Op{ir.OpSoftmax, ir.OpLogSoftmax, ir.OpReduceMax, ir.OpReduceMin}
			g.add(g.b.Add(ops[g.rng.IntN(len(ops))], nil, x))
		}
	case 9:
		if len(s) >= 1 {
			ax := g.rng.IntN(len(s))
			n := 1 + g.rng.IntN(6)
			idx := make([]int64, n)
			for i := range idx {
				idx[i] = int64(g.rng.IntN(s[ax]))
			}
			it, _ := tensor.FromInt64([]int{n}, idx)
			c, err := g.b.Const(it)
			if err != nil {
				panic(err)
			}
			g.add(g.b.Add(ir.OpGather, ir.Attrs{"axis": ax}, x, c))
		}
	case 10:
		if len(s) >= 1 {
			ax := g.rng.IntN(len(s))
			g.add(g.b.Add(ir.OpConcat, ir.Attrs{"axis": ax}, x, x))
		}
	case 11:
		if len(s) >= 1 {
			out := slices.Clone(s)
			starts := make([]int, len(s))
			for i := range out {
				starts[i] = g.rng.IntN(2)
				out[i] += starts[i] + g.rng.IntN(2)
			}
			g.add(g.b.AddTyped(ir.OpScatter, ir.Attrs{"starts": starts}, ir.Type{DType: g.dt, Shape: out}, x))
		}
	case 12: // reshape of a permuted (non-contiguous) value
		if len(s) >= 2 {
			perm := g.rng.Perm(len(s))
			pv := g.add(g.b.Add(ir.OpPermute, ir.Attrs{"perm": perm}, x))
			ps := g.shape(pv)
			flat := []int{ps[0] * ps[1]}
			flat = append(flat, ps[2:]...)
			g.add(g.b.AddTyped(ir.OpReshape, nil, ir.Type{DType: g.dt, Shape: flat}, pv))
		}
	case 13:
		if len(s) >= 1 {
			big := append([]int{2}, s...)
			bv := g.add(g.b.AddTyped(ir.OpBroadcast, nil, ir.Type{DType: g.dt, Shape: big}, x))
			g.add(g.b.Add(ir.OpSelect, ir.Attrs{"axis": 0, "index": 1}, bv))
		}
	}
}

// build makes a program whose outputs are the last few values.
func buildRandProg(seed uint64, steps int, dt tensor.DType) *ir.Program {
	g := &randProg{rng: rand.New(rand.NewPCG(seed, 7)), b: ir.NewBuilder(), dt: dt}
	g.input(g.dims(1 + g.rng.IntN(3)))
	g.einsum()
	for range steps {
		g.step()
	}
	// Every value that nothing reads becomes an output, so nothing is dead.
	b := g.b
	p := b.Build()
	used := map[int]bool{}
	for _, v := range p.Values {
		for _, o := range v.Operands {
			used[o] = true
		}
	}
	nb := ir.NewBuilder()
	for h, t := range p.Consts {
		nb.AddConstTensor(h, t)
	}
	for _, v := range p.Values {
		if _, err := nb.Copy(v, v.Operands...); err != nil {
			panic(err)
		}
	}
	for _, v := range p.Values {
		if !used[v.ID] && v.Op != ir.OpInput && v.Op != ir.OpConst && v.Op != ir.OpScalar {
			_ = nb.Output(fmt.Sprintf("out%d", v.ID), v.ID)
		}
	}
	q := nb.Build()
	// Drop unused inputs/consts/scalars by rebuilding with only live values.
	live := q.Live()
	fb := ir.NewBuilder()
	for h, t := range q.Consts {
		fb.AddConstTensor(h, t)
	}
	m := map[int]int{}
	for _, v := range q.Values {
		if !live[v.ID] {
			continue
		}
		ops := make([]int, len(v.Operands))
		for i, o := range v.Operands {
			ops[i] = m[o]
		}
		id, err := fb.Copy(v, ops...)
		if err != nil {
			panic(err)
		}
		m[v.ID] = id
	}
	for _, o := range q.Outputs {
		_ = fb.Output(o.Name, m[o.ID])
	}
	return fb.Build()
}

func randInputs(p *ir.Program, seed uint64) map[string]*tensor.Tensor {
	in := map[string]*tensor.Tensor{}
	for i, v := range p.Inputs() {
		t, err := tensor.RandN(tensor.Float64, v.Shape(), seed*101+uint64(i))
		if err != nil {
			panic(err)
		}
		in[v.Attrs.String("name")] = t
	}
	return in
}

func compareRuns(t interface {
	Fatalf(string, ...any)
}, p *ir.Program, in map[string]*tensor.Tensor, dt tensor.DType, f Executor) *Stats {
	want, _, err := Reference{}.Run(p, in, dt)
	if err != nil {
		t.Fatalf("reference: %v\n%s", err, p)
	}
	got, st, err := f.Run(p, in, dt)
	if err != nil {
		t.Fatalf("fast: %v\n%s", err, p)
	}
	rtol, atol := 1e-9, 1e-9
	if dt == tensor.Float32 {
		rtol, atol = 2e-4, 2e-4
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Fatalf("output %q missing\n%s", name, p)
		}
		if !slices.Equal(g.Shape(), w.Shape()) || g.DType() != w.DType() {
			t.Fatalf("output %q: %v %v, reference %v %v", name, g.DType(), g.Shape(), w.DType(), w.Shape())
		}
		if !tensor.AllClose(g, w, rtol, atol) {
			abs, rel, _ := tensor.Compare(g, w)
			t.Fatalf("output %q differs: max abs %g rel %g\n%s", name, abs, rel, p)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d outputs, reference %d", len(got), len(want))
	}
	return st
}

// TestFastMatchesReference: random programs give the reference's outputs
// (float64 tightly, float32 within float32 rounding), with one worker and
// with several, and under a tight memory budget.
func TestFastMatchesReference(t *testing.T) {
	var both atomic.Int64
	gemmHook = func(a, b bool) {
		if a && b {
			both.Add(1)
		}
	}
	defer func() { gemmHook = nil }()
	defer func() {
		if n := both.Load(); n > 0 {
			t.Errorf("%d GEMM calls got both operands transposed", n)
		}
	}()
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		steps := rapid.IntRange(1, 14).Draw(rt, "steps")
		dt := rapid.SampledFrom([]tensor.DType{tensor.Float64, tensor.Float32}).Draw(rt, "dtype")
		p := buildRandProg(seed, steps, dt)
		if errs := ir.Verify(p); len(errs) > 0 {
			rt.Fatalf("generator: %v\n%s", errs, p)
		}
		in := randInputs(p, seed)
		for _, f := range []Fast{{}, {Workers: 1}, {Workers: 4}} {
			compareRuns(rt, p, in, dt, f)
		}
	})
}

// TestContractionLayouts: every operand layout and output order of a
// (batched) contraction matches the reference, and no GEMM gets both
// operands transposed.
func TestContractionLayouts(t *testing.T) {
	var both, calls atomic.Int64
	gemmHook = func(a, b bool) {
		calls.Add(1)
		if a && b {
			both.Add(1)
		}
	}
	defer func() { gemmHook = nil }()
	specs := []string{
		"mk,kn->mn", "km,kn->mn", "mk,nk->mn", "km,nk->mn", "mk,kn->nm", "km,nk->nm",
		"bmk,bkn->bmn", "bkm,bnk->bnm", "mbk,kbn->bmn", "bik,kj->bij", "abk,kc->acb",
		"bhqd,bhkd->bhqk", "bhqk,bhkd->bqhd", "ij,jk->", "i,i->", "i,j->ij", "ab,ab->a",
		"ak,k->a", "k,kn->n", "bmk,kn->mbn", "mkl,lkn->nm",
		// output groups that do not collapse: loop labels or a permuted block
		"xsd,dhe->xhse", "xsd,dhe->hxes", "abc,cde->adbe", "mk,kn->nm",
	}
	size := map[byte]int{'m': 17, 'n': 13, 'k': 19, 'b': 3, 'i': 5, 'j': 7, 'a': 4, 'c': 6, 'h': 2, 'q': 9, 'd': 8, 'l': 3, 'x': 3, 's': 17, 'e': 13}
	defer func(f int) { forcedLayout = f }(forcedLayout)
	for _, spec := range specs {
		for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
			forcedLayout = map[tensor.DType]int{tensor.Float64: layoutPreferLoop, tensor.Float32: layoutPreferBlock}[dt]
			lhs, rhs, _ := strings.Cut(spec, "->")
			terms := strings.Split(lhs, ",")
			var src strings.Builder
			for i, term := range terms {
				var dims []string
				for j := 0; j < len(term); j++ {
					dims = append(dims, fmt.Sprint(size[term[j]]))
				}
				fmt.Fprintf(&src, "%%%d = input \"x%d\" : %s[%s]\n", i, i, map[tensor.DType]string{tensor.Float64: "f64", tensor.Float32: "f32"}[dt], strings.Join(dims, ","))
			}
			var od []string
			for j := 0; j < len(rhs); j++ {
				od = append(od, fmt.Sprint(size[rhs[j]]))
			}
			fmt.Fprintf(&src, "%%2 = einsum %q %%0 %%1 : %s[%s]\noutput \"y\" %%2\n", spec, map[tensor.DType]string{tensor.Float64: "f64", tensor.Float32: "f32"}[dt], strings.Join(od, ","))
			p := program(t, src.String())
			compareRuns(t, p, randInputs(p, 3), dt, Fast{})
		}
	}
	if calls.Load() == 0 || both.Load() != 0 {
		t.Errorf("%d GEMM calls, %d with both operands transposed", calls.Load(), both.Load())
	}
}

func TestFastSourceOutputs(t *testing.T) {
	p := program(t, "%0 = input \"x\" : f64[2]\n%1 = scalar 3 : f64[2]\noutput \"x\" %0\noutput \"three\" %1\n")
	out, _, err := Fast{}.Run(p, map[string]*tensor.Tensor{"x": f64t(t, []int{2}, 1, 2)}, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "x", out["x"], []int{2}, 1, 2)
	expect(t, "three", out["three"], []int{2}, 3, 3)
}

// TestFastPeakMatchesPrediction: on random programs the measured peak of
// live storage stays within 1.25× of the schedule's prediction (run with
// several workers, where concurrency could raise it), and a one-worker run
// never exceeds it.
func TestFastPeakMatchesPrediction(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		p := buildRandProg(seed, rapid.IntRange(1, 14).Draw(rt, "steps"), tensor.Float64)
		in := randInputs(p, seed)
		pred, err := PredictPeak(p, tensor.Float64)
		if err != nil {
			rt.Fatal(err)
		}
		_, st1, err := Fast{Workers: 1}.Run(p, in, tensor.Float64)
		if err != nil {
			rt.Fatal(err)
		}
		if st1.PeakBytes > pred {
			rt.Fatalf("one worker: measured %d over predicted %d\n%s", st1.PeakBytes, pred, p)
		}
		_, st, err := Fast{Workers: 4}.Run(p, in, tensor.Float64)
		if err != nil {
			rt.Fatal(err)
		}
		if float64(st.PeakBytes) > 1.25*float64(pred) {
			rt.Fatalf("four workers: measured %d over 1.25× predicted %d\n%s", st.PeakBytes, pred, p)
		}
		if st.PredictedPeakBytes != pred {
			rt.Fatalf("Stats.PredictedPeakBytes %d, PredictPeak %d", st.PredictedPeakBytes, pred)
		}
	})
}

// TestFastPeakHandWorked: x (800 B) -> exp -> neg -> dot, in float64:
// live sets {x,exp}=1600, {exp,neg}=1600, {neg,dot}=808; views are free.
func TestFastPeakHandWorked(t *testing.T) {
	p := program(t, `%0 = input "x" : f64[100]
%1 = exp %0 : f64[100]
%2 = permute [0] %1 : f64[100]
%3 = neg %2 : f64[100]
%4 = einsum "a,a->" %3 %3 : f64[]
output "y" %4
`)
	x := f64t(t, []int{100}, make([]float64, 100)...)
	out, st, err := Fast{}.Run(p, map[string]*tensor.Tensor{"x": x}, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "y", out["y"], []int{}, 100)
	if st.PeakBytes != 1600 || st.PredictedPeakBytes != 1600 {
		t.Errorf("peak %d predicted %d, want 1600 both", st.PeakBytes, st.PredictedPeakBytes)
	}
}

// wideProgram has two independent branches, each keeping two values
// alive until its end: program order interleaves them (both branches'
// intermediates live at once), a branch-at-a-time order does not. The
// softmaxes keep each branch's exp, softmax and add from fusing into one
// value (over one axis of 1000, each softmax element is 0.001).
func wideProgram(t *testing.T) *ir.Program {
	return program(t, `%0 = input "x" : f64[1000]
%1 = input "y" : f64[1000]
%2 = exp %0 : f64[1000]
%3 = exp %1 : f64[1000]
%4 = softmax %2 : f64[1000]
%5 = softmax %3 : f64[1000]
%6 = add %2 %4 : f64[1000]
%7 = add %3 %5 : f64[1000]
%8 = einsum "a->" %6 : f64[]
%9 = einsum "a->" %7 : f64[]
output "a" %8
output "b" %9
`)
}

// TestMaxMemory: a limit between the greedy order's peak and program
// order's makes the schedule reorder (and the run stays under it); a limit
// below every order is refused before anything runs.
func TestMaxMemory(t *testing.T) {
	p := wideProgram(t)
	in := map[string]*tensor.Tensor{"x": f64t(t, []int{1000}, make([]float64, 1000)...), "y": f64t(t, []int{1000}, make([]float64, 1000)...)}
	seq, err := PlanSchedule(p, tensor.Float64, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Program order: at %6, exp x, exp y, tanh, tanh and the sum are live: 5×8000.
	if seq.PeakBytes != 40000 || seq.Reordered {
		t.Fatalf("program-order schedule %d %v, want 40000", seq.PeakBytes, seq.Reordered)
	}
	s, err := PlanSchedule(p, tensor.Float64, 32000)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Reordered || s.PeakBytes > 32000 {
		t.Fatalf("schedule %+v", s)
	}
	out, st, err := Fast{MaxMemory: 32000, Order: s.Order}.Run(p, in, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	if st.PeakBytes > 32000 {
		t.Errorf("measured %d over the limit", st.PeakBytes)
	}
	// exp 0 = 1, softmax of 1000 equal values = 0.001: each sum is 1001.
	expect(t, "a", out["a"], []int{}, 1001)
	// Fast with MaxMemory alone reorders too.
	if _, st, err = (Fast{MaxMemory: 32000}).Run(p, in, tensor.Float64); err != nil || st.PeakBytes > 32000 {
		t.Errorf("MaxMemory run: %v, peak %d", err, st.PeakBytes)
	}
	_, err = PlanSchedule(p, tensor.Float64, 10000)
	if !errors.Is(err, ErrOverMemory) || !strings.Contains(err.Error(), "more than the limit of 10000") {
		t.Errorf("limit below every order: %v", err)
	}
	if _, _, err := (Fast{MaxMemory: 10000}).Run(p, in, tensor.Float64); !errors.Is(err, ErrOverMemory) {
		t.Errorf("run under an impossible limit was not refused")
	}
}

// TestFastConcurrentRuns: one program run from several goroutines at once
// (the race detector checks the executor's shared state).
func TestFastConcurrentRuns(t *testing.T) {
	p := buildRandProg(11, 14, tensor.Float64)
	in := randInputs(p, 11)
	want, _, err := Reference{}.Run(p, in, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			for range 5 {
				got, _, err := Fast{Workers: 3}.Run(p, in, tensor.Float64)
				if err != nil {
					errs <- err
					return
				}
				for k, w := range want {
					if !tensor.AllClose(got[k], w, 1e-9, 1e-9) {
						errs <- fmt.Errorf("output %s differs", k)
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestFastErrors: bad bindings and out-of-range gathers are errors naming
// the value, and the executor survives them.
func TestFastErrors(t *testing.T) {
	p := program(t, "%0 = input \"x\" : f32[2]\n%1 = input \"i\" : i64[2]\n%2 = gather 0 %0 %1 : f32[2]\n%3 = exp %2 : f32[2]\noutput \"y\" %3\n")
	x := f64t(t, []int{2}, 1, 2)
	bad, _ := tensor.FromInt64([]int{2}, []int64{0, 5})
	if _, _, err := (Fast{}).Run(p, map[string]*tensor.Tensor{"x": x, "i": bad}, tensor.Float64); err == nil || !strings.Contains(err.Error(), "%2 = gather") {
		t.Errorf("out-of-range gather: %v", err)
	}
	if _, _, err := (Fast{}).Run(p, map[string]*tensor.Tensor{"x": x}, tensor.Float64); err == nil || !strings.Contains(err.Error(), `input "i" is not bound`) {
		t.Errorf("unbound input: %v", err)
	}
}

// TestGOMAXPROCSRespected: kernels split across GOMAXPROCS goroutines and
// the scheduler's default width follows it.
func TestGOMAXPROCSRespected(t *testing.T) {
	old := goruntime.GOMAXPROCS(1)
	defer goruntime.GOMAXPROCS(old)
	if workers() != 1 {
		t.Fatalf("workers() = %d under GOMAXPROCS=1", workers())
	}
	var chunks int
	parFor(1<<20, 1, func(lo, hi int) { chunks++ })
	if chunks != 1 {
		t.Errorf("%d chunks under GOMAXPROCS=1", chunks)
	}
	p := buildRandProg(3, 10, tensor.Float64)
	_, st, err := Fast{}.Run(p, randInputs(p, 3), tensor.Float64)
	if err != nil || st.Workers != 1 {
		t.Errorf("workers %d, err %v", st.Workers, err)
	}
	goruntime.GOMAXPROCS(3)
	var mu = make(chan int, 8*chunksPerWorker)
	parFor(1<<20, 1, func(lo, hi int) { mu <- hi - lo })
	close(mu)
	n, total := 0, 0
	for c := range mu {
		n++
		total += c
	}
	if n != 3*chunksPerWorker || total != 1<<20 {
		t.Errorf("GOMAXPROCS=3: %d chunks covering %d", n, total)
	}
}

// countingSgemm is gonum's implementation with Sgemm counted.
type countingSgemm struct {
	gonum.Implementation
	n *atomic.Int64
}

func (c countingSgemm) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, cm []float32, ldc int) {
	c.n.Add(1)
	c.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cm, ldc)
}

// TestGemmCallsTheRunsBackend: GEMMs call the backend the run holds, not
// whatever is installed behind gonum's global blas32.Use.
func TestGemmCallsTheRunsBackend(t *testing.T) {
	var mine, global atomic.Int64
	prev := blas32.Implementation()
	blas32.Use(countingSgemm{n: &global})
	defer blas32.Use(prev)
	p := program(t, "%0 = input \"a\" : f32[3,4]\n%1 = input \"b\" : f32[4,5]\n%2 = einsum \"ik,kj->ij\" %0 %1 : f32[3,5]\noutput \"c\" %2\n")
	be := cblas.Backend{Name: "counting", F32: countingSgemm{n: &mine}, F64: gonum.Implementation{}}
	compareRuns(t, p, randInputs(p, 1), tensor.Float32, Fast{BLAS: be})
	if mine.Load() != 1 || global.Load() != 0 {
		t.Errorf("Sgemm calls: %d through the run's backend (want 1), %d through gonum's global (want 0)", mine.Load(), global.Load())
	}
}

// TestFastReluEdgeCases pins the fast relu kernel's IEEE edge cases in both
// dtypes: NaN stays NaN, -0 becomes +0, infinities pass or clamp.
func TestFastReluEdgeCases(t *testing.T) {
	in := []float64{math.NaN(), math.Copysign(0, -1), 0, math.Inf(-1), math.Inf(1), -2, 3}
	want := []float64{math.NaN(), 0, 0, 0, math.Inf(1), 0, 3}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		p, err := ir.Parse("relu.ir", []byte("%0 = input \"x\" : f64[7]\n%1 = relu %0 : f64[7]\noutput \"y\" %1\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		x, _ := tensor.FromFloat64([]int{7}, slices.Clone(in))
		out, _, err := (Fast{}).Run(p, map[string]*tensor.Tensor{"x": x}, dt)
		if err != nil {
			t.Fatal(err)
		}
		got := out["y"].Float64s()
		for i, w := range want {
			g := got[i]
			if math.IsNaN(w) != math.IsNaN(g) || (!math.IsNaN(w) && (g != w || math.Signbit(g))) {
				t.Errorf("%v relu(%v) = %v, want %v", dt, in[i], g, w)
			}
		}
	}
}

// TestProductsSkipGEMMs: contractions that sum no label (outer and
// broadcast products) or keep no label of one operand alone (batched dots)
// match the reference without a GEMM call, and
// one-operand einsums that only sum axes away without the reference kernel.
func TestProductsSkipGEMMs(t *testing.T) {
	var calls, refs atomic.Int64
	gemmHook = func(bool, bool) { calls.Add(1) }
	referenceHook = func(*ir.Value) { refs.Add(1) }
	defer func() { gemmHook, referenceHook = nil, nil }()
	for _, c := range []struct{ spec, a, out string }{
		{"abc->ab", "[5,7,9]", "[5,7]"},
		{"abc->ac", "[5,7,9]", "[5,9]"},
		{"abc->", "[5,7,9]", "[]"},
		{"ab->ab", "[4,3]", "[4,3]"},
	} {
		for _, dt := range []string{"f32", "f64"} {
			p := program(t, fmt.Sprintf("%%0 = input \"x0\" : %s%s\n%%1 = einsum %q %%0 : %s%s\noutput \"y\" %%1\n", dt, c.a, c.spec, dt, c.out))
			compareRuns(t, p, randInputs(p, 5), map[string]tensor.DType{"f32": tensor.Float32, "f64": tensor.Float64}[dt], Fast{})
		}
	}
	if n := refs.Load(); n != 0 {
		t.Errorf("%d sums took the reference kernel", n)
	}
	for _, c := range []struct{ spec, a, b, out string }{
		{"abc,ab->abc", "[5,7,9]", "[5,7]", "[5,7,9]"},
		{"abc,c->abc", "[5,7,9]", "[9]", "[5,7,9]"},
		{"i,j->ij", "[6]", "[11]", "[6,11]"},
		{"ab,ba->ab", "[4,3]", "[3,4]", "[4,3]"},
		{"abc,ac->cab", "[3,4,5]", "[3,5]", "[5,3,4]"},
		// batched dots: no label kept by one operand alone
		{"abc,abc->ab", "[5,7,9]", "[5,7,9]", "[5,7]"},
		{"ab,ab->ba", "[6,11]", "[6,11]", "[11,6]"},
		{"i,i->", "[13]", "[13]", "[]"},
		{"abc,acb->a", "[3,4,5]", "[3,5,4]", "[3]"},
		{"ab,ab->a", "[4,0]", "[4,0]", "[4]"},
	} {
		for _, dt := range []string{"f32", "f64"} {
			p := program(t, fmt.Sprintf("%%0 = input \"x0\" : %s%s\n%%1 = input \"x1\" : %s%s\n%%2 = einsum %q %%0 %%1 : %s%s\noutput \"y\" %%2\n",
				dt, c.a, dt, c.b, c.spec, dt, c.out))
			compareRuns(t, p, randInputs(p, 5), map[string]tensor.DType{"f32": tensor.Float32, "f64": tensor.Float64}[dt], Fast{})
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d GEMM calls for products", n)
	}
}

// TestDotRowsSplit: batched dot products big enough to split across
// goroutines (a squared norm per row) give the same bits on one goroutine
// and on four, and match the reference.
func TestDotRowsSplit(t *testing.T) {
	p := program(t, `%0 = input "x0" : f32[5000,33]
%1 = input "x1" : f32[5000,33]
%2 = einsum "ab,ab->a" %0 %1 : f32[5000]
%3 = input "x2" : f32[50,100,33]
%4 = input "x3" : f32[100,33]
%5 = einsum "abc,bc->ab" %3 %4 : f32[50,100]
output "y" %2
output "z" %5
`)
	in := randInputs(p, 7)
	old := goruntime.GOMAXPROCS(1)
	defer goruntime.GOMAXPROCS(old)
	one, _, err := Fast{}.Run(p, in, tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	goruntime.GOMAXPROCS(4)
	four, _, err := Fast{}.Run(p, in, tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"y", "z"} {
		if !sameBits(one[name], four[name]) {
			t.Errorf("%s: four goroutines changed the bits of a batched dot product", name)
		}
	}
	closeToReference(t, p, in, tensor.Float32, four)
}

// Row sums and batched dots over short contiguous rows, four rows at a time
// (sumRows4, dotRows4), give each row's sum in order, bit for bit: checked
// against plain sequential loops on row counts that are and are not
// multiples of four, and on rows that all add into one element.
func TestRowSumsFourAtATime(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		rows := rapid.IntRange(1, 23).Draw(rt, "rows")
		n := rapid.IntRange(1, 70).Draw(rt, "n")
		gap := rapid.IntRange(0, 3).Draw(rt, "gap") // row stride n+gap
		shared := rapid.Bool().Draw(rt, "shared")   // every row into element 0
		rng := rand.New(rand.NewPCG(uint64(rows), uint64(n)))
		a := make([]float32, rows*(n+gap)+1)
		b := make([]float32, rows*(n+gap)+1)
		for i := range a {
			a[i], b[i] = float32(rng.NormFloat64()*1e3), float32(rng.NormFloat64())
		}
		oStride := 1
		if shared {
			oStride = 0
		}
		l := rowloop.New([]int{rows, n}, []int{oStride, 0}, []int{n + gap, 1}, []int{n + gap, 1})
		acc := make([]float64, rows)
		sumRows(l, 0, rows, acc, a, 1)
		dot := make([]float32, rows)
		dotRowRange(l, 0, rows, dot, a, 1, b, 0)
		// the one-row-at-a-time loops, as they were before sumRows4 and dotRows4
		wantAcc, wantDot := make([]float64, rows), make([]float32, rows)
		l.Each(0, l.Rows(), []int{0, 1, 0}, func(p []int) {
			n, so, sa, sb := l.RowLen(), l.Stride(0), l.Stride(1), l.Stride(2)
			if so != 0 {
				for i := range n {
					wantAcc[p[0]+i*so] += float64(a[p[1]+i*sa])
					wantDot[p[0]+i*so] += a[p[1]+i*sa] * b[p[2]+i*sb]
				}
				return
			}
			s, d := 0.0, float32(0)
			for i := range n {
				s += float64(a[p[1]+i*sa])
				d += a[p[1]+i*sa] * b[p[2]+i*sb]
			}
			wantAcc[p[0]] += s
			wantDot[p[0]] += d
		})
		for r := range rows {
			if math.Float64bits(acc[r]) != math.Float64bits(wantAcc[r]) || math.Float32bits(dot[r]) != math.Float32bits(wantDot[r]) {
				rt.Fatalf("row %d: sum %v dot %v, want %v %v", r, acc[r], dot[r], wantAcc[r], wantDot[r])
			}
		}
	})
}

// TestShortMatvecsRunAsDots: batched matrix-vector products over short
// sums (attention of one query position: scores against its keys, weights
// times values, keys read through a permuted view, a size-1 query axis)
// run as row dots, not one GEMM per batch entry; they match the
// reference (float64: bit for bit, each sum in label order from +0) and
// give the same bits on one goroutine and on four.
func TestShortMatvecsRunAsDots(t *testing.T) {
	var calls atomic.Int64
	gemmHook = func(bool, bool) { calls.Add(1) }
	defer func() { gemmHook = nil }()
	for _, dt := range []string{"f32", "f64"} {
		p := program(t, fmt.Sprintf(`%%0 = input "k" : %[1]s[37,7,3,16]
%%1 = permute [0,2,1,3] %%0 : %[1]s[37,3,7,16]
%%2 = input "q" : %[1]s[37,3,16]
%%3 = einsum "abcd,abd->abc" %%1 %%2 : %[1]s[37,3,7]
%%4 = input "v" : %[1]s[37,7,3,16]
%%5 = permute [0,2,1,3] %%4 : %[1]s[37,3,7,16]
%%6 = einsum "abd,abde->abe" %%3 %%5 : %[1]s[37,3,16]
%%7 = input "q1" : %[1]s[37,1,5]
%%8 = input "k1" : %[1]s[37,9,5]
%%9 = einsum "abc,adc->adb" %%8 %%7 : %[1]s[37,1,9]
output "scores" %%3
output "mixed" %%6
output "one" %%9
`, dt))
		in := randInputs(p, 11)
		dtype := map[string]tensor.DType{"f32": tensor.Float32, "f64": tensor.Float64}[dt]
		compareRuns(t, p, in, dtype, Fast{})
		old := goruntime.GOMAXPROCS(1)
		one, _, err := Fast{}.Run(p, in, dtype)
		goruntime.GOMAXPROCS(4)
		four, _, err4 := Fast{}.Run(p, in, dtype)
		goruntime.GOMAXPROCS(old)
		if err != nil || err4 != nil {
			t.Fatal(err, err4)
		}
		ref, _, err := Reference{}.Run(p, in, dtype)
		if err != nil {
			t.Fatal(err)
		}
		for name := range one {
			if !sameBits(one[name], four[name]) {
				t.Errorf("%s %s: four goroutines changed the bits", dt, name)
			}
			if dt == "f64" && !sameBits(one[name], ref[name]) {
				t.Errorf("%s %s: not the reference's bits", dt, name)
			}
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d GEMM calls for short matrix-vector products", n)
	}
}
