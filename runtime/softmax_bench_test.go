package runtime

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/circopt/circopt/ir"
)

// BenchmarkSoftmaxShortRows times float32 softmax and log_softmax over
// the last axis of attention-score shapes (rows of 8, 42 and 16: a
// transformer scrub's [batch, head, seq, seq]) through lastAxisT, the
// fast executor's kernel, on preallocated buffers; ns/row is per row.
//
//	go test ./runtime -run '^$' -bench SoftmaxShortRows -cpu 1
func BenchmarkSoftmaxShortRows(b *testing.B) {
	for _, shape := range [][]int{{1663, 4, 8, 8}, {1000, 8, 42, 42}, {500, 4, 16, 16}, {2000, 32, 256}} {
		n := 1
		for _, s := range shape {
			n *= s
		}
		d := shape[len(shape)-1]
		rng := rand.New(rand.NewPCG(1, 2))
		a := make([]float32, n)
		for i := range a {
			a[i] = float32(rng.NormFloat64() * 3)
		}
		offs := make([]int, n/d)
		for r := range offs {
			offs[r] = r * d
		}
		o := make([]float32, n)
		for _, op := range []ir.Op{ir.OpSoftmax, ir.OpLogSoftmax} {
			b.Run(fmt.Sprintf("%s/%v", op, shape), func(b *testing.B) {
				for b.Loop() {
					lastAxisT(op, offs, d, 1, a, o)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(offs)), "ns/row")
			})
		}
	}
}
