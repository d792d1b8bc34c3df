package scrub

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/transformer"
)

func loadDay4a(b testing.TB, hypothesis string) *Experiment {
	b.Helper()
	model, ds := day4a(b)
	h, err := LoadHypothesis("../examples/day4a/" + hypothesis)
	if err != nil {
		b.Fatal(err)
	}
	corr, err := h.Correspondence(ds)
	if err != nil {
		b.Fatal(err)
	}
	ex, err := NewExperiment(model, ds, corr)
	if err != nil {
		b.Fatal(err)
	}
	return ex
}

// BenchmarkDay4a10k: sample, build and run the day 4a hypothesis on 10,000
// reference examples (original, scrubbed and random in one compiled run):
// one whole scrub, timed against testdata/scrub/scrub_torch.py's
// "sample+eval". The plan is compiled on the first iteration only: every
// seed gives a batch of the same shape.
func BenchmarkDay4a10k(b *testing.B) {
	benchScrubs(b, loadDay4a(b, "hypothesis.json"), 10000)
}

// benchScrubs times whole scrubs of n samples: sample (seed i at
// iteration i) and run.
func benchScrubs(b *testing.B, ex *Experiment, n int) {
	cpu := startCPU(b)
	for i := 0; b.Loop(); i++ {
		s, err := ex.Sample(n, uint64(i))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ex.Run(s, RunOptions{}); err != nil {
			b.Fatal(err)
		}
		s.Release() // a loop of scrubs draws into the last one's vectors
	}
	cpu.report(b)
}

// benchRuns times runs on fixed samples.
func benchRuns(b *testing.B, ex *Experiment, s *Samples) {
	cpu := startCPU(b)
	for b.Loop() {
		if _, err := ex.Run(s, RunOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// cpuClock reports the process's CPU time per op (user+system, every
// thread): on a machine shared with other work, wall time mostly measures
// the wait for a core, CPU time the work done.
type cpuClock time.Duration

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU(b *testing.B) cpuClock { return cpuClock(processCPU(b)) }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(processCPU(b)-time.Duration(c))/1e6/float64(b.N), "cpu-ms/op")
}

// BenchmarkDay4a10kParts times a scrub's parts: drawing the samples; the
// evaluation given them (gather, build, run: scrub_torch.py's "eval"); and
// a cold scrub that also compiles, as `circopt scrub` does once per run.
func BenchmarkDay4a10kParts(b *testing.B) {
	ex := loadDay4a(b, "hypothesis.json")
	b.Run("sample", func(b *testing.B) {
		cpu := startCPU(b)
		for i := 0; b.Loop(); i++ {
			s, err := ex.Sample(10000, uint64(i))
			if err != nil {
				b.Fatal(err)
			}
			s.Release()
		}
		cpu.report(b)
	})
	s, err := ex.Sample(10000, 5)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("eval", func(b *testing.B) { benchRuns(b, ex, s) })
	// the same without elementwise fusion, for the fusion figure
	b.Run("eval-unfused", func(b *testing.B) {
		runtime.Use(runtime.Fast{NoFusion: true})
		defer runtime.Use(nil)
		benchRuns(b, ex, s)
	})
	b.Run("cold", func(b *testing.B) {
		cpu := startCPU(b)
		for b.Loop() {
			forgetTreeifications() // cold: treeify as a fresh process would
			fresh := loadDay4a(b, "hypothesis.json")
			if _, err := fresh.Run(s, RunOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	})
}

// branchesModel is loss = (sum_k sum_h relu(w_k[h] xs[k]) - labels)^2 over
// 20 branches named b0..b19, each reading its own element of xs.
func branchesModel(b testing.TB) circuit.Circuit {
	b.Helper()
	var sb strings.Builder
	sb.WriteString("'sum' Add\n")
	for k := range 20 {
		fmt.Fprintf(&sb, "  'b%d' Einsum h->\n    'relu%d' GeneralFunction relu\n      'h%d' Einsum ,h->h\n", k, k, k)
		if k == 0 {
			fmt.Fprintf(&sb, "        'x%d' [] Index [%d]\n          'xs' [20] Symbol\n", k, k)
		} else {
			fmt.Fprintf(&sb, "        'x%d' [] Index [%d]\n          'xs'\n", k, k)
		}
		fmt.Fprintf(&sb, "        'w%d' [256] Array rand\n", k)
	}
	return parseModel(b, sb.String())
}

func branchesData(b testing.TB) *Dataset {
	b.Helper()
	n := 2000
	xs := make([]float64, n*20)
	ls := make([]float64, n)
	rng := NewRand(3)
	for i := range xs {
		xs[i] = float64(rng.IntN(10))
	}
	xt, _ := tensor.FromFloat64([]int{n, 20}, xs)
	lt, _ := tensor.FromFloat64([]int{n}, ls)
	cols := map[string]*tensor.Tensor{"xs": xt, "labels": lt}
	for k := range 20 {
		c := make([]float64, n)
		for i := range c {
			c[i] = xs[i*20+k]
		}
		cols[fmt.Sprintf("x%d", k)], _ = tensor.FromFloat64([]int{n}, c)
	}
	ds, err := NewDataset(cols)
	if err != nil {
		b.Fatal(err)
	}
	return ds
}

// BenchmarkInterpNodes compares a hypothesis of 2 interp nodes with ones of
// 20 on a 20-branch model: cost follows the distinct sampled inputs, so 20
// exact nodes cost what 2 do, and 20 nodes that each draw their own datum
// cost 19 more gathers, not 19 more copies of the model.
func BenchmarkInterpNodes(b *testing.B) {
	model := branchesModel(b)
	ds := branchesData(b)
	build := func(nodes int, cond func(k int) Sampler) *Experiment {
		root := NewInterpNode("root", ExactSampler{}, nil)
		c := NewCorrespondence()
		if err := c.Add(root, RootMatcher()); err != nil {
			b.Fatal(err)
		}
		for k := range nodes - 1 {
			n := root.MakeDescendant(fmt.Sprintf("b%d'", k), cond(k), nil)
			if err := c.Add(n, pm(b, fmt.Sprintf("'b%d'", k))); err != nil {
				b.Fatal(err)
			}
		}
		ex, err := NewExperiment(model, ds, c)
		if err != nil {
			b.Fatal(err)
		}
		return ex
	}
	agree := func(k int) Sampler { return AgreeOn(fmt.Sprintf("x%d", k)) }
	exact := func(int) Sampler { return ExactSampler{} }
	for _, tc := range []struct {
		name string
		ex   *Experiment
	}{
		{"nodes=2", build(2, agree)},
		{"nodes=20/exact", build(20, exact)},
		{"nodes=20/agree", build(20, agree)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cpu := startCPU(b)
			defer cpu.report(b)
			for i := 0; b.Loop(); i++ {
				s, err := tc.ex.Sample(500, uint64(i))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tc.ex.Run(s, RunOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchGPT is the model of BenchmarkTransformerHeads and of
// testdata/scrub/scrub_transformer_torch.py: random, 2 layers, 4 heads.
var benchGPT = transformer.Config{Layers: 2, Hidden: 64, Heads: 4, Vocab: 32, Ctx: 8, LNEps: 1e-5}

// benchHeads is the benchmark's experiment: 2000 sequences, and the
// hypothesis that each head of the last layer reads only one token (head h
// agrees on token h), everything else kept.
func benchHeads(b testing.TB) (*transformer.Model, *Dataset, *Experiment) {
	m, model := transformerScrubModel(b, benchGPT)
	ds := transformerDataset(b, m, 2000, benchGPT.Vocab)
	return m, ds, headsExperiment(b, model, ds, benchGPT, func(h int) string { return fmt.Sprintf(`["tok%d"]`, h) })
}

// BenchmarkTransformerHeads: a whole scrub of 500 reference sequences
// (sample, gather, run), and the evaluation given the samples.
func BenchmarkTransformerHeads(b *testing.B) {
	_, _, ex := benchHeads(b)
	b.Run("scrub", func(b *testing.B) { benchScrubs(b, ex, 500) })
	s, err := ex.Sample(500, 5)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("eval", func(b *testing.B) { benchRuns(b, ex, s) })
	// the same without elementwise fusion, for the fusion figure
	b.Run("eval-unfused", func(b *testing.B) {
		runtime.Use(runtime.Fast{NoFusion: true})
		defer runtime.Use(nil)
		benchRuns(b, ex, s)
	})
}

// TestWriteTransformerFixture writes, when SCRUB_TORCH_FIXTURE names a
// directory, what scrub_transformer_torch.py reads: the benchmark's weights
// (model.npz), dataset (data.npz), the draws for seed 5 (samples.npz) and
// circopt's float32 result on them (circopt.json).
func TestWriteTransformerFixture(t *testing.T) {
	dir := os.Getenv("SCRUB_TORCH_FIXTURE")
	if dir == "" {
		t.Skip("SCRUB_TORCH_FIXTURE not set")
	}
	m, ds, ex := benchHeads(t)
	if err := WriteNpz(filepath.Join(dir, "model.npz"), m.Weights); err != nil {
		t.Fatal(err)
	}
	arrays := map[string]*tensor.Tensor{}
	for _, n := range ds.Names() {
		arrays[n], _ = ds.Array(n)
	}
	if err := WriteNpz(filepath.Join(dir, "data.npz"), arrays); err != nil {
		t.Fatal(err)
	}
	s, err := ex.Sample(500, 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := ex.DumpSamples(filepath.Join(dir, "samples.npz"), s); err != nil {
		t.Fatal(err)
	}
	r, err := ex.Run(s, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "circopt.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkEvalWays times Run's two evaluations forced, on fixed samples,
// for the work rule (unioncost.go): day 4a (10,000 of 10,000 rows) and
// the transformer heads (500 of 2000). "union-cold" compiles the union
// plan each time, as a scrub with new samples does.
func BenchmarkEvalWays(b *testing.B) {
	ex4a := loadDay4a(b, "hypothesis.json")
	s4a, err := ex4a.Sample(10000, 5)
	if err != nil {
		b.Fatal(err)
	}
	_, _, heads := benchHeads(b)
	sh, err := heads.Sample(500, 5)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ex   *Experiment
		s    *Samples
	}{{"day4a", ex4a, s4a}, {"heads", heads, sh}} {
		for _, way := range []struct {
			name string
			way  evalWay
		}{{"direct", wayDirect}, {"union", wayUnion}} {
			b.Run(tc.name+"/"+way.name, func(b *testing.B) {
				tc.ex.way = way.way
				defer func() { tc.ex.way = wayAuto }()
				benchRuns(b, tc.ex, tc.s)
			})
		}
		b.Run(tc.name+"/union-cold", func(b *testing.B) {
			tc.ex.way = wayUnion
			defer func() { tc.ex.way = wayAuto }()
			cpu := startCPU(b)
			for b.Loop() {
				clear(tc.ex.unionPlans)
				if _, err := tc.ex.Run(tc.s, RunOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}

// BenchmarkUnionBuild: building the heads scrub's union circuits and bindings
// for new samples, from scratch (fresh) and from the memo another set of
// samples with the same vector pattern left (memo).
func BenchmarkUnionBuild(b *testing.B) {
	_, _, ex := benchHeads(b)
	s1, _ := ex.Sample(500, 5)
	s2, _ := ex.Sample(500, 6)
	ex.way = wayUnion
	ex.Run(s1, RunOptions{})
	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			u, err := newUnion([]Job{{ex, s2}})
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := u.circuits(tensor.Float32); err != nil {
				b.Fatal(err)
			}
			u.recycle()
		}
	})
	b.Run("memo", func(b *testing.B) {
		for b.Loop() {
			u, key, err := ex.unionFor(s2)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := u.circuits(tensor.Float32); err != nil {
				b.Fatal(err)
			}
			u.recycle()
			ex.keepUnion(key, u)
		}
	})
}
