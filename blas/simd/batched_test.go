package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// batchCase is a random batch: shape, transposes, strides and per-entry
// offsets into shared backing slices (entries' C regions disjoint).
type batchCase struct {
	tA, tB              blas.Transpose
	m, n, k             int
	lda, ldb, ldc       int
	aOffs, bOffs, cOffs []int
	lenA, lenB, lenC    int
	alpha, beta         float64
}

func randBatch(rng *rand.Rand, maxDim int) batchCase {
	tr := []blas.Transpose{blas.NoTrans, blas.Trans}
	g := batchCase{tA: tr[rng.IntN(2)], tB: tr[rng.IntN(2)],
		m: 1 + rng.IntN(maxDim), n: 1 + rng.IntN(maxDim), k: 1 + rng.IntN(maxDim),
		alpha: []float64{1, -1.5}[rng.IntN(2)], beta: []float64{0, 1, 0.5}[rng.IntN(3)]}
	rowsA, colsA := g.m, g.k
	if g.tA == blas.Trans {
		rowsA, colsA = g.k, g.m
	}
	rowsB, colsB := g.k, g.n
	if g.tB == blas.Trans {
		rowsB, colsB = g.n, g.k
	}
	g.lda, g.ldb, g.ldc = colsA+rng.IntN(3), colsB+rng.IntN(3), g.n+rng.IntN(3)
	entries := 1 + rng.IntN(6)
	extA, extB, extC := (rowsA-1)*g.lda+colsA, (rowsB-1)*g.ldb+colsB, (g.m-1)*g.ldc+g.n
	// A and B entries at random offsets (possibly shared); C entries one
	// after another with random gaps, in shuffled order.
	for range entries {
		g.aOffs = append(g.aOffs, rng.IntN(2*extA+1))
		g.bOffs = append(g.bOffs, rng.IntN(2*extB+1))
	}
	off := 0
	for range entries {
		off += rng.IntN(4)
		g.cOffs = append(g.cOffs, off)
		off += extC
	}
	rng.Shuffle(entries, func(i, j int) { g.cOffs[i], g.cOffs[j] = g.cOffs[j], g.cOffs[i] })
	g.lenA, g.lenB, g.lenC = 3*extA+1, 3*extB+1, off+rng.IntN(3)
	return g
}

func (g batchCase) String() string {
	return fmt.Sprintf("%c%c %dx%dx%d ld %d,%d,%d, %d entries, alpha %g beta %g",
		g.tA, g.tB, g.m, g.n, g.k, g.lda, g.ldb, g.ldc, len(g.aOffs), g.alpha, g.beta)
}

// checkBatched runs g through SgemmBatched/DgemmBatched and each entry
// through Sgemm/Dgemm alone, and fails unless every bit of C agrees.
func checkBatched(t *testing.T, impl Implementation, g batchCase, rng *rand.Rand) {
	t.Helper()
	a, b, c := randSlice(rng, g.lenA), randSlice(rng, g.lenB), randSlice(rng, g.lenC)
	want64 := append([]float64(nil), c...)
	for i := range g.aOffs {
		impl.Dgemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, a[g.aOffs[i]:], g.lda, b[g.bOffs[i]:], g.ldb, g.beta, want64[g.cOffs[i]:], g.ldc)
	}
	got64 := append([]float64(nil), c...)
	impl.DgemmBatched(g.tA, g.tB, g.m, g.n, g.k, g.alpha, a, g.lda, g.aOffs, b, g.ldb, g.bOffs, g.beta, got64, g.ldc, g.cOffs)
	for i := range got64 {
		if math.Float64bits(got64[i]) != math.Float64bits(want64[i]) {
			t.Fatalf("%s float64 %v: C[%d] = %g, Dgemm alone %g", impl.ISA(), g, i, got64[i], want64[i])
		}
	}
	a32, b32, c32 := toF32(a), toF32(b), toF32(c)
	want32 := append([]float32(nil), c32...)
	for i := range g.aOffs {
		impl.Sgemm(g.tA, g.tB, g.m, g.n, g.k, float32(g.alpha), a32[g.aOffs[i]:], g.lda, b32[g.bOffs[i]:], g.ldb, float32(g.beta), want32[g.cOffs[i]:], g.ldc)
	}
	got32 := append([]float32(nil), c32...)
	impl.SgemmBatched(g.tA, g.tB, g.m, g.n, g.k, float32(g.alpha), a32, g.lda, g.aOffs, b32, g.ldb, g.bOffs, float32(g.beta), got32, g.ldc, g.cOffs)
	for i := range got32 {
		if math.Float32bits(got32[i]) != math.Float32bits(want32[i]) {
			t.Fatalf("%s float32 %v: C[%d] = %g, Sgemm alone %g", impl.ISA(), g, i, got32[i], want32[i])
		}
	}
}

// TestBatchedMatchesSgemmBitwise: every entry of a batch is bit for bit
// Sgemm's (Dgemm's) for that entry alone, over random shapes (1 to 70),
// transposes, leading dimensions and offsets, on every ISA, with the
// hand-off to gonum on and off and each read mode forced (packed, A in
// place, A and B in place, the default rule), as TestEveryEdge forces them.
func TestBatchedMatchesSgemmBitwise(t *testing.T) {
	defer func(d bool, dp, ib, it int) {
		delegate, directBBytes, inPlaceBBytes, inPlaceBTiles = d, dp, ib, it
	}(delegate, directBBytes, inPlaceBBytes, inPlaceBTiles)
	cases := 300
	if testing.Short() {
		cases = 60
	}
	for _, isa := range Supported() {
		impl, _ := NewISA(isa)
		for _, d := range []bool{true, false} {
			for _, lim := range [][3]int{{directBBytes, inPlaceBBytes, inPlaceBTiles}, {-1, -1, -1}, {1 << 62, -1, -1}, {1 << 62, 1 << 62, 0}} {
				t.Run(fmt.Sprintf("%s/delegate=%v/direct=%d/inPlaceB=%d", isa, d, lim[0], lim[1]), func(t *testing.T) {
					delegate, directBBytes, inPlaceBBytes, inPlaceBTiles = d, lim[0], lim[1], lim[2]
					rng := rand.New(rand.NewPCG(uint64(lim[0]&0xffff), uint64(len(isa))))
					poison(kernels32[isa])
					poison(kernels64[isa])
					for i := range cases {
						maxDim := 70
						if i%3 == 0 {
							maxDim = 8 // tiny shapes: the gonum hand-offs
						}
						checkBatched(t, impl, randBatch(rng, maxDim), rng)
					}
				})
			}
		}
	}
}

// TestBatchedEdgeArguments: empty batches and k == 0 or alpha == 0 do what
// Sgemm does per entry; bad offsets panic with one-line messages.
func TestBatchedEdgeArguments(t *testing.T) {
	impl := New()
	c := []float32{1, 2, 3, 4, 5, 6}
	impl.SgemmBatched(blas.NoTrans, blas.NoTrans, 1, 2, 3, 1, nil, 3, nil, nil, 2, nil, 0, nil, 2, nil)
	impl.SgemmBatched(blas.NoTrans, blas.NoTrans, 1, 2, 0, 1, nil, 1, []int{0, 0}, nil, 2, []int{0, 0}, 0.5, c, 2, []int{0, 4})
	if want := []float32{0.5, 1, 3, 4, 2.5, 3}; fmt.Sprint(c) != fmt.Sprint(want) {
		t.Errorf("k == 0: C = %v, want %v", c, want)
	}
	for _, tc := range []struct {
		want                string
		aOffs, bOffs, cOffs []int
	}{
		{badOffsets, []int{0}, []int{0, 0}, []int{0}},
		{negOffset, []int{-1}, []int{0}, []int{0}},
		{shortC, []int{0}, []int{0}, []int{5}},
		{shortA, []int{4}, []int{0}, []int{0}},
	} {
		func() {
			defer func() {
				if r := recover(); r != tc.want {
					t.Errorf("offsets %v %v %v: panic %v, want %q", tc.aOffs, tc.bOffs, tc.cOffs, r, tc.want)
				}
			}()
			a, b, c := make([]float32, 6), make([]float32, 6), make([]float32, 6)
			impl.SgemmBatched(blas.NoTrans, blas.NoTrans, 2, 2, 3, 1, a, 3, tc.aOffs, b, 2, tc.bOffs, 0, c, 2, tc.cOffs)
		}()
	}
}

// BenchmarkBatched: the attention products of the transformer scrubs, as
// one Sgemm call per entry (loop) and as one SgemmBatched call (batched),
// on the best ISA. Heads: q·kᵀ, 6,652 entries of 8×8×16 with B transposed,
// and attn·v, 8×16×8; day 4b: 9,971 entries of 42×42×28 (B transposed) and
// 42×28×42. Entries are packed one after another, as the runtime has them.
//
//	go test ./blas/simd -run '^$' -bench Batched -cpu 1
func BenchmarkBatched(b *testing.B) {
	shapes := []struct {
		name    string
		entries int
		m, n, k int
		tB      blas.Transpose
	}{
		{"heads-qk", 6652, 8, 8, 16, blas.Trans},
		{"heads-av", 6652, 8, 16, 8, blas.NoTrans},
		{"day4b-qk", 9971, 42, 42, 28, blas.Trans},
		{"day4b-av", 9971, 42, 28, 42, blas.NoTrans},
		{"day3-qk", 15696, 32, 32, 16, blas.Trans},
		{"day3-av", 15696, 32, 16, 32, blas.NoTrans},
	}
	impl := New()
	for _, sh := range shapes {
		m, n, k, e := sh.m, sh.n, sh.k, sh.entries
		ldb := n
		if sh.tB == blas.Trans {
			ldb = k
		}
		rng := rand.New(rand.NewPCG(1, 2))
		a, bb := toF32(randSlice(rng, m*k*e)), toF32(randSlice(rng, k*n*e))
		c := make([]float32, m*n*e)
		var aOffs, bOffs, cOffs []int
		for i := range e {
			aOffs, bOffs, cOffs = append(aOffs, i*m*k), append(bOffs, i*k*n), append(cOffs, i*m*n)
		}
		flops := 2 * float64(m*n*k*e)
		b.Run(sh.name+"/loop", func(b *testing.B) {
			for b.Loop() {
				for i := range e {
					impl.Sgemm(blas.NoTrans, sh.tB, m, n, k, 1, a[aOffs[i]:], k, bb[bOffs[i]:], ldb, 0, c[cOffs[i]:], n)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(sh.name+"/batched", func(b *testing.B) {
			for b.Loop() {
				impl.SgemmBatched(blas.NoTrans, sh.tB, m, n, k, 1, a, k, aOffs, bb, ldb, bOffs, 0, c, n, cOffs)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
