package blas_test

import (
	"fmt"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/circopt/circopt/blas"
)

// A program installs the backend once at start-up; every blas32.Gemm and
// blas64.Gemm after that (the tensor package's, the runtime's) runs on it.
func ExampleSetup() {
	prev := blas.Current()
	defer blas.Use(prev)

	b, err := blas.Setup() // CIRCOPT_BLAS, or the default for this CPU
	if err != nil {
		// e.g. CIRCOPT_BLAS=mkl: unknown BLAS backend "mkl" (choices:
		// gonum, simd). A command exits with it; a lenient program can
		// fall back to the default.
		b = blas.Default()
		blas.Use(b)
	}
	_ = b.String() // e.g. "simd (default: CPU has AVX-512F)"

	c := blas32.General{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4)}
	blas32.Gemm(gblas.NoTrans, gblas.NoTrans, 1,
		blas32.General{Rows: 2, Cols: 3, Stride: 3, Data: []float32{1, 2, 3, 4, 5, 6}},
		blas32.General{Rows: 3, Cols: 2, Stride: 2, Data: []float32{7, 8, 9, 10, 11, 12}},
		0, c)
	fmt.Println(c.Data)
	// Output: [58 64 139 154]
}

// ByName forces a backend, as CIRCOPT_BLAS does.
func ExampleByName() {
	b, err := blas.ByName("gonum")
	fmt.Println(b.Name, err)
	_, err = blas.ByName("mkl")
	fmt.Println(err != nil)
	// Output:
	// gonum <nil>
	// true
}
