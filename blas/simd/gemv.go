package simd

import "gonum.org/v1/gonum/blas"

// GEMMs below smallGemm multiply-adds are handed to gonum's Sgemm/Dgemm:
// its loops are faster there (BenchmarkSmallGemm, one thread, AVX-512
// float32, ns a call, gonum against the kernels: 2×2×2 31 against 59–70;
// 4×4×4 71–81 against 62–82; from 4×8×8 on the kernels lead, 8×8×8 245–265
// against 68–86). It was 16×16×16 before the kernels stored edges in place
// and read small operands unpacked.
//
// Matrix-vector shapes keep that old bound (smallGemv): the runtime
// computes some tiny products by its own sequential loops or by Sgemm
// depending on the plan (one worker or several, fused or not) and needs the
// two to agree bit for bit, which gonum's Sgemm does there and a GEMV or a
// kernel (FMA) does not (runtime's TestFusedRandomPrograms: a 16×1×5
// product differed between a parallel and a one-worker run when it went to
// Sgemv).
const (
	smallGemm = 4 * 4 * 4
	smallGemv = 16 * 16 * 16
)

// delegate enables the hand-offs to gonum for small and matrix-vector
// shaped problems; tests switch it off to drive the kernels on every shape.
var delegate = true

// gemvCall is a GEMM with m == 1 or n == 1 restated as one gonum GEMV
// call: y = alpha*op(M)*x + beta*y, where y is the single column (n == 1)
// or row (m == 1) of C. The micro-kernels would waste all but one row or
// column of every tile on it.
type gemvCall struct {
	t          blas.Transpose
	rows, cols int // of the stored matrix M
	ld         int
	matIsA     bool // M is A and x is from B (n == 1), or the reverse (m == 1)
	incX, incY int
	// lenY bounds the slice of C passed as y: gonum's float32 GemvT with
	// beta == 0 and incY == 1 clears all of y, not just its first n.
	lenY int
}

func gemvArgs(aTrans, bTrans bool, m, n, k, lda, ldb, ldc int) gemvCall {
	if n == 1 {
		// C[:,0] = op(A) · op(B)[:,0]; op(B)[p,0] is b[p] when B is
		// transposed (a 1×k row), else b[p*ldb].
		g := gemvCall{t: blas.NoTrans, rows: m, cols: k, ld: lda, matIsA: true, incX: ldb, incY: ldc, lenY: (m-1)*ldc + 1}
		if aTrans {
			g.t, g.rows, g.cols = blas.Trans, k, m
		}
		if bTrans {
			g.incX = 1
		}
		return g
	}
	// m == 1: C[0,:] = op(B)ᵀ · op(A)[0,:]; op(A)[0,p] is a[p*lda] when A
	// is transposed (a k×1 column), else a[p].
	g := gemvCall{t: blas.Trans, rows: k, cols: n, ld: ldb, incX: 1, incY: 1, lenY: n}
	if bTrans {
		g.t, g.rows, g.cols = blas.NoTrans, n, k
	}
	if aTrans {
		g.incX = lda
	}
	return g
}

// operands returns the matrix and the vector of the GEMV.
func operands[T float](g gemvCall, a, b []T) (mat, vec []T) {
	if g.matIsA {
		return a, b
	}
	return b, a
}
