package simd

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// scrubShapes are the float32 GEMMs that dominate a causal scrub on the
// day 4b and transformer models (issue #14), m×n×k with A not transposed,
// and whether B is; the 418,782-row ones are cut to 41,888 rows.
var scrubShapes = []struct {
	m, n, k int
	bTrans  bool
}{
	{41888, 28, 56, true}, {41888, 56, 56, true}, {41888, 56, 28, true}, {42000, 28, 56, true},
	{62784, 32, 64, true}, {42, 42, 28, true}, {42, 28, 42, false}, {32, 16, 32, false},
	{32, 32, 16, true}, {8, 8, 16, true}, {8, 16, 8, false},
}

// BenchmarkScrubShapes times the scrub's GEMM shapes through New(), as the
// runtime calls them (beta 0). Run with one thread:
//
//	GOMAXPROCS=1 go test ./blas/simd -run '^$' -bench ScrubShapes -count 5
func BenchmarkScrubShapes(b *testing.B) {
	impl := New()
	for _, sh := range scrubShapes {
		m, n, k := sh.m, sh.n, sh.k
		rng := rand.New(rand.NewPCG(1, 2))
		a, bb, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		for i := range a {
			a[i] = rng.Float32()
		}
		for i := range bb {
			bb[i] = rng.Float32()
		}
		tB, ldb := blas.NoTrans, n
		if sh.bTrans {
			tB, ldb = blas.Trans, k
		}
		b.Run(fmt.Sprintf("%dx%dx%d/%c", m, n, k, tB), func(b *testing.B) {
			for b.Loop() {
				impl.Sgemm(blas.NoTrans, tB, m, n, k, 1, a, k, bb, ldb, 0, c, n)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkDirectA sets the rule directBBytes encodes: each shape with A
// packed (in=false) and read in place (in=true), so that the widest product
// still faster in place can be read off.
//
//	GOMAXPROCS=1 go test ./blas/simd -run '^$' -bench DirectA -count 5
func BenchmarkDirectA(b *testing.B) {
	defer func(old int) { directBBytes = old }(directBBytes)
	impl := New()
	for _, m := range []int{42, 4200, 41888} {
		for _, n := range benchDirectN {
			for _, k := range []int{28, 64, 256, 1024, 4096} {
				if m*k > 1<<24 || m == 4200 && k < 1024 || m != 4200 && k > 256 {
					continue
				}
				rng := rand.New(rand.NewPCG(1, 2))
				a, bb, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
				for i := range a {
					a[i] = rng.Float32()
				}
				for i := range bb {
					bb[i] = rng.Float32()
				}
				for _, in := range []bool{false, true} {
					directBBytes = map[bool]int{false: -1, true: 1 << 62}[in]
					b.Run(fmt.Sprintf("%dx%dx%d/in=%v", m, n, k, in), func(b *testing.B) {
						for b.Loop() {
							impl.Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, k, bb, k, 0, c, n)
						}
						b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					})
				}
			}
		}
	}
}

var benchDirectN = []int{28, 32, 56, 64, 96, 128, 256, 512}
