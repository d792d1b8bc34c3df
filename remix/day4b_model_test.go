package remix

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// sharedDir is ../shared beside the repo root, or $CIRCOPT_SHARED.
func sharedDir() string {
	if d := os.Getenv("CIRCOPT_SHARED"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared")
}

// sharedJun9 is rust_circuit's jun9_paren_balancer.circ, outside the repo.
func sharedJun9(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(sharedDir(), "rc", "jun9_paren_balancer.circ"))
	if err != nil {
		t.Skipf("needs ../shared/rc next to the repo or $CIRCOPT_SHARED: %v", err)
	}
	return string(src)
}

func evalParen(t *testing.T, c circuit.Circuit, toks []int, label float64, dt tensor.DType) []float64 {
	t.Helper()
	lt, _ := tensor.FromFloat64(nil, []float64{label})
	v, err := circuit.Evaluate(c, circuit.EvalOptions{DType: dt, Bindings: map[string]*tensor.Tensor{
		ParenTokens: ParenOneHot(toks), ParenIsBalanced: lt}})
	if err != nil {
		t.Fatal(err)
	}
	return v.Float64s()
}

// The flattened, split circuit computes what rust_circuit's own module
// library computes from the same file (random weights in jun9's layout).
func TestBuildParenMatchesModuleLibrary(t *testing.T) {
	src := sharedJun9(t)
	m, err := ParseParenModel(src, circuit.ParseOptions{File: "jun9", RandomTensors: true, Seed: 3, DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := BuildParen(m.Weights)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"()", ")(", "(()())", "((((((((((((((((((((" + "))))))))))))))))))))", "())(()"} {
		toks, err := ParenTokenize(s)
		if err != nil {
			t.Fatal(err)
		}
		got := evalParen(t, pc.Logits, toks, 0, tensor.Float64)
		want, err := m.Logits(toks, tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-9*(1+math.Abs(want[i])) {
				t.Errorf("%q: logits %v, module library %v", s, got, want)
				break
			}
		}
		for _, label := range []float64{0, 1} {
			loss := evalParen(t, pc.Loss, toks, label, tensor.Float64)[0]
			d := got[1] - got[0]
			// binary cross-entropy with logits on the logit difference
			wantLoss := math.Max(d, 0) - d*label + math.Log1p(math.Exp(-math.Abs(d)))
			if math.Abs(loss-wantLoss) > 1e-9 {
				t.Errorf("%q label %v: loss %v, want %v", s, label, loss, wantLoss)
			}
		}
	}
}
