package simd

import (
	"math"

	"gonum.org/v1/gonum/blas"
)

// Panic messages of the batched entry points (gonum has none).
const (
	badOffsets = "blas: offsets of different lengths"
	negOffset  = "blas: negative offset"
)

// SgemmBatched computes, for each entry i of the batch,
//
//	C_i = alpha*op(A_i)*op(B_i) + beta*C_i
//
// where A_i is the row-major matrix at a[aOffs[i]:] (leading dimension lda),
// B_i at b[bOffs[i]:] and C_i at c[cOffs[i]:], all entries of one shape.
// Each C_i is bit for bit what Sgemm gives for that entry alone: the same
// path (gonum hand-off, kernels), the same kernels and read modes, the same
// order over k. What one Sgemm call decides from the shape (kernel, read
// modes, packing buffers) is decided once for the whole batch, so a batch
// of tiny GEMMs (an attention's q·kᵀ, 8×8×16 per head) does not pay a
// call's set-up per entry. Entries run in order on the calling goroutine,
// except those large enough for Sgemm to split (m·n·k ≥ 48³), which are
// Sgemm calls. The C_i must not overlap (entries may share A and B).
func (impl Implementation) SgemmBatched(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, aOffs []int, b []float32, ldb int, bOffs []int, beta float32, c []float32, ldc int, cOffs []int) {
	gemmBatched(impl.kernel32(), impl.Sgemm, impl.Implementation.Sgemm, tA, tB, m, n, k, alpha, a, lda, aOffs, b, ldb, bOffs, beta, c, ldc, cOffs)
}

// DgemmBatched is SgemmBatched for float64 (each C_i as Dgemm gives it).
func (impl Implementation) DgemmBatched(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, aOffs []int, b []float64, ldb int, bOffs []int, beta float64, c []float64, ldc int, cOffs []int) {
	gemmBatched(impl.kernel64(), impl.Dgemm, impl.Implementation.Dgemm, tA, tB, m, n, k, alpha, a, lda, aOffs, b, ldb, bOffs, beta, c, ldc, cOffs)
}

// gemmFunc is Sgemm's or Dgemm's signature.
type gemmFunc[T float] func(tA, tB blas.Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)

// gemmBatched runs the batch through the path Sgemm/Dgemm (whole) would
// take for its shape: the shape's gonum hand-off (small) and parallel
// problems entry by entry through whole, else serial with one workspace
// and one choice of read modes for all entries.
func gemmBatched[T float](kn *kernel[T], whole, small gemmFunc[T], tA, tB blas.Transpose, m, n, k int, alpha T, a []T, lda int, aOffs []int, b []T, ldb int, bOffs []int, beta T, c []T, ldc int, cOffs []int) {
	if len(bOffs) != len(aOffs) || len(cOffs) != len(aOffs) {
		panic(badOffsets)
	}
	lenA, lenB, lenC := math.MaxInt, math.MaxInt, math.MaxInt
	if len(aOffs) > 0 {
		lenA, lenB, lenC = len(a)-maxOffset(aOffs), len(b)-maxOffset(bOffs), len(c)-maxOffset(cOffs)
	}
	aTrans, bTrans := checkGemm(tA, tB, m, n, k, lenA, lda, lenB, ldb, lenC, ldc)
	if m == 0 || n == 0 || len(aOffs) == 0 {
		return
	}
	// Every entry is now in bounds: checkGemm saw the room left after the
	// largest offset.
	if alpha == 0 || k == 0 {
		for _, co := range cOffs {
			scaleC(m, n, beta, c[co:], ldc)
		}
		return
	}
	gonumSmall := m*n*k < smallGemm || (m == 1 || n == 1) && m*n*k < smallGemv
	if delegate && gonumSmall {
		for i := range aOffs {
			small(tA, tB, m, n, k, alpha, a[aOffs[i]:], lda, b[bOffs[i]:], ldb, beta, c[cOffs[i]:], ldc)
		}
		return
	}
	if delegate && (m == 1 || n == 1) || m*n*k >= parallelMinFlops {
		// GEMV hand-offs and problems Sgemm may split: their call
		// overhead is small beside their work.
		for i := range aOffs {
			whole(tA, tB, m, n, k, alpha, a[aOffs[i]:], lda, b[bOffs[i]:], ldb, beta, c[cOffs[i]:], ldc)
		}
		return
	}
	// What gemm runs for this shape: serial (one thread below
	// parallelMinFlops).
	p := problem[T]{kn: kn, aTrans: aTrans, bTrans: bTrans, m: m, n: n, k: k,
		alpha: alpha, beta: beta, lda: lda, ldb: ldb, ldc: ldc}
	ws := kn.getWorkspace()
	defer kn.putWorkspace(ws)
	modes := p.readModes(ws)
	for i := range aOffs {
		p.a, p.b, p.c = a[aOffs[i]:], b[bOffs[i]:], c[cOffs[i]:]
		p.serialIn(ws, modes)
	}
}

// maxOffset is the largest of offs, panicking on a negative one.
func maxOffset(offs []int) int {
	hi := 0
	for _, o := range offs {
		if o < 0 {
			panic(negOffset)
		}
		hi = max(hi, o)
	}
	return hi
}
