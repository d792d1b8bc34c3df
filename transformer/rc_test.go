package transformer

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// rcDir is ../shared/rc beside the repo root, or $CIRCOPT_SHARED/rc.
func rcDir() string {
	if d := os.Getenv("CIRCOPT_SHARED"); d != "" {
		return filepath.Join(d, "rc")
	}
	return filepath.Join("..", "..", "shared", "rc")
}

// Every rust_circuit model file binds to tokens with random weights:
// logits [seq, vocab] (shortformer and gpt positions, causal and full
// masks, gelu and relu MLPs, output biases), split into heads with values
// unchanged, the compiled plan agreeing with the naive evaluator.
func TestRustCircuitModels(t *testing.T) {
	for _, tc := range []struct {
		file  string
		ids   []int64
		vocab int
	}{
		{"attention_only_2.circ", []int64{50256, 464, 3290, 318, 257}, 50259},
		{"jun9_paren_balancer.circ", []int64{0, 3, 3, 4, 4, 1}, 2},
		{"gelu_12_tied.circ", []int64{464, 2068, 7586, 21831}, 50257},
	} {
		t.Run(tc.file, func(t *testing.T) {
			if tc.file == "gelu_12_tied.circ" && testing.Short() {
				t.Skip("GPT-2 small's 500 MB of random weights; skipped with -short")
			}
			text, err := os.ReadFile(filepath.Join(rcDir(), tc.file))
			if err != nil {
				t.Skipf("rust_circuit model files absent (%v): needs ../shared/rc next to the repo", err)
			}
			l, err := Load(string(text), circuit.ParseOptions{File: tc.file, RandomTensors: true})
			if err != nil {
				t.Fatal(err)
			}
			toks, err := tensor.FromInt64([]int{len(tc.ids)}, tc.ids)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Bind(l, toks, BindOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if sh := c.Shape(); len(sh) != 2 || sh[0] != len(tc.ids) || sh[1] != tc.vocab {
				t.Fatalf("logits shape %v, want [%d %d]", sh, len(tc.ids), tc.vocab)
			}
			naive, compiled := evalBoth(t, c)
			// float32 against float64 on random weights of std 1: logits of tens
			scale := 1.0
			for _, v := range naive.Float64s() {
				scale = max(scale, math.Abs(v))
			}
			if abs, _, _ := tensor.Compare(compiled.Cast(tensor.Float64), naive); abs > 1e-5*scale {
				t.Errorf("compiled logits off by %g (largest logit %g)", abs, scale)
			}
			if testing.Short() || tc.file == "gelu_12_tied.circ" {
				return // the split's values are checked on the small models
			}
			split, err := Bind(l, toks, BindOptions{ConfigureOptions: ConfigureOptions{SplitHeads: true, SplitPositions: true}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := circuit.Evaluate(split, circuit.EvalOptions{DType: tensor.Float64})
			if err != nil {
				t.Fatal(err)
			}
			if abs, _, _ := tensor.Compare(got, naive); abs > 1e-9 {
				t.Errorf("splitting changed the logits by %g", abs)
			}
		})
	}
}
