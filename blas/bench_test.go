package blas_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/circopt/circopt/blas"
	"github.com/circopt/circopt/blas/simd"
)

// benchSizes are the square sizes of the GEMM figures.
var benchSizes = []int{512, 1024, 2048}

// benchTarget is one way to run GEMM in a benchmark: a backend installed
// with blas.Use and called through blas32.Gemm/blas64.Gemm (the path the
// tensor package takes), or a direct call (netlib, for comparison).
type benchTarget struct {
	name string
	f32  func(m, n, k int, a, b, c []float32)
	f64  func(m, n, k int, a, b, c []float64)
}

// extraTargets is filled by bench_openblas_test.go under -tags openblas.
var extraTargets []benchTarget

func swapPointTarget(b blas.Backend) benchTarget {
	return benchTarget{
		name: b.Name,
		f32: func(m, n, k int, a, bb, c []float32) {
			blas.Use(b)
			blas32.Gemm(gblas.NoTrans, gblas.NoTrans, 1,
				blas32.General{Rows: m, Cols: k, Stride: k, Data: a},
				blas32.General{Rows: k, Cols: n, Stride: n, Data: bb},
				0, blas32.General{Rows: m, Cols: n, Stride: n, Data: c})
		},
		f64: func(m, n, k int, a, bb, c []float64) {
			blas.Use(b)
			blas64.Gemm(gblas.NoTrans, gblas.NoTrans, 1,
				blas64.General{Rows: m, Cols: k, Stride: k, Data: a},
				blas64.General{Rows: k, Cols: n, Stride: n, Data: bb},
				0, blas64.General{Rows: m, Cols: n, Stride: n, Data: c})
		},
	}
}

func benchTargets(b *testing.B) []benchTarget {
	var ts []benchTarget
	for _, name := range blas.Available() {
		be, err := blas.ByName(name)
		if err != nil {
			b.Fatal(err)
		}
		ts = append(ts, swapPointTarget(be))
	}
	// On an AVX-512 machine, also the AVX2 kernels that CPUs without
	// AVX-512 get.
	if simd.Best() == simd.AVX512 {
		impl, err := simd.NewISA(simd.AVX2)
		if err != nil {
			b.Fatal(err)
		}
		ts = append(ts, swapPointTarget(blas.Backend{Name: "simd-avx2", F32: impl, F64: impl}))
	}
	return append(ts, extraTargets...)
}

func randF32(n int) []float32 {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

func randF64(n int) []float64 {
	rng := rand.New(rand.NewPCG(uint64(n), 8))
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.Float64()*2 - 1
	}
	return s
}

func reportGFLOPS(b *testing.B, n int) {
	flops := 2 * float64(n) * float64(n) * float64(n) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSgemm and BenchmarkDgemm run every target at one size before
// the next size, so the targets compared at a size run within seconds of
// each other and load from other processes tends to hit them alike (-count
// repeats each sub-benchmark in place):
//
//	go test ./blas -run '^$' -bench 'gemm$' -benchtime=3x -count=3
func BenchmarkSgemm(b *testing.B) {
	prev := blas.Current()
	defer blas.Use(prev)
	for _, n := range benchSizes {
		for _, t := range benchTargets(b) {
			b.Run(fmt.Sprintf("%s/%d", t.name, n), func(b *testing.B) {
				a, bb, c := randF32(n*n), randF32(n*n), make([]float32, n*n)
				t.f32(n, n, n, a, bb, c) // warm up: page in buffers, start threads
				b.ResetTimer()
				for range b.N {
					t.f32(n, n, n, a, bb, c)
				}
				reportGFLOPS(b, n)
			})
		}
	}
}

func BenchmarkDgemm(b *testing.B) {
	prev := blas.Current()
	defer blas.Use(prev)
	for _, n := range benchSizes {
		for _, t := range benchTargets(b) {
			b.Run(fmt.Sprintf("%s/%d", t.name, n), func(b *testing.B) {
				a, bb, c := randF64(n*n), randF64(n*n), make([]float64, n*n)
				t.f64(n, n, n, a, bb, c)
				b.ResetTimer()
				for range b.N {
					t.f64(n, n, n, a, bb, c)
				}
				reportGFLOPS(b, n)
			})
		}
	}
}
