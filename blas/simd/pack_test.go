package simd

import (
	"math/rand/v2"
	"testing"
)

// TestPackBTransposer: packB with the assembly 8×8 transposer packs every
// valid element of a transposed B where the element-by-element copy does,
// at every shape around the 8×8 blocks and the packBSlice slices.
func TestPackBTransposer(t *testing.T) {
	t8 := kernels32[Best()].t8
	if t8 == nil {
		t.Skip("no assembly transposer on this CPU")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const nr = 32
	for nc := 1; nc <= 70; nc++ {
		for _, kc := range []int{1, 7, 8, 9, 15, 16, 17, 24, 31, 33, 40} {
			p0, j0 := rng.IntN(3), rng.IntN(3)
			ldb := p0 + kc + rng.IntN(3)
			b := make([]float32, (j0+nc)*ldb)
			for i := range b {
				b[i] = rng.Float32()
			}
			panels := ceilDiv(nc, nr)
			got, want := make([]float32, panels*nr*kc), make([]float32, panels*nr*kc)
			packB(got, true, b, ldb, p0, kc, j0, nc, nr, t8)
			packB(want, true, b, ldb, p0, kc, j0, nc, nr, nil)
			for jp := 0; jp < nc; jp += nr {
				for p := range kc {
					for j := range min(nr, nc-jp) {
						i := jp*kc + p*nr + j
						if got[i] != want[i] || want[i] != b[(j0+jp+j)*ldb+p0+p] {
							t.Fatalf("nc=%d kc=%d: panel %d row %d col %d: %g, want %g", nc, kc, jp/nr, p, j, got[i], want[i])
						}
					}
				}
			}
		}
	}
}
