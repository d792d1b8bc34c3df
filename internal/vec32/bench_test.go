package vec32

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkKernels times every kernel on 1024-element slices (the fused
// kernel's block), on each path the CPU has ("avx512": the same as "avx2"
// for kernels without an AVX-512 form; "avx2"; "go", the fallback),
// reporting ns/elem. Inputs spread like GEMM outputs (σ = 8: both tanh
// branches, some saturation).
func BenchmarkKernels(b *testing.B) {
	const n = 1024
	rng := rand.New(rand.NewPCG(7, 8))
	a, c, dst := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range a {
		a[i], c[i] = float32(rng.NormFloat64()*8), float32(rng.NormFloat64()*8)
	}
	m := float64(a[0])
	for _, x := range a {
		m = max(m, float64(x))
	}
	cases := []struct {
		name string
		f    func()
	}{
		{"exp", func() { Exps(dst, a) }},
		{"sigmoid", func() { Sigmoids(dst, a) }},
		{"tanh", func() { Tanhs(dst, a) }},
		{"gelu_new", func() { GeluNews(dst, a) }},
		{"log", func() { Logs(dst, a) }},
		{"expsum", func() { ExpSum(a, m) }},
		{"expstore", func() { ExpStore(dst, a, m) }},
		{"max", func() { Max(a) }},
		{"mulf64", func() { MulF64(dst, a, 1/m) }},
		{"subf64", func() { SubF64(dst, a, m) }},
		{"add", func() { Add(dst, a, c) }},
		{"addto", func() { AddTo(dst, a) }},
		{"mul", func() { Mul(dst, a, c) }},
		{"scale", func() { Scale(dst, a, 0.125) }},
		{"relu", func() { Relu(dst, a) }},
		{"neg", func() { Neg(dst, a) }},
	}
	saved2, saved512 := useAVX2, useAVX512
	defer func() { useAVX2, useAVX512 = saved2, saved512 }()
	for _, k := range cases {
		for _, path := range []struct {
			name         string
			avx512, avx2 bool
		}{{"avx512", true, true}, {"avx2", false, true}, {"go", false, false}} {
			if path.avx512 && !saved512 || path.avx2 && !saved2 {
				continue
			}
			b.Run(k.name+"/"+path.name, func(b *testing.B) {
				useAVX2, useAVX512 = path.avx2, path.avx512
				for b.Loop() {
					k.f()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
			})
		}
	}
}

// BenchmarkSoftmaxRows times SoftmaxRows ("block") against the per-row
// kernels as runtime called them one row at a time ("rows") over 64 KiB of
// contiguous rows (in cache), for row lengths around RowsMaxD;
// ns/row is per row.
func BenchmarkSoftmaxRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, d := range []int{4, 8, 16, 42, 64, 128} {
		n := 16384 / d
		a, dst := make([]float32, n*d), make([]float32, n*d)
		for i := range a {
			a[i] = float32(rng.NormFloat64() * 3)
		}
		offs := make([]int, n)
		for r := range offs {
			offs[r] = r * d
		}
		for _, log := range []bool{false, true} {
			name := map[bool]string{false: "softmax", true: "log_softmax"}[log]
			b.Run(fmt.Sprintf("%s/d=%d/block", name, d), func(b *testing.B) {
				for b.Loop() {
					SoftmaxRows(dst, a, offs, d, log)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
			})
			b.Run(fmt.Sprintf("%s/d=%d/rows", name, d), func(b *testing.B) {
				for b.Loop() {
					for r, p := range offs {
						softmaxRowRef(dst[r*d:r*d+d], a[p:p+d], log)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
			})
		}
	}
}
