package modlib

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// rcDir is ../shared/rc beside the repo root, or $CIRCOPT_SHARED/rc.
func rcDir() string {
	if d := os.Getenv("CIRCOPT_SHARED"); d != "" {
		return filepath.Join(d, "rc")
	}
	return "../../shared/rc"
}

func loadRC(t *testing.T, name string) (TransformerInfo, []circuit.Circuit) {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(rcDir(), name))
	if err != nil {
		t.Skipf("rust_circuit model files absent (%v): needs ../shared/rc next to the repo", err)
	}
	info, cs, err := LoadModelString(string(text), circuit.ParseOptions{File: name, RandomTensors: true})
	if err != nil {
		t.Fatal(err)
	}
	return info, cs
}

func TestLoadSmallModels(t *testing.T) {
	for _, tc := range []struct {
		file  string
		shape string
	}{
		{"attention_only_2.circ", "[1s,50259]"},
		{"jun9_paren_balancer.circ", "[1s,2]"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, cs := loadRC(t, tc.file)
			if len(cs) == 0 {
				t.Fatal("no circuits")
			}
			var bind circuit.Circuit
			for _, c := range cs {
				if c.Name() == "t.bind_w" {
					bind = c
				}
			}
			if bind == nil {
				t.Fatal("no t.bind_w")
			}
			if got := circuit.FormatShape(bind.Shape(), nil); got != tc.shape {
				t.Errorf("t.bind_w shape %s, want %s", got, tc.shape)
			}
		})
	}
}

func TestUnknownBlockType(t *testing.T) {
	text := `# info:{"params": {"block_params": {"norm_type": "ln", "mlp_act_type": "swish"}, "num_layers": 1}}` + "\n'x' [1] Scalar 1\n"
	_, _, err := LoadModelString(text, circuit.ParseOptions{File: "m.circ"})
	if err == nil || !strings.HasPrefix(err.Error(), "m.circ:1: ") || !strings.Contains(err.Error(), "swish") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %v", err)
	}
}

func TestEvaluateSmallModels(t *testing.T) {
	for _, tc := range []struct {
		file  string
		vocab int
		pos   bool
	}{
		{"attention_only_2.circ", 50259, true},
		{"jun9_paren_balancer.circ", 2, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, cs := loadRC(t, tc.file)
			bind := cs[len(cs)-1]
			hidden := 0
			for _, c := range cs {
				if c.Name() == "t.w.tok_embeds" {
					hidden = c.Shape()[1]
				}
			}
			ins := map[string]*tensor.Tensor{"t.input": randn(t, []int{5, hidden}, 1), "a.mask": causalMask(5)}
			if tc.pos {
				ins["a.pos_input"] = randn(t, []int{5, hidden}, 2)
			}
			call, err := BindInputs(bind, ins)
			if err != nil {
				t.Fatal(err)
			}
			v, err := circuit.Evaluate(call, circuit.EvalOptions{DType: tensor.Float64})
			if err != nil {
				t.Fatal(err)
			}
			if got := v.Shape(); len(got) != 2 || got[0] != 5 || got[1] != tc.vocab {
				t.Fatalf("logits shape %v, want [5 %d]", got, tc.vocab)
			}
		})
	}
}

func causalMask(n int) *tensor.Tensor {
	m := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			m[i*n+j] = 1
		}
	}
	t, _ := tensor.FromFloat64([]int{n, n}, m)
	return t
}

func randn(t *testing.T, shape []int, seed uint64) *tensor.Tensor {
	x, err := tensor.RandN(tensor.Float64, shape, seed)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// Printing a loaded model and reading the print back gives the same text,
// but for the Array hashes, which random tensors redraw.
func TestPrintFixedPoint(t *testing.T) {
	hashes := regexp.MustCompile(`Array [0-9a-f]+`)
	for _, f := range []string{"attention_only_2.circ", "jun9_paren_balancer.circ"} {
		t.Run(f, func(t *testing.T) {
			_, cs := loadRC(t, f)
			p1 := circuit.PrintCircuits(cs, circuit.PrintOptions{})
			cs2, err := circuit.ParseCircuits(p1, circuit.ParseOptions{File: "print1", RandomTensors: true})
			if err != nil {
				t.Fatal(err)
			}
			p2 := circuit.PrintCircuits(cs2, circuit.PrintOptions{})
			if hashes.ReplaceAllString(p1, "Array H") != hashes.ReplaceAllString(p2, "Array H") {
				t.Errorf("print is not a fixed point")
			}
		})
	}
}

// The GPT-2-sized model: logits [5, 50257].
func TestEvaluateGelu12(t *testing.T) {
	if testing.Short() {
		t.Skip("gelu_12_tied is GPT-2 small; skipped with -short")
	}
	_, cs := loadRC(t, "gelu_12_tied.circ")
	call, err := BindInputs(cs[len(cs)-1], map[string]*tensor.Tensor{"t.input": randn(t, []int{5, 768}, 1), "a.mask": causalMask(5)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := circuit.Evaluate(call, circuit.EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Shape(); len(got) != 2 || got[0] != 5 || got[1] != 50257 {
		t.Fatalf("logits shape %v", got)
	}
}

// Per-layer weights get Python's random.Random(layer).getrandbits(128) in
// rust_circuit's argument order (uuids as in attention_only_2.circ and
// jun9_paren_balancer.circ).
func TestReboundUUIDs(t *testing.T) {
	p := DefaultParams()
	p.BlockParams.AttnBias = true
	p.BlockParams.MLPOutputBias = true
	p.NumLayers = 2
	lib, err := Build(p)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"m0.w.proj_in":  "e3e70682-c209-4cac-629f-6fbed82c07cd",
		"m0.ln.w.bias":  "e443df78-9558-867f-5ba9-1faf7a024204",
		"a0.w.q_bias":   "fcbd04c3-4021-2ef7-cca5-a5a19e4d6e3c",
		"a0.ln.w.scale": "85776e9a-dd84-f39e-7154-5a137a1d5006",
		"a1.ln.w.bias":  "8d88348a-7eed-8d14-f06d-3fef701966a0",
	} {
		var got *circuit.Symbol
		circuit.Walk([]circuit.Circuit{lib.Root}, func(c circuit.Circuit) {
			if m, ok := c.(*circuit.Module); ok {
				for _, a := range m.Args() {
					if s, ok := a.(*circuit.Symbol); ok && s.Name() == name {
						got = s
					}
				}
			}
		})
		if got == nil || got.UUID != want {
			t.Errorf("%s: %v, want uuid %s", name, got, want)
		}
	}
	if got := circuit.FormatShape(lib.Root.Shape(), nil); got != "[1s,10s]" {
		t.Errorf("t.logits_p_bias shape %s, want [1s,10s]", got)
	}
}
