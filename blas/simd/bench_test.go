package simd

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BenchmarkShapes compares gonum and every ISA on small and skinny shapes
// (the backend-level figures at 512–2048 are in package blas). Run as
//
//	go test ./blas/simd -run '^$' -bench Shapes -count=3
func BenchmarkShapes(b *testing.B) {
	shapes := [][3]int{{1, 1, 1}, {4, 4, 4}, {8, 8, 8}, {16, 16, 16}, {30, 30, 30}, {64, 64, 64}, {128, 128, 128},
		{1, 512, 512}, {512, 1, 512}, {512, 512, 1}, {256, 256, 8}, {16, 1024, 64}, {1024, 16, 64}}
	type target struct {
		name string
		impl blas.Float32
	}
	targets := []target{{"gonum", gonum.Implementation{}}}
	for _, isa := range Supported() {
		impl, _ := NewISA(isa)
		targets = append(targets, target{string(isa), impl})
	}
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		rng := rand.New(rand.NewPCG(1, 2))
		a, bb, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		for i := range a {
			a[i] = rng.Float32()
		}
		for i := range bb {
			bb[i] = rng.Float32()
		}
		for _, t := range targets {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, k, t.name), func(b *testing.B) {
				for range b.N {
					t.impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
