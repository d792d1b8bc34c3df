package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

var transposes = []blas.Transpose{blas.NoTrans, blas.Trans, blas.ConjTrans}

// gemmCase is one GEMM problem: shapes, transposes, padding of the
// leading dimensions beyond their minimum, and the scalars.
type gemmCase struct {
	tA, tB      blas.Transpose
	m, n, k     int
	padA, padB  int
	padC        int
	alpha, beta float64
}

func (g gemmCase) String() string {
	return fmt.Sprintf("%c%c/m=%d,n=%d,k=%d/pad=%d,%d,%d/alpha=%g,beta=%g",
		g.tA, g.tB, g.m, g.n, g.k, g.padA, g.padB, g.padC, g.alpha, g.beta)
}

// dims gives the stored rows and leading dimension of A, B and C.
func (g gemmCase) dims() (rowsA, lda, rowsB, ldb, ldc int) {
	rowsA, lda = g.m, g.k+g.padA
	if g.tA != blas.NoTrans {
		rowsA, lda = g.k, g.m+g.padA
	}
	rowsB, ldb = g.k, g.n+g.padB
	if g.tB != blas.NoTrans {
		rowsB, ldb = g.n, g.k+g.padB
	}
	return rowsA, max(lda, 1), rowsB, max(ldb, 1), max(g.n+g.padC, 1)
}

// sizes covers 1, primes, and values just around the tile sizes (4, 6, 8,
// 14, 16, 32) and the block sizes (kc 192/256, mc 224–336).
var sizes = []int{1, 2, 3, 5, 7, 13, 14, 15, 16, 17, 29, 31, 32, 33, 47, 61, 97}

var scalars = []float64{0, 1, -1, 0.5, 2.25}

// randomCases draws n cases from sizes and scalars, plus edge-heavy extras.
func randomCases(rng *rand.Rand, n int) []gemmCase {
	pick := func(xs []int) int { return xs[rng.IntN(len(xs))] }
	var cs []gemmCase
	for range n {
		cs = append(cs, gemmCase{
			tA: transposes[rng.IntN(3)], tB: transposes[rng.IntN(3)],
			m: pick(sizes), n: pick(sizes), k: pick(sizes),
			padA: rng.IntN(3) * rng.IntN(5), padB: rng.IntN(3) * rng.IntN(5), padC: rng.IntN(3) * rng.IntN(5),
			alpha: scalars[rng.IntN(len(scalars))], beta: scalars[rng.IntN(len(scalars))],
		})
	}
	// Cross every blocking boundary: k past kc (two and three slices), m
	// past mc, n past nc, and shapes big enough to be split across
	// goroutines along M and along N.
	for _, t := range [][3]int{{3, 5, 300}, {17, 33, 513}, {350, 7, 11}, {5, 2100, 3}, {2, 2049, 2},
		{203, 37, 29}, {37, 203, 29}, {101, 97, 257}, {127, 131, 193},
		{1, 300, 40}, {300, 1, 40}, {1, 1, 300}, {1, 70, 70}, {70, 1, 70}, {57, 2053, 263}} {
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				cs = append(cs, gemmCase{tA: tA, tB: tB, m: t[0], n: t[1], k: t[2], padA: 3, padB: 1, padC: 2,
					alpha: 1.5, beta: scalars[rng.IntN(len(scalars))]})
			}
		}
	}
	return cs
}

func randSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.Float64()*2 - 1
	}
	return s
}

// bound is the forward error bound of a length-k dot product per element
// of C, with a safety factor: |alpha|·Σ|a||b| + |beta·c| scaled by k·eps.
func bound(g gemmCase, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, eps float64) []float64 {
	at := func(i, p int) float64 {
		if g.tA == blas.NoTrans {
			return a[i*lda+p]
		}
		return a[p*lda+i]
	}
	bt := func(p, j int) float64 {
		if g.tB == blas.NoTrans {
			return b[p*ldb+j]
		}
		return b[j*ldb+p]
	}
	out := make([]float64, g.m*g.n)
	for i := range g.m {
		for j := range g.n {
			s := 0.0
			for p := range g.k {
				s += math.Abs(at(i, p) * bt(p, j))
			}
			out[i*g.n+j] = 4*float64(g.k+2)*eps*(math.Abs(g.alpha)*s+math.Abs(g.beta*c[i*ldc+j])) + 1e-30
		}
	}
	return out
}

func toF32(s []float64) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(v)
	}
	return out
}

func toF64(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// checkCase runs one case through impl and gonum in both precisions and
// compares every element of C, including the padding, which must be left
// alone.
func checkCase(t *testing.T, impl Implementation, g gemmCase, rng *rand.Rand) {
	t.Helper()
	rowsA, lda, rowsB, ldb, ldc := g.dims()
	a := randSlice(rng, max(rowsA*lda, 1))
	b := randSlice(rng, max(rowsB*ldb, 1))
	c := randSlice(rng, max(g.m*ldc, 1))
	var ref gonum.Implementation

	// float64
	want := append([]float64(nil), c...)
	ref.Dgemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, want, ldc)
	got := nanIfBetaZero(g, c, ldc)
	impl.Dgemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, got, ldc)
	compare(t, "Dgemm", g, got, want, c, ldc, bound(g, a, lda, b, ldb, c, ldc, 0x1p-52))

	// float32, with the bound computed from the rounded inputs
	a32, b32, c32 := toF32(a), toF32(b), toF32(c)
	want32 := append([]float32(nil), c32...)
	ref.Sgemm(g.tA, g.tB, g.m, g.n, g.k, float32(g.alpha), a32, lda, b32, ldb, float32(g.beta), want32, ldc)
	got32 := toF32(nanIfBetaZero(g, toF64(c32), ldc))
	impl.Sgemm(g.tA, g.tB, g.m, g.n, g.k, float32(g.alpha), a32, lda, b32, ldb, float32(g.beta), got32, ldc)
	compare(t, "Sgemm", g, toF64(got32), toF64(want32), toF64(c32), ldc, bound(g, toF64(a32), lda, toF64(b32), ldb, toF64(c32), ldc, 0x1p-23))
}

// nanIfBetaZero copies c for the implementation under test; with beta == 0
// its m×n part is NaN, which must not reach the result (the padding keeps
// its values, which must survive).
func nanIfBetaZero(g gemmCase, c []float64, ldc int) []float64 {
	out := append([]float64(nil), c...)
	if g.beta != 0 {
		return out
	}
	for r := range g.m {
		for j := range g.n {
			out[r*ldc+j] = math.NaN()
		}
	}
	return out
}

func compare(t *testing.T, what string, g gemmCase, got, want, orig []float64, ldc int, tol []float64) {
	t.Helper()
	bad := 0
	for r := range g.m {
		for j := range ldc {
			idx := r*ldc + j
			if j >= g.n {
				if got[idx] != orig[idx] {
					t.Errorf("%s %v: padding C[%d,%d] changed: %g -> %g", what, g, r, j, orig[idx], got[idx])
					bad++
				}
				continue
			}
			if d := math.Abs(got[idx] - want[idx]); !(d <= tol[r*g.n+j]) {
				t.Errorf("%s %v: C[%d,%d] = %g, gonum %g (|diff| %g > %g)", what, g, r, j, got[idx], want[idx], d, tol[r*g.n+j])
				bad++
			}
			if bad > 5 {
				t.FailNow()
			}
		}
	}
}

// withDelegation runs f with the hand-offs to gonum (small and GEMV
// shapes) on and off, so both the kernels and the hand-offs see every shape.
func withDelegation(t *testing.T, f func(t *testing.T)) {
	defer func(old bool) { delegate = old }(delegate)
	for _, d := range []bool{false, true} {
		delegate = d
		t.Run(fmt.Sprintf("delegate=%v", d), f)
	}
}

func TestGemmMatchesGonum(t *testing.T) {
	for _, isa := range Supported() {
		t.Run(string(isa), func(t *testing.T) {
			impl, err := NewISA(isa)
			if err != nil {
				t.Fatal(err)
			}
			withDelegation(t, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, uint64(len(isa))))
				for _, g := range randomCases(rng, 300) {
					checkCase(t, impl, g, rng)
				}
			})
		})
	}
}

// TestAllTransposesAllScalars is exhaustive over transposes and scalars at
// one shape with ragged edges on every side.
func TestAllTransposesAllScalars(t *testing.T) {
	impl := New()
	rng := rand.New(rand.NewPCG(2, 2))
	for _, tA := range transposes {
		for _, tB := range transposes {
			for _, alpha := range scalars {
				for _, beta := range scalars {
					checkCase(t, impl, gemmCase{tA: tA, tB: tB, m: 19, n: 37, k: 23, padA: 2, padB: 5, padC: 1, alpha: alpha, beta: beta}, rng)
				}
			}
		}
	}
}

// TestBetaZeroOverwritesNaN: with beta == 0 BLAS writes C without reading
// it, so NaN and Inf in C must not survive; with alpha == 0, A and B are
// not read, so NaN there must not reach C.
func TestBetaZeroOverwritesNaN(t *testing.T) {
	withDelegation(t, testBetaZeroOverwritesNaN)
}

func testBetaZeroOverwritesNaN(t *testing.T) {
	for _, isa := range Supported() {
		impl, _ := NewISA(isa)
		for _, sh := range [][3]int{{1, 1, 1}, {14, 32, 5}, {15, 33, 300}, {64, 64, 64}, {1, 40, 50}, {40, 1, 50}, {3, 4, 5}} {
			m, n, k := sh[0], sh[1], sh[2]
			a := make([]float32, m*k)
			b := make([]float32, k*n)
			for i := range a {
				a[i] = 1
			}
			for i := range b {
				b[i] = 2
			}
			c := make([]float32, m*n)
			for i := range c {
				c[i] = float32(math.NaN())
				if i%2 == 1 {
					c[i] = float32(math.Inf(-1))
				}
			}
			impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
			for i, v := range c {
				if v != float32(2*k) {
					t.Fatalf("%s %v: beta=0: C[%d] = %g, want %d", isa, sh, i, v, 2*k)
				}
			}
			c64 := make([]float64, m*n)
			for i := range c64 {
				c64[i] = math.NaN()
			}
			a64 := toF64(a)
			b64 := toF64(b)
			impl.Dgemm(blas.Trans, blas.Trans, m, n, k, 0.5, a64, m, b64, k, 0, c64, n)
			for i, v := range c64 {
				if v != float64(k) {
					t.Fatalf("%s %v: beta=0 (TT): C[%d] = %g, want %d", isa, sh, i, v, k)
				}
			}
			// alpha == 0: C = beta*C, NaN in A ignored.
			for i := range a64 {
				a64[i] = math.NaN()
			}
			for i := range c64 {
				c64[i] = float64(i)
			}
			impl.Dgemm(blas.NoTrans, blas.NoTrans, m, n, k, 0, a64, k, b64, n, 3, c64, n)
			for i, v := range c64 {
				if v != 3*float64(i) {
					t.Fatalf("%s %v: alpha=0: C[%d] = %g, want %d", isa, sh, i, v, 3*i)
				}
			}
		}
	}
}

// TestKnownProduct checks one product worked by hand, independent of
// gonum: [1 2 3; 4 5 6] · [7 8; 9 10; 11 12] = [58 64; 139 154].
func TestKnownProduct(t *testing.T) {
	for _, isa := range Supported() {
		impl, _ := NewISA(isa)
		a := []float64{1, 2, 3, 4, 5, 6}
		b := []float64{7, 8, 9, 10, 11, 12}
		c := []float64{1, 1, 1, 1}
		impl.Dgemm(blas.NoTrans, blas.NoTrans, 2, 2, 3, 2, a, 3, b, 2, -1, c, 2)
		want := []float64{115, 127, 277, 307}
		for i := range want {
			if c[i] != want[i] {
				t.Fatalf("%s: got %v, want %v", isa, c, want)
			}
		}
		// Aᵀ stored: the same A as a 3×2 column-major, i.e. transposed.
		at := []float32{1, 4, 2, 5, 3, 6}
		c32 := make([]float32, 4)
		impl.Sgemm(blas.Trans, blas.NoTrans, 2, 2, 3, 1, at, 2, toF32(b), 2, 0, c32, 2)
		for i, w := range []float32{58, 64, 139, 154} {
			if c32[i] != w {
				t.Fatalf("%s: Aᵀ: got %v", isa, c32)
			}
		}
	}
}

func panicMessage(f func()) (msg any) {
	defer func() { msg = recover() }()
	f()
	return nil
}

// TestPanicsLikeGonum: bad arguments panic with gonum's message.
func TestPanicsLikeGonum(t *testing.T) {
	type args struct {
		tA, tB  blas.Transpose
		m, n, k int
		la, lda int
		lb, ldb int
		lc, ldc int
	}
	cases := []args{
		{tA: 'X', tB: blas.NoTrans, m: 2, n: 2, k: 2, la: 4, lda: 2, lb: 4, ldb: 2, lc: 4, ldc: 2},
		{tA: blas.NoTrans, tB: 0, m: 2, n: 2, k: 2, la: 4, lda: 2, lb: 4, ldb: 2, lc: 4, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: -1, n: 2, k: 2, la: 4, lda: 2, lb: 4, ldb: 2, lc: 4, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: -1, k: 2, la: 4, lda: 2, lb: 4, ldb: 2, lc: 4, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: 2, k: -1, la: 4, lda: 2, lb: 4, ldb: 2, lc: 4, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: 2, k: 3, la: 6, lda: 2, lb: 6, ldb: 2, lc: 4, ldc: 2},
		{tA: blas.Trans, tB: blas.NoTrans, m: 3, n: 2, k: 2, la: 6, lda: 2, lb: 4, ldb: 2, lc: 6, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: 3, k: 2, la: 4, lda: 2, lb: 6, ldb: 2, lc: 6, ldc: 3},
		{tA: blas.NoTrans, tB: blas.Trans, m: 2, n: 2, k: 3, la: 6, lda: 3, lb: 6, ldb: 2, lc: 4, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: 3, k: 2, la: 4, lda: 2, lb: 6, ldb: 3, lc: 6, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: 2, k: 2, la: 3, lda: 2, lb: 4, ldb: 2, lc: 4, ldc: 2},
		{tA: blas.Trans, tB: blas.NoTrans, m: 2, n: 2, k: 2, la: 3, lda: 2, lb: 4, ldb: 2, lc: 4, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: 2, k: 2, la: 4, lda: 2, lb: 3, ldb: 2, lc: 4, ldc: 2},
		{tA: blas.NoTrans, tB: blas.Trans, m: 2, n: 2, k: 2, la: 4, lda: 2, lb: 3, ldb: 2, lc: 4, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 2, n: 2, k: 2, la: 4, lda: 2, lb: 4, ldb: 2, lc: 3, ldc: 2},
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 0, n: 2, k: 2, la: 0, lda: 0, lb: 4, ldb: 2, lc: 0, ldc: 2},
	}
	var ref gonum.Implementation
	impl := New()
	for i, c := range cases {
		a, b, cc := make([]float32, c.la), make([]float32, c.lb), make([]float32, c.lc)
		want := panicMessage(func() { ref.Sgemm(c.tA, c.tB, c.m, c.n, c.k, 1, a, c.lda, b, c.ldb, 0, cc, c.ldc) })
		got := panicMessage(func() { impl.Sgemm(c.tA, c.tB, c.m, c.n, c.k, 1, a, c.lda, b, c.ldb, 0, cc, c.ldc) })
		if want == nil {
			t.Fatalf("case %d: gonum did not panic; the case is wrong", i)
		}
		if got != want {
			t.Errorf("case %d: Sgemm panicked with %v, gonum with %v", i, got, want)
		}
		a64, b64, c64 := make([]float64, c.la), make([]float64, c.lb), make([]float64, c.lc)
		got = panicMessage(func() { impl.Dgemm(c.tA, c.tB, c.m, c.n, c.k, 1, a64, c.lda, b64, c.ldb, 0, c64, c.ldc) })
		if got != want {
			t.Errorf("case %d: Dgemm panicked with %v, gonum with %v", i, got, want)
		}
	}
}

func TestNewISARejects(t *testing.T) {
	if _, err := NewISA("sse9"); err == nil {
		t.Error("NewISA(sse9) succeeded")
	}
	if _, err := NewISA(Generic); err != nil {
		t.Errorf("NewISA(generic): %v", err)
	}
	if got := (Implementation{}).ISA(); got != Best() {
		t.Errorf("zero Implementation runs %s, want %s", got, Best())
	}
}

// TestTinyBlocking shrinks every blocking size so that small problems
// cross every block boundary many times: several kc slices, mc blocks and
// column blocks, lazily packed B panels shared between goroutines.
func TestTinyBlocking(t *testing.T) {
	defer func(old bool, budget int) { delegate, packedBBytes = old, budget }(delegate, packedBBytes)
	delegate = false
	packedBBytes = 4096
	for _, isa := range Supported() {
		k32, k64 := kernels32[isa], kernels64[isa]
		s32 := [3]int{k32.kc, k32.mc, k32.nc}
		s64 := [3]int{k64.kc, k64.mc, k64.nc}
		k32.kc, k32.mc, k32.nc = 7, 2*k32.mr, 3*k32.nr
		k64.kc, k64.mc, k64.nc = 5, 3*k64.mr, 2*k64.nr
		impl, _ := NewISA(isa)
		rng := rand.New(rand.NewPCG(5, 6))
		for _, g := range randomCases(rng, 60) {
			if g.m*g.n*g.k > 1<<22 {
				continue // the biggest extras add time, not coverage, here
			}
			checkCase(t, impl, g, rng)
		}
		k32.kc, k32.mc, k32.nc = s32[0], s32[1], s32[2]
		k64.kc, k64.mc, k64.nc = s64[0], s64[1], s64[2]
	}
}
