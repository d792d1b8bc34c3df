package runtime

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	cblas "github.com/circopt/circopt/blas"
	"github.com/circopt/circopt/tensor"
)

// cancelingSgemm cancels its run's context on its first call.
type cancelingSgemm struct {
	gonum.Implementation
	n      *atomic.Int64
	cancel context.CancelFunc
}

func (c cancelingSgemm) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, cm []float32, ldc int) {
	c.n.Add(1)
	c.cancel()
	c.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cm, ldc)
}

// TestGemmStopsBetweenBlocks: a large GEMM runs as blocks of rows and a
// canceled run stops after the block in progress.
func TestGemmStopsBetweenBlocks(t *testing.T) {
	defer func(old int) { gemmBlockFLOPs = old }(gemmBlockFLOPs)
	gemmBlockFLOPs = 1 // every block is the minimum, 256 rows
	p := program(t, "%0 = input \"a\" : f32[1024,8]\n%1 = input \"b\" : f32[8,8]\n%2 = einsum \"ik,kj->ij\" %0 %1 : f32[1024,8]\noutput \"c\" %2\n")
	in := randInputs(p, 1)
	var n atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	be := cblas.Backend{Name: "canceling", F32: cancelingSgemm{n: &n, cancel: cancel}, F64: gonum.Implementation{}}
	_, _, err := Fast{BLAS: be}.RunContext(ctx, p, in, tensor.Float32)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d Sgemm blocks ran, want 1 (of 4): the kernel must stop between blocks", n.Load())
	}
	// Uncanceled, the blocks together give the one-GEMM answer.
	compareRuns(t, p, in, tensor.Float32, Fast{})
}

// TestReferenceStopsBetweenValues: the reference interpreter checks its
// context before each value.
func TestReferenceStopsBetweenValues(t *testing.T) {
	p := program(t, "%0 = input \"a\" : f32[4]\n%1 = relu %0 : f32[4]\noutput \"c\" %1\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := (Reference{}).RunContext(ctx, p, randInputs(p, 1), tensor.Float32); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// TestGemmBlocksSplitTheBiggerOperand: a wide product (more columns than
// rows) runs as blocks of columns, so the big right operand is packed once;
// the blocks together give the reference answer, whether R is stored as is
// or transposed, and a canceled run stops between column blocks too.
func TestGemmBlocksSplitTheBiggerOperand(t *testing.T) {
	defer func(old int) { gemmBlockFLOPs = old }(gemmBlockFLOPs)
	gemmBlockFLOPs = 1 // every block is the minimum, 256 columns
	for _, src := range []string{
		"%0 = input \"a\" : f32[8,8]\n%1 = input \"b\" : f32[8,1000]\n%2 = einsum \"ik,kj->ij\" %0 %1 : f32[8,1000]\noutput \"c\" %2\n",
		"%0 = input \"a\" : f32[8,8]\n%1 = input \"b\" : f32[1000,8]\n%2 = einsum \"ik,jk->ij\" %0 %1 : f32[8,1000]\noutput \"c\" %2\n",
		"%0 = input \"a\" : f32[8,8]\n%1 = input \"b\" : f32[1000,8]\n%2 = einsum \"ik,jk->ji\" %0 %1 : f32[1000,8]\noutput \"c\" %2\n",
		"%0 = input \"a\" : f64[3,8]\n%1 = input \"b\" : f64[8,700]\n%2 = einsum \"ik,kj->ij\" %0 %1 : f64[3,700]\noutput \"c\" %2\n",
	} {
		p := program(t, src)
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
			compareRuns(t, p, randInputs(p, 2), dt, Fast{})
		}
	}
	p := program(t, "%0 = input \"a\" : f32[8,8]\n%1 = input \"b\" : f32[8,1024]\n%2 = einsum \"ik,kj->ij\" %0 %1 : f32[8,1024]\noutput \"c\" %2\n")
	calls := 0
	gemmHook = func(bool, bool) { calls++ }
	_, _, err := Fast{Workers: 1}.Run(p, randInputs(p, 1), tensor.Float32)
	gemmHook = nil
	if err != nil {
		t.Fatal(err)
	}
	if calls != 4 {
		t.Errorf("8×1024 product in %d GEMM calls, want 4 blocks of 256 columns", calls)
	}
	var n atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	be := cblas.Backend{Name: "canceling", F32: cancelingSgemm{n: &n, cancel: cancel}, F64: gonum.Implementation{}}
	if _, _, err := (Fast{BLAS: be}).RunContext(ctx, p, randInputs(p, 1), tensor.Float32); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d Sgemm blocks ran, want 1 (of 4)", n.Load())
	}
}
