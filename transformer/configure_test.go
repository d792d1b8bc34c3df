package transformer

import (
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/modlib"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// Splitting heads and positions adds the named nodes and changes no value.
func TestSplitKeepsValues(t *testing.T) {
	m := loadTiny(t)
	tokens := loadNpy(t, "tokens.npy")
	plain, err := BindTokens(m, tokens, BindOptions{})
	if err != nil {
		t.Fatal(err)
	}
	split, err := BindTokens(m, tokens, BindOptions{ConfigureOptions: ConfigureOptions{SplitHeads: true, SplitPositions: true}})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	circuit.Walk([]circuit.Circuit{split}, func(c circuit.Circuit) { names[c.Name()] = true })
	for _, n := range []string{"a0.h0", "a1.h3", "m1", "b1", "t.input", "t.input.p15", "final.norm", "a1.norm", "m0.p_bias", "a0.w.q"} {
		if !names[n] {
			t.Errorf("split circuit has no node %q", n)
		}
	}
	if names["a1.h4"] || names["t.input.p16"] {
		t.Errorf("split circuit has a head or position too many")
	}
	want, err := circuit.Evaluate(plain, circuit.EvalOptions{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	naive, compiled := evalBoth(t, split)
	if abs, _, _ := tensor.Compare(naive, want); abs > 1e-10 {
		t.Errorf("splitting changed the logits by %g", abs)
	}
	near(t, "compiled split", compiled, want)
}

// The dumped model file loads through the module library and binds to the
// same logits as the in-memory model; acdc reads the weights back.
func TestDumpLoadRoundTrip(t *testing.T) {
	m := loadTiny(t)
	text, err := m.Dump()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`# info:{"params": {"block_params": {"norm_type": "ln", "attn_bias": true, "attn_pos": false, "use_mlp": true, "mlp_act_type": "gelu_new", "mlp_output_bias": true}, "num_layers": 2, "use_norm_output": true, "output_bias": false}, "model_class": "GPT", "pos_enc_type": "gpt", "causal_mask": true, "extra": null}` + "\n",
		"\n't.w.tok_embeds' [101,64] Array ",
		"\n't.bind_w' Module\n  't.logits'\n",
		"\n  'a1.w.q_arr' [4,16,64] Array ",
		" ! 'a1.w.q' [4s,7s,0s] Symbol ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("dump lacks %q", want)
		}
	}
	store := memStoreT{}
	for _, w := range m.Weights {
		store[tensor.ContentHashHex(w)] = w
	}
	l, err := Load(text, circuit.ParseOptions{File: "tiny.circ", Store: store})
	if err != nil {
		t.Fatal(err)
	}
	tokens := loadNpy(t, "tokens.npy")
	fromFile, err := Bind(l, tokens, BindOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inMemory, err := BindTokens(m, tokens, BindOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fromFile.Hash() != inMemory.Hash() {
		t.Errorf("the model file binds to a different circuit than the model")
	}
	parsed, err := circuit.ParseCircuits(text, circuit.ParseOptions{Store: store, References: libCircs(t, m)})
	if err != nil {
		t.Fatal(err)
	}
	back, err := FromCircuits(parsed, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	if back.Config != m.Config {
		t.Errorf("config %+v, want %+v", back.Config, m.Config)
	}
	if !maps.EqualFunc(back.Weights, m.Weights, func(a, b *tensor.Tensor) bool {
		return tensor.ContentHashHex(a) == tensor.ContentHashHex(b)
	}) {
		t.Errorf("weights changed in the round trip")
	}
}

func libCircs(t *testing.T, m *Model) map[string]circuit.Circuit {
	t.Helper()
	lib, err := modlib.Build(m.Config.Info().Params)
	if err != nil {
		t.Fatal(err)
	}
	return lib.Circs
}

func TestBadInput(t *testing.T) {
	m := loadTiny(t)
	hf := tinyStateDict(t)
	for _, tc := range []struct {
		what  string
		edit  func(map[string]*tensor.Tensor)
		heads int
		want  string
	}{
		{"missing", func(sd map[string]*tensor.Tensor) { delete(sd, "h.1.mlp.c_fc.bias") }, 4, `no tensor "h.1.mlp.c_fc.bias"`},
		{"misshaped", func(sd map[string]*tensor.Tensor) { sd["h.0.attn.c_proj.weight"] = zeros(t, 64, 63) }, 4, `"h.0.attn.c_proj.weight" has shape [64 63], want [64 64]`},
		{"heads", func(map[string]*tensor.Tensor) {}, 5, "head count 5 does not divide the hidden size 64"},
	} {
		sd := maps.Clone(hf)
		tc.edit(sd)
		_, err := FromStateDict(sd, tc.heads, 1e-5)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", tc.what, err, tc.want)
		}
	}
	for _, tc := range []struct {
		shape []int
		ids   []int64
		want  string
	}{
		{[]int{2, 2}, []int64{1, 2, 3, 101}, "token id 101 at position [1, 1] is outside the vocabulary of 101"},
		{[]int{1}, []int64{-1}, "token id -1 at position 0"},
		{[]int{33}, make([]int64, 33), "sequence of 33 tokens is longer than the positional table (32 positions)"},
	} {
		toks, err := tensor.FromInt64(tc.shape, tc.ids)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := BindTokens(m, toks, BindOptions{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("tokens %v: error %v, want %q", tc.ids, err, tc.want)
		}
	}
}

// memStoreT resolves tensor hashes from memory.
type memStoreT map[string]*tensor.Tensor

func (s memStoreT) Resolve(prefix string) (*tensor.Tensor, string, error) {
	for h, v := range s {
		if strings.HasPrefix(h, prefix) {
			return v, h, nil
		}
	}
	return nil, "", fmt.Errorf("no tensor %s", prefix)
}

func tinyStateDict(t *testing.T) map[string]*tensor.Tensor {
	t.Helper()
	sd, err := weights.Load(filepath.Join(testdata, "tiny.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*tensor.Tensor{}
	for k, v := range sd {
		out[strings.TrimPrefix(k, "transformer.")] = v // exercises the unprefixed layout
	}
	return out
}

func zeros(t *testing.T, shape ...int) *tensor.Tensor {
	t.Helper()
	z, err := tensor.Zeros(tensor.Float32, shape)
	if err != nil {
		t.Fatal(err)
	}
	return z
}
