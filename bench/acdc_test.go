package bench

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/circopt/circopt/acdc"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/transformer"
	"github.com/circopt/circopt/weights"
)

// acdcConfig is the model of the ACDC benchmark and of
// testdata/acdc/acdc_torch.py: 2 layers, 8 heads, random GPT-2 weights.
var acdcConfig = transformer.Config{Layers: 2, Hidden: 256, Heads: 8, Vocab: 2048, Ctx: 64, LNEps: 1e-5}

// acdcSeq is the benchmark's token count and acdcThreshold its KL threshold.
const (
	acdcSeq       = 16
	acdcThreshold = 1e-4
)

// acdcInputs are the benchmark's model and clean and corrupt tokens;
// warm are other tokens of the same length.
func acdcInputs(b *testing.B) (m *transformer.Model, clean, corrupt, warm *tensor.Tensor) {
	m, err := transformer.Random(acdcConfig, 1)
	if err != nil {
		b.Fatal(err)
	}
	ts := make([]*tensor.Tensor, 3)
	for i := range ts {
		t, err := GPT2Tokens(1, acdcSeq, acdcConfig.Vocab, uint64(i+2))
		if err != nil {
			b.Fatal(err)
		}
		if ts[i], err = t.Reshape([]int{acdcSeq}); err != nil {
			b.Fatal(err)
		}
	}
	return m, ts[0], ts[1], ts[2]
}

// BenchmarkACDC is one full ACDC pass (KL metric) on a random 2-layer,
// 8-head model, compiling its plans (acdc.Run); it reports evaluations per
// second.
func BenchmarkACDC(b *testing.B) {
	m, c, x, _ := acdcInputs(b)
	benchACDC(b, func() (*acdc.Result, error) {
		return acdc.Run(context.Background(), acdc.FromTransformer(m), c, x, acdcOptions)
	})
}

// BenchmarkACDCWarm is the same pass on a Discoverer that already ran once
// on other tokens of the same length: its plans are compiled.
func BenchmarkACDCWarm(b *testing.B) {
	m, c, x, w := acdcInputs(b)
	d, err := acdc.New(acdc.FromTransformer(m), acdcOptions)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := d.Run(context.Background(), w, x); err != nil {
		b.Fatal(err)
	}
	benchACDC(b, func() (*acdc.Result, error) { return d.Run(context.Background(), c, x) })
}

var acdcOptions = acdc.Options{Metric: acdc.KL, Threshold: acdcThreshold, DType: tensor.Float32}

// benchACDC reports evaluations per second of wall time and of the
// process's CPU time (all threads; steadier than wall time on a shared
// machine).
func benchACDC(b *testing.B, run func() (*acdc.Result, error)) {
	b.ResetTimer()
	evals := 0
	start, cpu := time.Now(), cpuTime(b)
	var res *acdc.Result
	var err error
	for range b.N {
		if res, err = run(); err != nil {
			b.Fatal(err)
		}
		evals += res.Evaluations
	}
	b.ReportMetric(float64(evals)/time.Since(start).Seconds(), "evals/s")
	b.ReportMetric(float64(evals)/(cpuTime(b)-cpu).Seconds(), "evals/cpu-s")
	b.ReportMetric(float64(res.Evaluations), "evals/op")
	b.ReportMetric(float64(len(res.Edges)), "edges-kept")
}

// cpuTime is the process's user plus system time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// acdcInductionThreshold is the KL threshold of the induction benchmark
// (testdata/acdc/acdc_torch.py -model induction uses the same).
const acdcInductionThreshold = 0.01

// BenchmarkACDCInduction is ACDC (KL, q/k/v receivers) on the trained
// 2-layer attention-only model of examples/day3, on the tokens
// testdata/acdc/acdc_torch.py wrote (BOS + 10 tokens twice, the corrupt
// run's first occurrence replaced), with a Discoverer whose plans one
// earlier run on the warm-up pair compiled; it skips without the model.
func BenchmarkACDCInduction(b *testing.B) {
	dir := filepath.Join("..", "examples", "day3")
	if _, err := os.Stat(filepath.Join(dir, "store")); err != nil {
		b.Skipf("the trained induction model is absent: %v", err)
	}
	m, err := acdc.LoadFile(filepath.Join(dir, "model.circ"), filepath.Join(dir, "store"))
	if err != nil {
		b.Fatal(err)
	}
	ts := map[string]*tensor.Tensor{}
	for _, n := range []string{"clean", "corrupt", "warm", "warm_corrupt"} {
		if ts[n], err = weights.LoadNpy(filepath.Join("..", "testdata", "acdc", "induction_"+n+".npy")); err != nil {
			b.Fatal(err)
		}
	}
	d, err := acdc.New(m, acdc.Options{Metric: acdc.KL, Threshold: acdcInductionThreshold, DType: tensor.Float32})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := d.Run(context.Background(), ts["warm"], ts["warm_corrupt"]); err != nil {
		b.Fatal(err)
	}
	benchACDC(b, func() (*acdc.Result, error) { return d.Run(context.Background(), ts["clean"], ts["corrupt"]) })
}
