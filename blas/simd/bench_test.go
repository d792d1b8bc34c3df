package simd

import (
	"fmt"
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
		a, bb, c := benchOperands(m, n, k)
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

// BenchmarkPackB: one k×n block of a B stored transposed (a weight read as
// [n, k], as GPT-2's unembedding is) and one stored as is, packed into
// micro-panels the way serial() packs them per kc slice.
func BenchmarkPackB(b *testing.B) {
	const k, n, nr, kc = 1024, 4096, 32, 512 // the AVX-512 kernel's nr and kc
	src := make([]float32, k*n)
	for i := range src {
		src[i] = float32(i)
	}
	dst := make([]float32, kc*n)
	for _, trans := range []bool{true, false} {
		ld := n
		if trans {
			ld = k
		}
		b.Run(map[bool]string{true: "trans", false: "notrans"}[trans], func(b *testing.B) {
			b.SetBytes(int64(4 * k * n))
			for b.Loop() {
				for pc := 0; pc < k; pc += kc {
					packB(dst, trans, src, ld, pc, kc, 0, n, nr, kernels32[Best()].t8)
				}
			}
		})
	}
}

// BenchmarkPackA packs op(A) blocks as the AVX-512 float32 driver does
// (mr 14, mc 336), deep (kc 512) and shallow (k 56: a transformer head's
// projection, where packing A costs about what the kernel does).
func BenchmarkPackA(b *testing.B) {
	const m, mr, mc = 4032, 14, 336
	for _, k := range []int{56, 512} {
		src := make([]float32, m*k)
		for i := range src {
			src[i] = float32(i)
		}
		dst := make([]float32, mc*k)
		for _, trans := range []bool{false, true} {
			ld := k
			if trans {
				ld = m
			}
			b.Run(fmt.Sprintf("k=%d/%s", k, map[bool]string{true: "trans", false: "notrans"}[trans]), func(b *testing.B) {
				b.SetBytes(int64(4 * m * k))
				for b.Loop() {
					for ic := 0; ic < m; ic += mc {
						packA(dst, trans, src, ld, ic, mc, 0, k, mr)
					}
				}
			})
		}
	}
}
