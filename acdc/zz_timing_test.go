package acdc

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/transformer"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestTimingTmp(t *testing.T) {
	cfg := transformer.Config{Layers: 2, Hidden: 256, Heads: 8, Vocab: 2048, Ctx: 64, LNEps: 1e-5}
	m, err := transformer.Random(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := make([]int64, 16)
	x := make([]int64, 16)
	for i := range c {
		c[i] = int64(i*37) % 2048
		x[i] = int64(i*91+5) % 2048
	}
	ct, _ := tensor.FromInt64([]int{16}, c)
	xt, _ := tensor.FromInt64([]int{16}, x)
	for range 4 {
		st, c0 := time.Now(), cpuNow()
		res, err := Run(context.Background(), m, ct, xt, Options{Metric: KL, Threshold: 1e-4})
		if err != nil {
			t.Fatal(err)
		}
		d := time.Since(st)
		t.Logf("%v cpu %v evals %d kept %d  %.1f evals/s pruned %g", d, cpuNow()-c0, res.Evaluations, len(res.Edges), float64(res.Evaluations)/d.Seconds(), res.Pruned)
	}
}
