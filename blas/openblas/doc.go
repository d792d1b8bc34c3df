// Package openblas is circopt's cgo BLAS backend: OpenBLAS, called through
// gonum.org/v1/netlib's cblas bindings. It has content only with the build
// tag `openblas` (and then needs OpenBLAS's headers and library, e.g.
// Debian's libopenblas-dev); without the tag it is empty, so the default
// build of circopt has no cgo.
//
// OpenBLAS picks its kernels when the library loads, before any Go code
// runs: the environment variable OPENBLAS_CORETYPE, if set, overrides its
// CPU detection (OPENBLAS_CORETYPE=Haswell restricts it to AVX2 kernels),
// and OPENBLAS_NUM_THREADS bounds its threads. Describe reports what it
// chose.
package openblas
