package blas

import (
	gblas "gonum.org/v1/gonum/blas"

	"github.com/circopt/circopt/blas/simd"
)

// BatchedFloat32 is a float32 BLAS that runs a batch of same-shaped GEMMs,
// entry i reading A, B and C at offsets aOffs[i], bOffs[i] and cOffs[i],
// in one call, paying a call's set-up once (simd.Implementation). Each
// entry's result must be bit for bit its Sgemm's alone, so a caller may
// use the batch or a loop of Sgemm calls interchangeably. The runtime
// uses it for loops of small GEMMs when the backend's F32 has it; other
// backends (gonum, OpenBLAS) get a loop of Sgemm calls.
type BatchedFloat32 interface {
	SgemmBatched(tA, tB gblas.Transpose, m, n, k int, alpha float32, a []float32, lda int, aOffs []int, b []float32, ldb int, bOffs []int, beta float32, c []float32, ldc int, cOffs []int)
}

// BatchedFloat64 is BatchedFloat32 for float64 (each entry Dgemm's).
type BatchedFloat64 interface {
	DgemmBatched(tA, tB gblas.Transpose, m, n, k int, alpha float64, a []float64, lda int, aOffs []int, b []float64, ldb int, bOffs []int, beta float64, c []float64, ldc int, cOffs []int)
}

var (
	_ BatchedFloat32 = simd.Implementation{}
	_ BatchedFloat64 = simd.Implementation{}
)
