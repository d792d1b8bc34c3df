package transformer

import (
	"path/filepath"
	"testing"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

var testdata = filepath.Join("..", "testdata", "gpt2")

func loadTiny(t testing.TB) *Model {
	t.Helper()
	m, err := ImportGPT2(filepath.Join(testdata, "tiny.safetensors"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func loadNpy(t testing.TB, name string) *tensor.Tensor {
	t.Helper()
	x, err := weights.LoadNpy(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// near checks got against want to 1e-4 (absolute and relative).
func near(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	abs, rel, err := tensor.Compare(got.Cast(tensor.Float64), want.Cast(tensor.Float64))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	t.Logf("%s: max abs err %.3g, max rel err %.3g", what, abs, rel)
	if abs > 1e-4 && rel > 1e-4 {
		t.Errorf("%s: max abs err %g, max rel err %g against PyTorch", what, abs, rel)
	}
}

func evalBoth(t *testing.T, c circuit.Circuit) (naive, compiled *tensor.Tensor) {
	t.Helper()
	naive, err := circuit.Evaluate(c, circuit.EvalOptions{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	compiled, err = circopt.Evaluate(c, nil, circopt.Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	return naive, compiled
}

func TestLogitsMatchPyTorch(t *testing.T) {
	m := loadTiny(t)
	if m.Config != (Config{Layers: 2, Hidden: 64, Heads: 4, Vocab: 101, Ctx: 32, LNEps: 1e-5}) {
		t.Fatalf("config %+v", m.Config)
	}
	tokens, want := loadNpy(t, "tokens.npy"), loadNpy(t, "logits.npy")
	c, err := BindTokens(m, tokens, BindOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "t.call" {
		t.Errorf("root is named %q, want t.call", c.Name())
	}
	naive, compiled := evalBoth(t, c)
	near(t, "naive", naive, want)
	near(t, "compiled", compiled, want)

	// One unbatched sequence gives that row of the batch.
	row, err := tokens.Select(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	c1, err := BindTokens(m, row.Contiguous(), BindOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantRow, _ := want.Select(0, 1)
	got, err := circuit.Evaluate(c1, circuit.EvalOptions{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "unbatched", got, wantRow.Contiguous())
}

func TestLossMatchesPyTorch(t *testing.T) {
	m := loadTiny(t)
	c, err := BindTokens(m, loadNpy(t, "tokens.npy"), BindOptions{Loss: true})
	if err != nil {
		t.Fatal(err)
	}
	naive, compiled := evalBoth(t, c)
	want := loadNpy(t, "loss.npy")
	near(t, "naive loss", naive, want)
	near(t, "compiled loss", compiled, want)
}
