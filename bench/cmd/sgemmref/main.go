// Command sgemmref is the reference for circopt's whole-process matmul
// figure: it loads two float32 .npy matrices, multiplies them with one
// Sgemm on the BLAS backend circopt would use (blas.ForRun) and prints
// the sum of the product, as `circopt eval` of 'total' Einsum ab-> over
// 'prod' Einsum ab,bc->ac does.
//
//	sgemmref A.npy B.npy
package main

import (
	"fmt"
	"os"

	gblas "gonum.org/v1/gonum/blas"

	"github.com/circopt/circopt/blas"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sgemmref:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: sgemmref A.npy B.npy")
	}
	a, err := load(args[0])
	if err != nil {
		return err
	}
	b, err := load(args[1])
	if err != nil {
		return err
	}
	m, k, n := a.Shape()[0], a.Shape()[1], b.Shape()[1]
	if b.Shape()[0] != k {
		return fmt.Errorf("shapes %v and %v do not multiply", a.Shape(), b.Shape())
	}
	be, err := blas.ForRun()
	if err != nil {
		return err
	}
	c := make([]float32, m*n)
	be.F32.Sgemm(gblas.NoTrans, gblas.NoTrans, m, n, k, 1, a.Float32Data(), k, b.Float32Data(), n, 0, c, n)
	var sum float64
	for _, v := range c {
		sum += float64(v)
	}
	fmt.Printf("%g\n", float32(sum))
	return nil
}

// load reads a rank-2 float32 .npy file, contiguous.
func load(path string) (*tensor.Tensor, error) {
	t, err := weights.LoadNpy(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if t.Rank() != 2 || t.DType() != tensor.Float32 {
		return nil, fmt.Errorf("%s: want a rank-2 float32 array, got %v %v", path, t.DType(), t.Shape())
	}
	return t.Contiguous(), nil
}
