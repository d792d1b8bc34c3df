package simd

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation is a blas.Float32 and blas.Float64 whose Sgemm and Dgemm
// use the micro-kernels of one ISA; all other routines are gonum's. The
// zero value uses the best ISA of the running CPU.
type Implementation struct {
	gonum.Implementation
	isa ISA
	// The ISA's kernels, set by New and NewISA so that a call does not
	// look them up by name (a map lookup cost 4% of an 8×8×8 GEMM); nil in
	// the zero value, which looks them up.
	k32 *kernel[float32]
	k64 *kernel[float64]
}

var (
	_ blas.Float32 = Implementation{}
	_ blas.Float64 = Implementation{}
)

// New returns the implementation for the best ISA of this CPU.
func New() Implementation { return withKernels(Best()) }

func withKernels(isa ISA) Implementation {
	return Implementation{isa: isa, k32: kernels32[isa], k64: kernels64[isa]}
}

func (impl Implementation) kernel32() *kernel[float32] {
	if impl.k32 != nil {
		return impl.k32
	}
	return kernels32[impl.ISA()]
}

func (impl Implementation) kernel64() *kernel[float64] {
	if impl.k64 != nil {
		return impl.k64
	}
	return kernels64[impl.ISA()]
}

// NewISA returns the implementation for a given ISA, or an error if the
// ISA is unknown or this CPU cannot run it. Tests and benchmarks use it to
// compare kernels on one machine.
func NewISA(isa ISA) (Implementation, error) {
	if err := isa.check(); err != nil {
		return Implementation{}, err
	}
	return withKernels(isa), nil
}

// ISA is the instruction set whose kernels this implementation runs.
func (impl Implementation) ISA() ISA {
	if impl.isa == "" {
		return Best()
	}
	return impl.isa
}

// Tile returns the micro-kernel tile (rows × columns of C) for float32
// and float64.
func (impl Implementation) Tile() (mr32, nr32, mr64, nr64 int) {
	k32, k64 := impl.kernel32(), impl.kernel64()
	return k32.mr, k32.nr, k64.mr, k64.nr
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major float32
// matrices, where op(X) is X or its transpose.
func (impl Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	aTrans, bTrans := checkGemm(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if delegate && (m*n*k < smallGemm || (m == 1 || n == 1) && m*n*k < smallGemv) {
		impl.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if delegate && (m == 1 || n == 1) {
		gemv := gemvArgs(aTrans, bTrans, m, n, k, lda, ldb, ldc)
		mat, vec := operands(gemv, a, b)
		impl.Implementation.Sgemv(gemv.t, gemv.rows, gemv.cols, alpha, mat, gemv.ld, vec, gemv.incX, beta, c[:gemv.lenY], gemv.incY)
		return
	}
	gemm(problem[float32]{kn: impl.kernel32(), aTrans: aTrans, bTrans: bTrans, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc})
}

// Dgemm computes C = alpha*op(A)*op(B) + beta*C for row-major float64
// matrices, where op(X) is X or its transpose.
func (impl Implementation) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	aTrans, bTrans := checkGemm(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if delegate && (m*n*k < smallGemm || (m == 1 || n == 1) && m*n*k < smallGemv) {
		impl.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if delegate && (m == 1 || n == 1) {
		gemv := gemvArgs(aTrans, bTrans, m, n, k, lda, ldb, ldc)
		mat, vec := operands(gemv, a, b)
		impl.Implementation.Dgemv(gemv.t, gemv.rows, gemv.cols, alpha, mat, gemv.ld, vec, gemv.incX, beta, c[:gemv.lenY], gemv.incY)
		return
	}
	gemm(problem[float64]{kn: impl.kernel64(), aTrans: aTrans, bTrans: bTrans, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc})
}
