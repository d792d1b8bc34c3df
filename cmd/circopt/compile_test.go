package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/passes"
)

const skipCirc = `0 'last' Add
  1 Einsum i,oi->o
    2 'skip' Add
      3 'x' [4] Array rand
      4 'relu' GeneralFunction relu
        5 'first' Add
          6 Einsum i,oi->o
            3
            7 'w1' [4,4] Array rand
          8 'b1' [4] Array rand
    9 'w2' [2,4] Array rand
  10 'b2' [2] Array rand
`

func TestGetAndPatch(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "skip.circ", skipCirc)
	out, stderr, code := runCLI(t, "get", "'skip' > 'x'", f)
	if code != 0 || strings.TrimSpace(out) != "3 'x'" {
		t.Fatalf("get: %d %q %q", code, out, stderr)
	}
	out, _, _ = runCLI(t, "get", "Array", f)
	if got := len(strings.Split(strings.TrimSpace(out), "\n")); got != 5 {
		t.Errorf("get Array found %d nodes, want 5:\n%s", got, out)
	}
	patch := writeFile(t, dir, "p.circ", "0 'x2' [4] Array rand\n")
	out, stderr, code = runCLI(t, "patch", "-at", "'skip' > 'x'", "-with", patch, f)
	if code != 0 {
		t.Fatalf("patch: %d %s", code, stderr)
	}
	// x2 feeds skip; the original x still feeds first.
	if !strings.Contains(out, "'x2'") || !strings.Contains(out, "'x' [4] Array") {
		t.Errorf("patched circuit:\n%s", out)
	}
	bad := writeFile(t, dir, "bad.circ", "0 'x2' [5] Array rand\n")
	_, stderr, code = runCLI(t, "patch", "-at", "'skip' > 'x'", "-with", bad, f)
	if code != 1 || !strings.Contains(stderr, "shape") {
		t.Errorf("wrong-shape patch: %d %q", code, stderr)
	}
	_, stderr, code = runCLI(t, "patch", "-at", "'nope'", "-with", patch, f)
	if code != 1 || !strings.Contains(stderr, "found nothing") {
		t.Errorf("empty patch: %d %q", code, stderr)
	}
	_, _, code = runCLI(t, "get", "'unclosed", f)
	if code != 2 {
		t.Errorf("bad matcher exit %d, want 2", code)
	}
}

func TestRewriteAndSimp(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "skip.circ", skipCirc)
	out, stderr, code := runCLI(t, "rewrite", "-rule", "distribute_once", "-verify", f)
	if code != 0 || !strings.Contains(stderr, "verified") || strings.Count(out, "Einsum") != 3 {
		t.Fatalf("rewrite: %d %q\n%s", code, stderr, out)
	}
	_, _, code = runCLI(t, "rewrite", "-rule", "no_such_rule", f)
	if code != 2 {
		t.Errorf("unknown rule exit %d, want 2", code)
	}
	out, _, code = runCLI(t, "rewrite", "-list")
	if code != 0 || !strings.Contains(out, "push_down_index") {
		t.Errorf("rewrite -list: %d\n%s", code, out)
	}
	dup := writeFile(t, dir, "dup.circ", "0 's' Add\n  1 'a' [3] Array rand\n  1\n  2 'z' [3] Scalar 0\n")
	out, _, code = runCLI(t, "simp", dup)
	if code != 0 || strings.Contains(out, "Scalar 0\n") {
		t.Errorf("simp: %d\n%s", code, out)
	}
}

func TestOptVerifyStats(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "skip.circ", skipCirc)
	out, stderr, code := runCLI(t, "opt", f)
	if code != 0 || !strings.Contains(out, "output \"last\"") {
		t.Fatalf("opt: %d %q\n%s", code, stderr, out)
	}
	out, _, code = runCLI(t, "opt", "-dump-after", "all", f)
	if code != 0 || !strings.Contains(out, "# after constfold\n") || !strings.Contains(out, "\n# unchanged: ") {
		t.Errorf("opt -dump-after all: %d\n%s", code, out)
	}
	out, _, code = runCLI(t, "opt", "-emit", "circuit", f)
	if code != 0 || !strings.Contains(out, "'last'") {
		t.Errorf("opt -emit circuit: %d\n%s", code, out)
	}
	_, _, code = runCLI(t, "opt", "-disable", "nosuchpass", f)
	if code != 2 {
		t.Errorf("unknown pass exit %d", code)
	}
	out, stderr, code = runCLI(t, "verify", "-format", "json", f)
	if code != 0 {
		t.Fatalf("verify: %d %s", code, stderr)
	}
	var v struct {
		OK      bool `json:"ok"`
		Outputs []struct {
			Name string `json:"name"`
		} `json:"outputs"`
		FirstBadPass *string `json:"first_bad_pass"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || !v.OK || len(v.Outputs) != 1 || v.Outputs[0].Name != "last" || v.FirstBadPass != nil {
		t.Errorf("verify json %q: %v", out, err)
	}
	out, _, code = runCLI(t, "stats", "-format", "json", f)
	var s map[string]any
	if err := json.Unmarshal([]byte(out), &s); err != nil || code != 0 {
		t.Fatalf("stats json %q: %v", out, err)
	}
	for _, k := range []string{"circuit_nodes", "ir_values_before", "ir_values_after", "flops_naive", "flops_optimized", "peak_bytes", "passes"} {
		if _, ok := s[k]; !ok {
			t.Errorf("stats json lacks %q", k)
		}
	}
	if s["circuit_nodes"].(float64) != 11 {
		t.Errorf("circuit_nodes = %v, want 11", s["circuit_nodes"])
	}
	out, _, code = runCLI(t, "passes")
	if code != 0 || !strings.Contains(out, "cse") || !strings.Contains(out, "ordering constraints") {
		t.Errorf("passes:\n%s", out)
	}
}

// TestVerifyNamesFirstBadPass breaks one pass on purpose (it scales every
// output by 2) and checks that verify exits 1 naming the outputs and the pass.
func TestVerifyNamesFirstBadPass(t *testing.T) {
	restore, err := passes.Override("addfold", func(good passes.PassFunc) passes.PassFunc {
		return func(prog *ir.Program, ctx *passes.Context) (*ir.Program, error) {
			q, err := good(prog, ctx)
			if err != nil {
				return nil, err
			}
			return ir.Rebuild(q, func(b *ir.Builder, v *ir.Value, ops []int) (int, bool, error) {
				if !q.IsOutput(v.ID) {
					return 0, false, nil
				}
				id, err := b.Copy(v, ops...)
				if err != nil {
					return 0, false, err
				}
				id, err = b.Add(ir.OpScale, ir.Attrs{"factor": 2.0}, id)
				return id, true, err
			})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	dir := t.TempDir()
	f := writeFile(t, dir, "skip.circ", strings.Replace(skipCirc, "'x' [4] Array rand", "'x' [4] Symbol", 1))
	out, stderr, code := runCLI(t, "verify", "-format", "json", f)
	if code != 1 {
		t.Fatalf("verify of a broken pipeline: exit %d\n%s\n%s", code, out, stderr)
	}
	var v struct {
		OK           bool    `json:"ok"`
		FirstBadPass *string `json:"first_bad_pass"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("json %q: %v", out, err)
	}
	if v.OK || v.FirstBadPass == nil || *v.FirstBadPass != "addfold" {
		t.Errorf("verify json %s", out)
	}
	if !strings.Contains(stderr, "'last'") || !strings.Contains(stderr, "first bad pass: addfold") {
		t.Errorf("stderr %q does not name the output and the pass", stderr)
	}
}
