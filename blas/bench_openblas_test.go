//go:build openblas

package blas_test

import (
	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"
)

// netlib calls OpenBLAS directly through netlib, bypassing the swap point:
// the yardstick for the openblas backend.
func init() {
	var impl netlib.Implementation
	extraTargets = append(extraTargets, benchTarget{
		name: "netlib",
		f32: func(m, n, k int, a, b, c []float32) {
			impl.Sgemm(gblas.NoTrans, gblas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
		},
		f64: func(m, n, k int, a, b, c []float64) {
			impl.Dgemm(gblas.NoTrans, gblas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
		},
	})
}
