package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// TestEveryEdge runs every m and n from 1 to 70 (every row and column edge
// of the 4×4, 6×16, 6×8, 14×32 and 14×16 tiles, once to twice past
// them) with k from 1 to 70, each transpose pair, padded leading
// dimensions, alpha ≠ 1 and beta 0 (C full of NaN), 1 and other, on every
// ISA, with A read in place for every width (directBBytes huge), never
// (-1) and by the default rule, and B read in place (where the kernels can)
// for every size, never and by the default rule. Kernels only: no hand-off
// to gonum.
func TestEveryEdge(t *testing.T) {
	defer func(d bool, dp, ib, it int) {
		delegate, directBBytes, inPlaceBBytes, inPlaceBTiles = d, dp, ib, it
	}(delegate, directBBytes, inPlaceBBytes, inPlaceBTiles)
	delegate = false
	step := 1
	if testing.Short() {
		step = 5
	}
	betas := []float64{0, 1, -0.75}
	trans := []blas.Transpose{blas.NoTrans, blas.Trans}
	for _, isa := range Supported() {
		impl, _ := NewISA(isa)
		for _, lim := range [][3]int{{directBBytes, inPlaceBBytes, inPlaceBTiles}, {-1, -1, -1}, {1 << 62, -1, -1}, {1 << 62, 1 << 62, 0}} {
			directBBytes, inPlaceBBytes, inPlaceBTiles = lim[0], lim[1], lim[2]
			dp := lim[0] ^ lim[1]
			t.Run(fmt.Sprintf("%s/direct=%d/inPlaceB=%d", isa, lim[0], lim[1]), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(dp&0xffff), uint64(len(isa))))
				poison(kernels32[isa])
				poison(kernels64[isa])
				for m := 1; m <= 70; m += step {
					for n := 1; n <= 70; n++ {
						g := gemmCase{tA: trans[rng.IntN(2)], tB: trans[rng.IntN(2)], m: m, n: n, k: 1 + rng.IntN(70),
							padA: rng.IntN(3) * 3, padB: rng.IntN(2) * 5, padC: rng.IntN(3),
							alpha: 1.5, beta: betas[rng.IntN(len(betas))]}
						checkCase(t, impl, g, rng)
					}
				}
				// every k, at tile edges in m and n
				for k := 1; k <= 70; k++ {
					for _, mn := range [][2]int{{13, 31}, {14, 32}, {15, 33}, {29, 17}, {42, 28}} {
						for _, tA := range trans {
							g := gemmCase{tA: tA, tB: trans[k%2], m: mn[0], n: mn[1], k: k, padA: 1, padB: 2, padC: 3,
								alpha: -2, beta: betas[k%3]}
							checkCase(t, impl, g, rng)
						}
					}
				}
			})
		}
	}
}

// poison fills the pooled packing buffers with NaN, so that padding rows
// and columns, which packing leaves as they were, hold NaN in the next
// GEMMs: any of it reaching a stored element fails the check. (A pool may
// drop its items at a GC, so this is best effort; most calls get them.)
func poison[T float](kn *kernel[T]) {
	ws := kn.getWorkspace()
	ws.bp = grow(ws.bp, kn.kc*kn.nc)
	for _, s := range [][]T{ws.ap, ws.bp} {
		for i := range s {
			s[i] = T(math.NaN())
		}
	}
	kn.putWorkspace(ws)
}

// TestReadModesAgreeBitwise: packed, A in place, and A and B in place give
// the same bits, every kernel variant summing over k in order (the doc's
// invariant), including beta ∉ {0, 1}, whose epilogue all variants share.
func TestReadModesAgreeBitwise(t *testing.T) {
	defer func(d bool, dp, ib, it int) {
		delegate, directBBytes, inPlaceBBytes, inPlaceBTiles = d, dp, ib, it
	}(delegate, directBBytes, inPlaceBBytes, inPlaceBTiles)
	delegate = false
	modes := [][3]int{{-1, -1, -1}, {1 << 62, -1, -1}, {1 << 62, 1 << 62, 0}}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, isa := range Supported() {
		impl, _ := NewISA(isa)
		for range 200 {
			m, n, k := 1+rng.IntN(60), 1+rng.IntN(70), 1+rng.IntN(600)
			tB := []blas.Transpose{blas.NoTrans, blas.Trans}[rng.IntN(2)]
			ldb := n
			if tB == blas.Trans {
				ldb = k
			}
			a, b := toF32(randSlice(rng, m*k)), toF32(randSlice(rng, k*n))
			c0 := toF32(randSlice(rng, m*n))
			var first []float32
			for _, mode := range modes {
				directBBytes, inPlaceBBytes, inPlaceBTiles = mode[0], mode[1], mode[2]
				c := append([]float32(nil), c0...)
				impl.Sgemm(blas.NoTrans, tB, m, n, k, 1.25, a, k, b, ldb, -0.75, c, n)
				if first == nil {
					first = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
						t.Fatalf("%s %dx%dx%d %c mode %v: C[%d] = %g, packed %g", isa, m, n, k, tB, mode, i, c[i], first[i])
					}
				}
			}
		}
	}
}
