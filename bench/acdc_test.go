package bench

import (
	"context"
	"testing"
	"time"

	"github.com/circopt/circopt/acdc"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/transformer"
)

// acdcConfig is the model of the ACDC benchmark and of
// testdata/acdc/acdc_torch.py: 2 layers, 8 heads, random GPT-2 weights.
var acdcConfig = transformer.Config{Layers: 2, Hidden: 256, Heads: 8, Vocab: 2048, Ctx: 64, LNEps: 1e-5}

// acdcSeq is the benchmark's token count and acdcThreshold its KL threshold.
const (
	acdcSeq       = 16
	acdcThreshold = 1e-4
)

// BenchmarkACDC is one full ACDC pass (KL metric) on a random 2-layer,
// 8-head model; it reports evaluations per second.
func BenchmarkACDC(b *testing.B) {
	m, err := transformer.Random(acdcConfig, 1)
	if err != nil {
		b.Fatal(err)
	}
	clean, err := GPT2Tokens(1, acdcSeq, acdcConfig.Vocab, 2)
	if err != nil {
		b.Fatal(err)
	}
	corrupt, err := GPT2Tokens(1, acdcSeq, acdcConfig.Vocab, 3)
	if err != nil {
		b.Fatal(err)
	}
	c, err := clean.Reshape([]int{acdcSeq})
	if err != nil {
		b.Fatal(err)
	}
	x, err := corrupt.Reshape([]int{acdcSeq})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	evals := 0
	start := time.Now()
	var res *acdc.Result
	for range b.N {
		if res, err = acdc.Run(context.Background(), m, c, x, acdc.Options{Metric: acdc.KL, Threshold: acdcThreshold, DType: tensor.Float32}); err != nil {
			b.Fatal(err)
		}
		evals += res.Evaluations
	}
	b.ReportMetric(float64(evals)/time.Since(start).Seconds(), "evals/s")
	b.ReportMetric(float64(res.Evaluations), "evals/op")
	b.ReportMetric(float64(len(res.Edges)), "edges-kept")
}
