package main

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rcFile is a rust_circuit model file in ../shared/rc beside the repo root
// (or $CIRCOPT_SHARED/rc); the test skips when it is absent.
func rcFile(t *testing.T, name string) string {
	t.Helper()
	dir := "../../../shared/rc"
	if d := os.Getenv("CIRCOPT_SHARED"); d != "" {
		dir = filepath.Join(d, "rc")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("rust_circuit model files absent (%v): needs ../shared/rc next to the repo", err)
	}
	return p
}

func randData(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float64, n)
	for i := range out {
		out[i] = r.NormFloat64()
	}
	return out
}

func causalMaskData(n int) []float64 {
	m := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			m[i*n+j] = 1
		}
	}
	return m
}

// The paren balancer model evaluates with its inputs bound: logits [5,2],
// naive and compiled agreeing.
func TestEvalModelFile(t *testing.T) {
	p := rcFile(t, "jun9_paren_balancer.circ")
	dir := t.TempDir()
	x := saveNpy(t, dir, "x.npy", []int{5, 56}, randData(5*56, 1))
	mask := saveNpy(t, dir, "mask.npy", []int{5, 5}, causalMaskData(5))
	var vals [][]float64
	for _, naive := range []bool{false, true} {
		args := []string{"eval", "-random-tensors", "-format", "json", "-dtype", "float64", "-bind", "t.input=" + x, "-bind", "a.mask=" + mask}
		if naive {
			args = append(args, "-naive")
		}
		out, stderr, code := runCLI(t, append(args, p)...)
		if code != 0 {
			t.Fatalf("eval naive=%v: %d %s", naive, code, stderr)
		}
		got := decodeEvalJSON(t, out)
		last := got.Outputs[len(got.Outputs)-1]
		if last.Name != "t.bind_w" || len(last.Shape) != 2 || last.Shape[0] != 5 || last.Shape[1] != 2 {
			t.Fatalf("output %s %v, want t.bind_w [5 2]", last.Name, last.Shape)
		}
		vals = append(vals, last.Data)
	}
	for i := range vals[0] {
		if d := math.Abs(vals[0][i] - vals[1][i]); d > 1e-5*(1+math.Abs(vals[1][i])) {
			t.Fatalf("logit %d: compiled %g, naive %g", i, vals[0][i], vals[1][i])
		}
	}
	// a sequence input whose hidden size conflicts with the weights' 0s
	bad := saveNpy(t, dir, "bad.npy", []int{5, 57}, randData(5*57, 2))
	_, stderr, code := runCLI(t, "eval", "-random-tensors", "-bind", "t.input="+bad, "-bind", "a.mask="+mask, p)
	if code != 1 || !strings.Contains(stderr, `does not fit symbol "t.input"`) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("conflicting input: exit %d, stderr %q", code, stderr)
	}
}

func TestModelFileUnknownBlockType(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "m.circ", `# info:{"params": {"block_params": {"norm_type": "ln", "mlp_act_type": "swish"}, "num_layers": 1}}`+"\n'x' [1] Scalar 1\n")
	_, stderr, code := runCLI(t, "print", p)
	if code != 1 || !strings.Contains(stderr, "m.circ:1: ") || !strings.Contains(stderr, "swish") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// simp's default set is rust_circuit's; -rules aggressive merges einsums.
func TestSimpRuleSets(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "e.circ", "'o' Einsum ab,b->a\n  'i' Einsum ab,bc->ac\n    'x' [2,3] Scalar 1\n    'y' [3,3] Symbol 11111111-1111-4111-8111-111111111111\n  'z' [3] Symbol 22222222-2222-4222-8222-222222222222\n")
	def, _, code := runCLI(t, "simp", p)
	agg, _, code2 := runCLI(t, "simp", "-rules", "aggressive", p)
	if code != 0 || code2 != 0 || strings.Count(def, "Einsum") != 2 || strings.Count(agg, "Einsum") != 1 {
		t.Errorf("default:\n%s\naggressive:\n%s", def, agg)
	}
	if _, stderr, code := runCLI(t, "simp", "-rules", "bogus", p); code != 2 || !strings.Contains(stderr, "bogus") {
		t.Errorf("bad set: %d %s", code, stderr)
	}
}
