package simd

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// scrubShapes are the float32 GEMMs that dominate a causal scrub on the
// day 4b and transformer models (issue #14), m×n×k with A not transposed,
// and whether B is; the 418,782-row ones are cut to 41,888 rows. The last
// six are the transformer scrub's largest (counted with a temporary log in
// Sgemm).
var scrubShapes = []struct {
	m, n, k int
	bTrans  bool
}{
	{41888, 28, 56, true}, {41888, 56, 56, true}, {41888, 56, 28, true}, {42000, 28, 56, true},
	{62784, 32, 64, true}, {42, 42, 28, true}, {42, 28, 42, false}, {32, 16, 32, false},
	{32, 32, 16, true}, {8, 8, 16, true}, {8, 16, 8, false},
	// the transformer scrub (scrub's BenchmarkTransformerHeads), by flops
	{13304, 64, 64, true}, {13304, 256, 64, true}, {13304, 64, 256, true}, {4000, 256, 64, true},
	{4000, 64, 256, true}, {13304, 64, 16, true},
}

// BenchmarkScrubShapes times the scrub's GEMM shapes through New(), as the
// runtime calls them (beta 0). Run with one thread:
//
//	GOMAXPROCS=1 go test ./blas/simd -run '^$' -bench ScrubShapes -count 5
func BenchmarkScrubShapes(b *testing.B) {
	impl := New()
	for _, sh := range scrubShapes {
		m, n, k := sh.m, sh.n, sh.k
		a, bb, c := benchOperands(m, n, k)
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
	defer func(old int, d bool) { directBBytes, delegate = old, d }(directBBytes, delegate)
	delegate = false
	impl := New()
	for _, m := range []int{42, 4200, 41888} {
		for _, n := range benchDirectN {
			for _, k := range []int{28, 64, 256, 1024, 4096} {
				if m*k > 1<<24 || m == 4200 && k < 1024 || m != 4200 && k > 256 {
					continue
				}
				a, bb, c := benchOperands(m, n, k)
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

// BenchmarkSmallGemm sets smallGemm, the hand-off to gonum: small shapes
// through gonum and through the kernels (delegate off).
//
//	GOMAXPROCS=1 go test ./blas/simd -run '^$' -bench SmallGemm -count 5
func BenchmarkSmallGemm(b *testing.B) {
	defer func(old bool) { delegate = old }(delegate)
	shapes := [][3]int{{2, 2, 2}, {4, 4, 4}, {4, 4, 8}, {6, 6, 6}, {4, 8, 8}, {8, 8, 8}, {8, 8, 16}, {8, 16, 8}, {12, 12, 12}, {16, 16, 16}, {32, 16, 32}, {32, 32, 16}, {42, 42, 28}}
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		a, bb, c := benchOperands(m, n, k)
		for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			ldb := map[blas.Transpose]int{blas.NoTrans: n, blas.Trans: k}[tB]
			for _, gonum := range []bool{true, false} {
				b.Run(fmt.Sprintf("%dx%dx%d/%c/gonum=%v", m, n, k, tB, gonum), func(b *testing.B) {
					delegate = false
					impl := New()
					for b.Loop() {
						if gonum {
							impl.Implementation.Sgemm(blas.NoTrans, tB, m, n, k, 1, a, k, bb, ldb, 0, c, n)
						} else {
							impl.Sgemm(blas.NoTrans, tB, m, n, k, 1, a, k, bb, ldb, 0, c, n)
						}
					}
					b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// benchOperands returns random m×k and k×n operands and an m×n result.
func benchOperands(m, n, k int) (a, b, c []float32) {
	rng := rand.New(rand.NewPCG(1, 2))
	a, b = make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = rng.Float32()
	}
	for i := range b {
		b[i] = rng.Float32()
	}
	return a, b, make([]float32, m*n)
}

// BenchmarkInPlaceB sets inPlaceBBytes: non-transposed B packed
// (in=false) and read in place (in=true) by a serial GEMM with A in place.
//
//	GOMAXPROCS=1 go test ./blas/simd -run '^$' -bench InPlaceB -count 5
func BenchmarkInPlaceB(b *testing.B) {
	defer func(bytes, tiles int, d bool) {
		inPlaceBBytes, inPlaceBTiles, delegate = bytes, tiles, d
	}(inPlaceBBytes, inPlaceBTiles, delegate)
	delegate = false // the kernels only, at every size
	impl := New()
	for _, m := range []int{8, 42, 4200} {
		for _, n := range []int{16, 28, 56} {
			for _, k := range []int{16, 42, 128, 512} {
				a, bb, c := benchOperands(m, n, k)
				for _, in := range []bool{false, true} {
					inPlaceBBytes, inPlaceBTiles = map[bool]int{false: -1, true: 1 << 62}[in], map[bool]int{false: -1, true: 1 << 30}[in]
					b.Run(fmt.Sprintf("%dx%dx%d/in=%v", m, n, k, in), func(b *testing.B) {
						for b.Loop() {
							impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
						}
						b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					})
				}
			}
		}
	}
}
