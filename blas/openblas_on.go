//go:build openblas

package blas

import "github.com/circopt/circopt/blas/openblas"

// With -tags openblas, the cgo backend is compiled in and can be chosen
// with CIRCOPT_BLAS=openblas. It lives in its own package so that the
// default build links no C.
func init() {
	constructors["openblas"] = func() Backend {
		impl := openblas.Implementation{}
		return Backend{Name: "openblas", Detail: openblas.Describe(), F32: impl, F64: impl}
	}
}
