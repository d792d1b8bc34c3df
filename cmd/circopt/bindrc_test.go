package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// A rust_circuit model file binds to tokens with random weights: logits
// [seq, 2] of the paren balancer (a full mask, relu MLPs, an output bias),
// the compiled plan agreeing with the naive evaluator. (transformer's
// TestRustCircuitModels binds every ../shared/rc model in-process.)
func TestBindRustCircuitModel(t *testing.T) {
	for _, tc := range []struct {
		file  string
		ids   []int64
		vocab int
	}{
		{"jun9_paren_balancer.circ", []int64{0, 3, 3, 4, 4, 1}, 2},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p := rcFile(t, tc.file)
			dir := t.TempDir()
			store := filepath.Join(dir, "store")
			toks := saveInt64s(t, dir, "toks.npy", []int{len(tc.ids)}, tc.ids)
			out, errs, code := runCLI(t, "bind", "-random-tensors", "-tensors", store, "-tokens", toks, p)
			if code != 0 {
				t.Fatalf("bind: exit %d: %s", code, errs)
			}
			call := writeFile(t, dir, "call.circ", out)
			var vals [][]float64
			for _, naive := range []bool{false, true} {
				args := []string{"eval", "-tensors", store, "-format", "json", "-dtype", "float64"}
				if naive {
					args = append(args, "-naive")
				}
				out, errs, code := runCLI(t, append(args, call)...)
				if code != 0 {
					t.Fatalf("eval naive=%v: exit %d: %s", naive, code, errs)
				}
				o := decodeEvalJSON(t, out).Outputs[0]
				if o.Name != "t.call" || len(o.Shape) != 2 || o.Shape[0] != len(tc.ids) || o.Shape[1] != tc.vocab {
					t.Fatalf("output %s %v, want t.call [%d %d]", o.Name, o.Shape, len(tc.ids), tc.vocab)
				}
				vals = append(vals, o.Data)
			}
			for i := range vals[0] {
				if d := math.Abs(vals[0][i] - vals[1][i]); d > 1e-6*(1+math.Abs(vals[1][i])) || math.IsNaN(vals[0][i]) {
					t.Fatalf("logit %d: compiled %g, naive %g", i, vals[0][i], vals[1][i])
				}
			}
		})
	}
}

// Bad input to bind on a rust_circuit file names the tensor or position.
func TestBindRustCircuitBadInput(t *testing.T) {
	p := rcFile(t, "jun9_paren_balancer.circ")
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	for _, tc := range []struct {
		ids  []int64
		want string
	}{
		{[]int64{0, 5}, "token id 5 at position 1 is outside the vocabulary of 5"},
		{make([]int64, 513), "sequence of 513 tokens is longer than the positional table (512 positions): position 512 has no embedding"},
	} {
		toks := saveInt64s(t, dir, "toks.npy", []int{len(tc.ids)}, tc.ids)
		_, errs, code := runCLI(t, "bind", "-random-tensors", "-tensors", store, "-tokens", toks, p)
		if code != 1 || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("exit %d, stderr %q; want exit 1 and one line containing %q", code, errs, tc.want)
		}
	}
	// the paren balancer classifies: its 2 outputs are no next-token vocabulary
	toks := saveInt64s(t, dir, "toks.npy", []int{3}, []int64{0, 3, 4})
	_, errs, code := runCLI(t, "bind", "-random-tensors", "-tensors", store, "-loss", "-tokens", toks, p)
	if code != 1 || !strings.Contains(errs, "token id 3 at position 1 is outside the model's 2 outputs") || strings.Count(errs, "\n") != 1 {
		t.Errorf("-loss on a classifier: exit %d, stderr %q", code, errs)
	}
}
