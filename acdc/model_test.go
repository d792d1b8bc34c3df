package acdc

import (
	"strings"
	"testing"

	"github.com/circopt/circopt/modlib"
	"github.com/circopt/circopt/tensor"
)

// The # info: header decides the forward pass; what it cannot run is an
// error naming the field.
func TestArchOfInfo(t *testing.T) {
	for _, c := range []struct {
		js   string
		want Arch
		err  string
	}{
		{`{"params": {"block_params": {"norm_type": "ln", "attn_pos": true, "use_mlp": false, "mlp_act_type": "gelu"}, "num_layers": 2, "use_norm_output": true}, "pos_enc_type": "shortformer", "causal_mask": true}`,
			Arch{Shortformer: true, MLPAct: "gelu", FinalNorm: true, Causal: true}, ""},
		{`{"params": {"block_params": {"norm_type": "ln", "attn_bias": true, "use_mlp": true, "mlp_act_type": "gelu_new", "mlp_output_bias": true}, "num_layers": 2, "use_norm_output": true}, "pos_enc_type": "gpt", "causal_mask": true}`,
			gpt2, ""},
		{`{"params": {"block_params": {"norm_type": "bn", "mlp_act_type": "gelu"}}, "pos_enc_type": "gpt"}`, Arch{}, "norm_type"},
		{`{"params": {"block_params": {"norm_type": "ln", "mlp_act_type": "gelu"}}, "pos_enc_type": "rotary"}`, Arch{}, "pos_enc_type \"rotary\""},
		{`{"params": {"block_params": {"norm_type": "ln", "use_mlp": true, "mlp_act_type": "bilinear"}}}`, Arch{}, "bilinear"},
	} {
		info, err := modlib.ParseInfo(c.js)
		if err != nil {
			t.Fatal(err)
		}
		a, err := archOf(info)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: error %v, want %q", c.js, err, c.err)
		case c.err == "" && (err != nil || a != c.want):
			t.Errorf("%s: %+v, %v; want %+v", c.js, a, err, c.want)
		}
	}
}

// NewModel names the weight it lacks or whose shape is wrong.
func TestNewModelChecksWeights(t *testing.T) {
	m := random(t, small, 2)
	ws := map[string]*tensor.Tensor{}
	for n, w := range m.Weights {
		ws[n] = w
	}
	delete(ws, "a1.w.v_bias")
	if _, err := NewModel(gpt2, 1e-5, ws); err == nil || !strings.Contains(err.Error(), `"a1.w.v_bias" is missing`) {
		t.Errorf("missing bias: %v", err)
	}
	ws["a1.w.v_bias"] = m.Weights["a0.w.q_bias"]
	ws["final.ln.w.scale"] = m.Weights["t.w.unembed"]
	if _, err := NewModel(gpt2, 1e-5, ws); err == nil || !strings.Contains(err.Error(), `"final.ln.w.scale" has shape`) {
		t.Errorf("wrong shape: %v", err)
	}
	// Without biases or MLPs the same weights make an attention-only model.
	if got, err := NewModel(Arch{MLPAct: "gelu", FinalNorm: true, Causal: true}, 1e-5, m.Weights); err != nil || got.Config != m.Config || got.HeadDim != small.HeadDim() {
		t.Errorf("attention-only: %+v, %v", got, err)
	}
}
