package bench

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	crt "github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/transformer"
)

// The shapes of bench/transformer_torch.py: GPT-2 small on 8×128 tokens;
// the ablation sweep on 1×32 tokens (145 full-size variants of 8×128 do
// not fit a 2-core budget).
const (
	gpt2Batch, gpt2Seq         = 8, 128
	ablationBatch, ablationSeq = 1, 32
)

func gpt2Small(b *testing.B, batch, seq int) (*transformer.Model, *tensor.Tensor) {
	b.Helper()
	m, err := transformer.Random(transformer.Small, 1)
	if err != nil {
		b.Fatal(err)
	}
	toks, err := GPT2Tokens(batch, seq, m.Config.Vocab, 2)
	if err != nil {
		b.Fatal(err)
	}
	return m, toks
}

// reportRun adds GFLOP/s and peak bytes of the last run.
func reportRun(b *testing.B, st *crt.Stats, elapsed time.Duration) {
	b.ReportMetric(float64(st.TotalFLOPs)/elapsed.Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(float64(st.PeakBytes)/(1<<20), "peak-MiB")
}

// BenchmarkGPT2SmallForward is Plan.Run of GPT-2 small (random weights) on
// 8×128 tokens.
func BenchmarkGPT2SmallForward(b *testing.B) {
	m, toks := gpt2Small(b, gpt2Batch, gpt2Seq)
	c, err := transformer.BindTokens(m, toks, transformer.BindOptions{})
	if err != nil {
		b.Fatal(err)
	}
	plan, err := circopt.Compile([]circuit.Circuit{c}, circopt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var st *crt.Stats
	start := time.Now()
	for range b.N {
		if _, st, err = plan.Run(nil); err != nil {
			b.Fatal(err)
		}
	}
	reportRun(b, st, time.Since(start)/time.Duration(b.N))
}

// BenchmarkGPT2SmallBindCompile binds GPT-2 small to 8×128 tokens and
// compiles it (the weights are already in memory).
func BenchmarkGPT2SmallBindCompile(b *testing.B) {
	m, toks := gpt2Small(b, gpt2Batch, gpt2Seq)
	b.ResetTimer()
	for range b.N {
		c, err := transformer.BindTokens(m, toks, transformer.BindOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := circopt.Compile([]circuit.Circuit{c}, circopt.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGPT2SmallImportCompile imports a GPT-2 small state dict from a
// safetensors file, binds it to 8×128 tokens and compiles it: what
// `circopt import` and a first evaluation pay.
func BenchmarkGPT2SmallImportCompile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "model.safetensors")
	if err := WriteGPT2SafeTensors(path, transformer.Small, 1); err != nil {
		b.Fatal(err)
	}
	toks, err := GPT2Tokens(gpt2Batch, gpt2Seq, transformer.Small.Vocab, 2)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		m, err := transformer.ImportGPT2(path, transformer.ImportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		c, err := transformer.BindTokens(m, toks, transformer.BindOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := circopt.Compile([]circuit.Circuit{c}, circopt.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// The benchmark's state dict imports as the model it describes.
func TestWriteGPT2SafeTensors(t *testing.T) {
	cfg := transformer.Config{Layers: 2, Hidden: 16, Heads: 4, Vocab: 11, Ctx: 8, LNEps: 1e-5}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := WriteGPT2SafeTensors(path, cfg, 1); err != nil {
		t.Fatal(err)
	}
	m, err := transformer.ImportGPT2(path, transformer.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Config != cfg {
		t.Errorf("config %+v, want %+v", m.Config, cfg)
	}
	if v := m.Weights["a1.w.k"].Float32s()[5]; v == 0 || v > 0.2 || v < -0.2 {
		t.Errorf("weight %g is not a draw of std 0.02", v)
	}
}

// BenchmarkGPT2SmallHeadAblation ablates each of the 144 heads in turn
// (145 variants with the unablated one) through one compiled plan.
func BenchmarkGPT2SmallHeadAblation(b *testing.B) {
	m, toks := gpt2Small(b, ablationBatch, ablationSeq)
	cs, err := HeadAblations(m, toks)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	plan, err := circopt.Compile(cs, circopt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	compile := time.Since(t0)
	b.ResetTimer()
	var st *crt.Stats
	start := time.Now()
	for range b.N {
		if _, st, err = plan.Run(nil); err != nil {
			b.Fatal(err)
		}
	}
	reportRun(b, st, time.Since(start)/time.Duration(b.N))
	b.ReportMetric(compile.Seconds(), "compile-s") // after ResetTimer, which drops metrics
}

// The sweep's plan computes what one evaluation per variant computes.
func TestHeadAblationsMatchOneByOne(t *testing.T) {
	cfg := transformer.Config{Layers: 2, Hidden: 16, Heads: 2, Vocab: 11, Ctx: 8, LNEps: 1e-5}
	m, err := transformer.Random(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	toks, err := GPT2Tokens(1, 6, cfg.Vocab, 4)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := HeadAblations(m, toks)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1+cfg.Layers*cfg.Heads {
		t.Fatalf("%d variants, want %d", len(cs), 1+cfg.Layers*cfg.Heads)
	}
	got, err := circopt.EvaluateMany(cs, nil, circopt.Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		want, err := circuit.Evaluate(c, circuit.EvalOptions{DType: tensor.Float64})
		if err != nil {
			t.Fatal(err)
		}
		if abs, _, _ := tensor.Compare(got[i].Cast(tensor.Float64), want); abs > 1e-4 {
			t.Errorf("variant %d: off by %g", i, abs)
		}
		if i > 0 {
			if abs, _, _ := tensor.Compare(want, got[0].Cast(tensor.Float64)); abs == 0 {
				t.Errorf("variant %d: ablating a head changed nothing", i)
			}
		}
	}
}
