package runtime

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	cblas "github.com/circopt/circopt/blas"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// benchProgram parses src and binds random float32 inputs named x and y of
// the given shapes.
func benchProgram(b *testing.B, src string, shapes map[string][]int) (*ir.Program, map[string]*tensor.Tensor) {
	b.Helper()
	p, err := ir.Parse("bench.ir", []byte(src), nil)
	if err != nil {
		b.Fatal(err)
	}
	in := map[string]*tensor.Tensor{}
	seed := uint64(1)
	for name, s := range shapes {
		t, err := tensor.RandN(tensor.Float32, s, seed)
		if err != nil {
			b.Fatal(err)
		}
		in[name] = t
		seed++
	}
	if _, err := cblas.Ensure(); err != nil {
		b.Fatal(err)
	}
	return p, in
}

func runBench(b *testing.B, p *ir.Program, in map[string]*tensor.Tensor) {
	b.Helper()
	for b.Loop() {
		if _, _, err := (Fast{}).Run(p, in, tensor.Float32); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRowKernels times the row-iterating kernels (elementwise on
// contiguous, transposed and broadcast operands, a sum over an outer axis,
// a copying reshape) on 1024×1024 float32, through the fast executor.
func BenchmarkRowKernels(b *testing.B) {
	const n = 1024
	sh := map[string][]int{"x": {n, n}, "y": {n, n}}
	cases := []struct{ name, src string }{
		{"relu", `%0 = input "x" : f32[1024,1024]
%1 = relu %0 : f32[1024,1024]
output "o" %1
`},
		{"addT", `%0 = input "x" : f32[1024,1024]
%1 = input "y" : f32[1024,1024]
%2 = permute [1,0] %1 : f32[1024,1024]
%3 = add %0 %2 : f32[1024,1024]
output "o" %3
`},
		{"mulRow", `%0 = input "x" : f32[1024,1024]
%1 = input "y" : f32[1024,1024]
%2 = select 0 3 %1 : f32[1024]
%3 = broadcast %2 : f32[1024,1024]
%4 = mul %0 %3 : f32[1024,1024]
output "o" %4
`},
		{"sum0", `%0 = input "x" : f32[1024,1024]
%1 = sum [0] %0 : f32[1024]
output "o" %1
`},
		{"sum1", `%0 = input "x" : f32[1024,1024]
%1 = sum [1] %0 : f32[1024]
output "o" %1
`},
		{"reshapeT", `%0 = input "x" : f32[1024,1024]
%1 = permute [1,0] %0 : f32[1024,1024]
%2 = reshape %1 : f32[1048576]
output "o" %2
`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			p, in := benchProgram(b, c.src, sh)
			runBench(b, p, in)
		})
	}
}

// BenchmarkGemmOverhead interleaves blas32.Gemm called directly (into one
// reused result buffer, as bench.MeasureGemm does), the runtime running the
// one-einsum program ik,kj->ij on the same n×n data, and blas32.Gemm into a
// freshly allocated result (fresh-ns). Run must return a new tensor, so
// fresh-ns is its floor: run-ns minus fresh-ns is the runtime's own cost,
// fresh-ns minus direct-ns the cost of a new result buffer (zeroing and
// page faults). n=8 shows the fixed per-run cost.
func BenchmarkGemmOverhead(b *testing.B) {
	for _, n := range []int{8, 512, 1024} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			src := fmt.Sprintf("%%0 = input \"x\" : f32[%d,%d]\n%%1 = input \"y\" : f32[%d,%d]\n%%2 = einsum \"ik,kj->ij\" %%0 %%1 : f32[%d,%d]\noutput \"c\" %%2\n", n, n, n, n, n, n)
			p, in := benchProgram(b, src, map[string][]int{"x": {n, n}, "y": {n, n}})
			c := make([]float32, n*n)
			ga := blas32.General{Rows: n, Cols: n, Stride: n, Data: in["x"].Float32Data()}
			gb := blas32.General{Rows: n, Cols: n, Stride: n, Data: in["y"].Float32Data()}
			gc := blas32.General{Rows: n, Cols: n, Stride: n, Data: c}
			var direct, fresh, viaRun []float64
			for b.Loop() {
				t := nanotime()
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, ga, gb, 0, gc)
				t1 := nanotime()
				if _, _, err := Run(p, in, tensor.Float32); err != nil {
					b.Fatal(err)
				}
				t2 := nanotime()
				// the direct call into a freshly allocated result, as a
				// returned output must be: the floor for the runtime
				gf := gc
				gf.Data = make([]float32, n*n)
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, ga, gb, 0, gf)
				t3 := nanotime()
				direct, viaRun = append(direct, float64(t1-t)), append(viaRun, float64(t2-t1))
				fresh = append(fresh, float64(t3-t2))
			}
			d, r, f := medianF(direct), medianF(viaRun), medianF(fresh)
			b.ReportMetric(d, "direct-ns")
			b.ReportMetric(f, "fresh-ns")
			b.ReportMetric(r, "run-ns")
			b.ReportMetric(d/r, "ratio")
		})
	}
}

func nanotime() int64 { return time.Now().UnixNano() }

// medianF is the median of xs (xs is sorted in place).
func medianF(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// BenchmarkLastAxis times softmax and log_softmax over a vocabulary-sized
// last axis (64 rows of 50,257: a batch of GPT-2 logits, day 3's
// log_softmax), float32 through the fast executor.
func BenchmarkLastAxis(b *testing.B) {
	sh := map[string][]int{"x": {64, 50257}}
	for _, op := range []string{"softmax", "log_softmax"} {
		b.Run(op, func(b *testing.B) {
			p, in := benchProgram(b, fmt.Sprintf(`%%0 = input "x" : f32[64,50257]
%%1 = %s %%0 : f32[64,50257]
output "o" %%1
`, op), sh)
			runBench(b, p, in)
		})
	}
}

// BenchmarkGemmLayouts times contractions whose output groups do not
// collapse, with each layout forced (loop: one GEMM per index of the
// leading labels; block: one GEMM into a block whose permuted view is the
// result, copied here because it is the program's output) and as the cost
// model picks (cost), float32 on one goroutine. The shapes
// are a transformer's per-head projections (x[b,s,k]·W[h,d,k] ->
// [b,h,s,d] and back, z[b,h,s,d]·W[h,m,d] -> [b,h,s,m]) over 1,663
// examples and over 8, and wide heads (d 128, 64 examples), where the
// per-GEMM work is largest and the two layouts come closest.
//
//	go test ./runtime -run '^$' -bench GemmLayouts -cpu 1
func BenchmarkGemmLayouts(b *testing.B) {
	cases := []einsumCase{
		{"qkv-1663", "bsk,hdk->bhsd", []int{1663, 8, 64}, []int{4, 16, 64}, []int{1663, 4, 8, 16}},
		{"qkv-8", "bsk,hdk->bhsd", []int{8, 8, 64}, []int{4, 16, 64}, []int{8, 4, 8, 16}},
		{"out-1663", "bhsd,hmd->bhsm", []int{1663, 4, 8, 16}, []int{4, 64, 16}, []int{1663, 4, 8, 64}},
		{"qkv-wide", "bsk,hdk->bhsd", []int{64, 128, 256}, []int{4, 128, 256}, []int{64, 4, 128, 128}},
	}
	benchEinsums(b, cases, &forcedLayout, []benchMode{{"loop", layoutPreferLoop}, {"block", layoutPreferBlock}, {"cost", layoutByCost}})
}

// BenchmarkAttentionProducts times the attention products of the
// transformer scrubs, loops of small GEMMs, float32 on one goroutine, with
// one GEMM call per loop index (loop) and with one batched call (batched,
// the default on simd): the heads scrub's q·kᵀ and attn·v (6,652 entries of
// 8×8×16 and 8×16×8) and day 4b's (9,971 of 42×42×28 and 42×28×42).
//
//	go test ./runtime -run '^$' -bench AttentionProducts -cpu 1
func BenchmarkAttentionProducts(b *testing.B) {
	cases := []einsumCase{
		{"heads-qk", "abcd,abed->abce", []int{1663, 4, 8, 16}, []int{1663, 4, 8, 16}, []int{1663, 4, 8, 8}},
		{"heads-av", "abcd,abde->abce", []int{1663, 4, 8, 8}, []int{1663, 4, 8, 16}, []int{1663, 4, 8, 16}},
		{"day4b-qk", "abc,adc->abd", []int{9971, 42, 28}, []int{9971, 42, 28}, []int{9971, 42, 42}},
		{"day4b-av", "abc,acd->abd", []int{9971, 42, 42}, []int{9971, 42, 28}, []int{9971, 42, 28}},
	}
	benchEinsums(b, cases, &forcedBatch, []benchMode{{"loop", batchOff}, {"batched", batchAuto}})
}

// einsumCase is one binary einsum of float32 inputs x and y.
type einsumCase struct {
	name, spec string
	x, y, out  []int
}

// benchMode is a setting of a forced-choice variable (forcedLayout,
// forcedBatch) that a benchmark compares.
type benchMode struct {
	name  string
	force int
}

// benchEinsums times each case under each mode of *force.
func benchEinsums(b *testing.B, cases []einsumCase, force *int, modes []benchMode) {
	defer func(f int) { *force = f }(*force)
	for _, c := range cases {
		src := einsumSrc(c.spec, "f32", c.x, c.y, c.out)
		for _, m := range modes {
			b.Run(c.name+"/"+m.name, func(b *testing.B) {
				p, in := benchProgram(b, src, map[string][]int{"x": c.x, "y": c.y})
				*force = m.force
				runBench(b, p, in)
			})
		}
	}
}

// einsumSrc is the IR of one einsum of inputs x and y, output o.
func einsumSrc(spec, ty string, x, y, out []int) string {
	dims := func(s []int) string { return strings.Trim(strings.Join(strings.Fields(fmt.Sprint(s)), ","), "[]") }
	return fmt.Sprintf("%%0 = input \"x\" : %s[%s]\n%%1 = input \"y\" : %s[%s]\n%%2 = einsum %q %%0 %%1 : %s[%s]\noutput \"o\" %%2\n",
		ty, dims(x), ty, dims(y), spec, ty, dims(out))
}

// BenchmarkFusedRows times, fused and unfused, float32 on one goroutine:
// a layer norm's elementwise tail over rows of 56 (a region whose blocks
// span whole rows, fusedRowsT), a bias added over rows of 64 and a
// nine-operand add of [9971,42,56] arrays (regions of one value: the bias
// tiled once, each operand read once).
//
//	go test ./runtime -run '^$' -bench FusedRows -cpu 1
func BenchmarkFusedRows(b *testing.B) {
	cases := []struct {
		name, src string
		shapes    map[string][]int
	}{
		{"layernorm", `%0 = input "x" : f32[1000,42,56]
%1 = input "m" : f32[1000,42,1]
%2 = input "r" : f32[1000,42,1]
%3 = input "w" : f32[56]
%4 = input "c" : f32[56]
%5 = add %0 %1 : f32[1000,42,56]
%6 = mul %5 %2 : f32[1000,42,56]
%7 = mul %6 %3 : f32[1000,42,56]
%8 = add %7 %4 : f32[1000,42,56]
%9 = tanh %8 : f32[1000,42,56]
output "o" %9
`, map[string][]int{"x": {1000, 42, 56}, "m": {1000, 42, 1}, "r": {1000, 42, 1}, "w": {56}, "c": {56}}},
		{"bias", `%0 = input "x" : f32[1663,8,64]
%1 = input "y" : f32[64]
%2 = add %0 %1 : f32[1663,8,64]
output "o" %2
`, map[string][]int{"x": {1663, 8, 64}, "y": {64}}},
		{"scores", `%0 = input "x" : f32[2000,8,32,32]
%1 = input "m" : f32[32,32]
%2 = scale 0.125 %0 : f32[2000,8,32,32]
%3 = add %2 %1 : f32[2000,8,32,32]
%4 = softmax %3 : f32[2000,8,32,32]
output "o" %4
`, map[string][]int{"x": {2000, 8, 32, 32}, "m": {32, 32}}},
		{"add9", `%0 = input "x" : f32[9971,42,56]
%1 = input "y" : f32[9971,42,56]
%2 = add %0 %1 %0 %1 %0 %1 %0 %1 %0 : f32[9971,42,56]
output "o" %2
`, map[string][]int{"x": {9971, 42, 56}, "y": {9971, 42, 56}}},
	}
	for _, c := range cases {
		for _, nf := range []bool{false, true} {
			b.Run(c.name+map[bool]string{false: "/fused", true: "/unfused"}[nf], func(b *testing.B) {
				p, in := benchProgram(b, c.src, c.shapes)
				for b.Loop() {
					if _, _, err := (Fast{NoFusion: nf}).Run(p, in, tensor.Float32); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkRowReductions: a layer norm's mean and squared norm over rows of
// 56 (day 4b's [batch, seq, hidden]), latency-bound one row at a time.
func BenchmarkRowReductions(b *testing.B) {
	for _, c := range []struct{ name, src string }{
		{"sum", `%0 = input "x" : f32[1000,42,56]
%1 = einsum "abc->ab" %0 : f32[1000,42]
output "o" %1
`},
		{"dot", `%0 = input "x" : f32[1000,42,56]
%1 = einsum "abc,abc->ab" %0 %0 : f32[1000,42]
output "o" %1
`},
	} {
		b.Run(c.name, func(b *testing.B) {
			p, in := benchProgram(b, c.src, map[string][]int{"x": {1000, 42, 56}})
			for b.Loop() {
				if _, _, err := (Fast{}).Run(p, in, tensor.Float32); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
