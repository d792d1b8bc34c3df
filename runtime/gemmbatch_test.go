package runtime

import (
	"math/rand/v2"
	goruntime "runtime"
	"strings"
	"sync/atomic"
	"testing"

	cblas "github.com/circopt/circopt/blas"
	"github.com/circopt/circopt/tensor"
)

// TestBatchedGemmsMatchLoop: loops of small GEMMs give the same bits
// through the BLAS's batched call as through one GEMM call per loop index
// (forcedBatch), on the attention products of the heads scrub and day 4b
// and on random small contractions (both dtypes, both result placements,
// the result computed as Cᵀ = Bᵀ·Aᵀ or not), on one goroutine and on
// several; and the batched path did run.
func TestBatchedGemmsMatchLoop(t *testing.T) {
	simdBLAS, err := cblas.ByName("simd")
	if err != nil {
		t.Fatal(err)
	}
	type tc struct {
		spec      string
		a, b, out []int
		dt        tensor.DType
	}
	cases := []tc{
		{"abcd,abed->abce", []int{1663, 4, 8, 16}, []int{1663, 4, 8, 16}, []int{1663, 4, 8, 8}, tensor.Float32},
		{"abcd,abde->abce", []int{1663, 4, 8, 8}, []int{1663, 4, 8, 16}, []int{1663, 4, 8, 16}, tensor.Float32},
		{"abc,adc->abd", []int{997, 42, 28}, []int{997, 42, 28}, []int{997, 42, 42}, tensor.Float32},
		{"abc,acd->abd", []int{997, 42, 42}, []int{997, 42, 28}, []int{997, 42, 28}, tensor.Float32},
		{"bhqd,bhkd->bhqk", []int{50, 4, 8, 16}, []int{50, 4, 8, 16}, []int{50, 4, 8, 8}, tensor.Float64},
	}
	specs := []string{"bmk,bkn->bmn", "bkm,bnk->bnm", "bmk,bnk->bmn", "mbk,kbn->bmn", "bmk,bkn->bnm",
		"abmk,abkn->bamn", "xsd,dhe->xhse", "bhqk,bhkd->bqhd", "abc,cde->adbe", "bmk,kn->mbn"}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 40 {
		spec := specs[i%len(specs)]
		lhs, rhs, _ := strings.Cut(spec, "->")
		terms := strings.Split(lhs, ",")
		size := map[byte]int{}
		dims := func(term string) []int {
			var d []int
			for j := 0; j < len(term); j++ {
				if size[term[j]] == 0 {
					size[term[j]] = 1 + rng.IntN(12)
				}
				d = append(d, size[term[j]])
			}
			return d
		}
		a, b := dims(terms[0]), dims(terms[1])
		cases = append(cases, tc{spec, a, b, dims(rhs), []tensor.DType{tensor.Float32, tensor.Float64}[i%2]})
	}
	var batches atomic.Int64
	batchHook = func(int) { batches.Add(1) }
	defer func(p int, f int) { goruntime.GOMAXPROCS(p); forcedBatch, batchHook = f, nil }(goruntime.GOMAXPROCS(0), forcedBatch)
	for _, c := range cases {
		ty := map[tensor.DType]string{tensor.Float32: "f32", tensor.Float64: "f64"}[c.dt]
		p := program(t, einsumSrc(c.spec, ty, c.a, c.b, c.out))
		in := randInputs(p, 9)
		var first *tensor.Tensor
		for _, procs := range []int{1, 4} {
			goruntime.GOMAXPROCS(procs)
			for _, mode := range []int{batchOff, batchAuto} {
				forcedBatch = mode
				out, _, err := Fast{BLAS: simdBLAS}.Run(p, in, c.dt)
				if err != nil {
					t.Fatalf("%s: %v", c.spec, err)
				}
				got := out["o"]
				if first == nil {
					first = got
					continue
				}
				if !sameBits(first, got) {
					t.Fatalf("%s %v×%v %s, %d procs, batch mode %d: differs from the one-call-per-index loop on 1", c.spec, c.a, c.b, ty, procs, mode)
				}
			}
		}
	}
	if batches.Load() == 0 {
		t.Error("no batched GEMM call ran")
	}
}
