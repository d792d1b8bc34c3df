package bench

import (
	"math/rand/v2"
	"testing"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// benchCase times the optimized plan of one case (compile excluded).
func benchCase(b *testing.B, mk func() (*Case, error)) {
	c, err := mk()
	if err != nil {
		b.Fatal(err)
	}
	plan, err := Compile(c)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := plan.Run(c.Bindings); err != nil {
			b.Fatal(err)
		}
	}
}

// benchNaive times the naive evaluator on one case.
func benchNaive(b *testing.B, mk func() (*Case, error)) {
	c, err := mk()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Naive(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMLP(b *testing.B) {
	benchCase(b, func() (*Case, error) { return MLPCase(128, 256, 1024) })
}
func BenchmarkMLPTiny(b *testing.B) {
	benchCase(b, func() (*Case, error) { return MLPCase(16, 32, 64) })
}
func BenchmarkAttention(b *testing.B) {
	benchCase(b, func() (*Case, error) { return AttentionCase(4, 64, 4, 32) })
}
func BenchmarkChain(b *testing.B) {
	benchCase(b, func() (*Case, error) { return ChainCase(4, 48, 40, 48, 40, 48) })
}
func BenchmarkChainNaive(b *testing.B) {
	benchNaive(b, func() (*Case, error) { return ChainCase(4, 24, 20, 24, 20, 24) })
}
func BenchmarkBatched(b *testing.B) {
	benchCase(b, func() (*Case, error) { return BatchedCase(64, 64, 64, 64) })
}
func BenchmarkWideAdd(b *testing.B) {
	benchCase(b, func() (*Case, error) { return WideAddCase(64, 256, 32) })
}
func BenchmarkSweep(b *testing.B) {
	benchCase(b, func() (*Case, error) { return SweepCase(30, 64, 128, 480) })
}

// BenchmarkGemm512 runs the runtime's GEMM path on a 512² einsum.
func BenchmarkGemm512(b *testing.B) {
	for b.Loop() {
		if _, err := MeasureGemm(512, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// TestQuickSuite runs every case small: the optimized plan agrees with the
// naive evaluator, and the fast runtime's measured peak stays within 1.25×
// of both predictions.
func TestQuickSuite(t *testing.T) {
	cases, err := Suite(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		r, err := Measure(c, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if r.MaxAbsErr > 1e-3 {
			t.Errorf("%s: optimized differs from naive by %g", c.Name, r.MaxAbsErr)
		}
		if float64(r.PeakBytes) > 1.25*float64(r.RuntimePred) {
			t.Errorf("%s: measured peak %d over 1.25× the runtime prediction %d", c.Name, r.PeakBytes, r.RuntimePred)
		}
		if float64(r.PeakBytes) > 1.25*float64(r.PlanPeak) {
			t.Errorf("%s: measured peak %d over 1.25× the memory plan's prediction %d", c.Name, r.PeakBytes, r.PlanPeak)
		}
	}
}

// TestResampleSweepThroughFacade: the clean MLP and 30 resampling-ablation
// variants (the input's rows shuffled by a different permutation each)
// compiled into one program: every output matches circuit.Evaluate, and
// batch-gather commutation leaves one copy of the MLP's contractions, the
// variants becoming gathers of its result.
func TestResampleSweepThroughFacade(t *testing.T) {
	b := &builder{}
	bind := map[string]*tensor.Tensor{}
	const batch, d, h = 12, 8, 16
	x := b.symbol("x", bind, batch, d)
	w1, b1 := b.rand("w1", d, h), b.rand("b1", h)
	w2 := b.rand("w2", h, d)
	mlp := func(in circuit.Circuit) circuit.Circuit {
		return b.einsum("bh,hd->bd", b.fn("relu", b.add(b.einsum("bd,dh->bh", in, w1), b1)), w2)
	}
	cs := []circuit.Circuit{mlp(x)}
	rng := rand.New(rand.NewPCG(5, 6))
	for v := 0; v < 30; v++ {
		perm := make([]int64, batch)
		for i, p := range rng.Perm(batch) {
			perm[i] = int64(p)
		}
		xr := b.c(circuit.NewIndex("", []circuit.AxisIndex{circuit.Positions(perm...)}, x))
		cs = append(cs, mlp(xr))
	}
	if b.err != nil {
		t.Fatal(b.err)
	}
	plan, err := circopt.Compile(cs, circopt.Options{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := plan.Run(bind)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		want, err := circuit.Evaluate(c, circuit.EvalOptions{DType: tensor.Float64, Bindings: bind})
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.AllClose(got[i], want, 1e-9, 1e-9) {
			abs, _, _ := tensor.Compare(got[i], want)
			t.Fatalf("variant %d differs by %g", i, abs)
		}
	}
	einsums := 0
	for _, v := range plan.Program.Values {
		if v.Op == ir.OpEinsum {
			einsums++
		}
	}
	if einsums != 2 {
		t.Errorf("%d einsums in the optimized program, want 2 (the clean MLP's):\n%s", einsums, plan.Program)
	}
}
