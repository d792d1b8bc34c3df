package blas_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/circopt/circopt/blas"
)

// eachBackend runs f with every compiled-in backend installed, restoring
// the previous one afterwards.
func eachBackend(t *testing.T, f func(t *testing.T, b blas.Backend)) {
	prev := blas.Current()
	defer blas.Use(prev)
	for _, name := range blas.Available() {
		b, err := blas.ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			blas.Use(b)
			f(t, b)
		})
	}
}

var trans = []gblas.Transpose{gblas.NoTrans, gblas.Trans}

// TestBackendsMatchGonum drives every backend through gonum's swap point
// (blas32.Gemm/blas64.Gemm, as the tensor package calls it) on random
// shapes — 1, primes, sizes off the kernel tiles — with both transposes,
// padded leading dimensions and assorted alpha/beta, against gonum.
func TestBackendsMatchGonum(t *testing.T) {
	dims := []int{1, 2, 7, 13, 16, 31, 33, 64, 97, 130}
	scalars := []float64{0, 1, -1, 0.5, 3}
	eachBackend(t, func(t *testing.T, b blas.Backend) {
		rng := rand.New(rand.NewPCG(3, 4))
		for range 150 {
			m, n, k := dims[rng.IntN(len(dims))], dims[rng.IntN(len(dims))], dims[rng.IntN(len(dims))]
			tA, tB := trans[rng.IntN(2)], trans[rng.IntN(2)]
			alpha, beta := scalars[rng.IntN(len(scalars))], scalars[rng.IntN(len(scalars))]
			pa, pb, pc := rng.IntN(4), rng.IntN(4), rng.IntN(4)
			ar, ac := m, k
			if tA == gblas.Trans {
				ar, ac = k, m
			}
			br, bc := k, n
			if tB == gblas.Trans {
				br, bc = n, k
			}
			name := fmt.Sprintf("%c%c m=%d n=%d k=%d pad=%d,%d,%d alpha=%g beta=%g", tA, tB, m, n, k, pa, pb, pc, alpha, beta)
			A := blas64.General{Rows: ar, Cols: ac, Stride: ac + pa, Data: randVec(rng, ar*(ac+pa))}
			B := blas64.General{Rows: br, Cols: bc, Stride: bc + pb, Data: randVec(rng, br*(bc+pb))}
			C := blas64.General{Rows: m, Cols: n, Stride: n + pc, Data: randVec(rng, m*(n+pc))}
			want := cloneG64(C)
			gonum.Implementation{}.Dgemm(tA, tB, m, n, k, alpha, A.Data, A.Stride, B.Data, B.Stride, beta, want.Data, want.Stride)
			got := cloneG64(C)
			blas64.Gemm(tA, tB, alpha, A, B, beta, got)
			closeEnough(t, name+" float64", got.Data, want.Data, float64(k+2)*1e-15)

			A32, B32, C32 := g32(A), g32(B), g32(C)
			want32 := cloneG32(C32)
			gonum.Implementation{}.Sgemm(tA, tB, m, n, k, float32(alpha), A32.Data, A32.Stride, B32.Data, B32.Stride, float32(beta), want32.Data, want32.Stride)
			got32 := cloneG32(C32)
			blas32.Gemm(tA, tB, float32(alpha), A32, B32, float32(beta), got32)
			closeEnough(t, name+" float32", widen(got32.Data), widen(want32.Data), float64(k+2)*1e-6)
		}
	})
}

func randVec(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.Float64()*2 - 1
	}
	return s
}

func cloneG64(g blas64.General) blas64.General {
	g.Data = append([]float64(nil), g.Data...)
	return g
}

func cloneG32(g blas32.General) blas32.General {
	g.Data = append([]float32(nil), g.Data...)
	return g
}

func g32(g blas64.General) blas32.General {
	d := make([]float32, len(g.Data))
	for i, v := range g.Data {
		d[i] = float32(v)
	}
	return blas32.General{Rows: g.Rows, Cols: g.Cols, Stride: g.Stride, Data: d}
}

func widen(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

// closeEnough compares elementwise; entries are sums of k products of
// numbers in [-1,1] (times |alpha| ≤ 3), so an absolute bound in units of
// k·eps is the right scale. Padding entries must match exactly.
func closeEnough(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= 8*tol) {
			t.Fatalf("%s: element %d = %g, gonum %g", name, i, got[i], want[i])
		}
	}
}

type countingF32 struct {
	gblas.Float32
	calls *atomic.Int64
}

func (c countingF32) Sgemm(tA, tB gblas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, cc []float32, ldc int) {
	c.calls.Add(1)
	c.Float32.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cc, ldc)
}

type countingF64 struct {
	gblas.Float64
	calls *atomic.Int64
}

func (c countingF64) Dgemm(tA, tB gblas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, cc []float64, ldc int) {
	c.calls.Add(1)
	c.Float64.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cc, ldc)
}

// counting wraps a backend so that a test can see its GEMMs being called.
func counting(b blas.Backend) (blas.Backend, *atomic.Int64) {
	var n atomic.Int64
	b.F32 = countingF32{b.F32, &n}
	b.F64 = countingF64{b.F64, &n}
	return b, &n
}
