package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func saveTokens(t *testing.T, dir, name string, ids ...int64) string {
	t.Helper()
	return saveInt64s(t, dir, name, []int{len(ids)}, ids)
}

func TestACDCOnImportedModel(t *testing.T) {
	dir := t.TempDir()
	model, store := importTiny(t, dir)
	clean := saveTokens(t, dir, "clean.npy", 5, 17, 42, 8, 5, 17)
	corrupt := saveTokens(t, dir, "corrupt.npy", 9, 30, 61, 3, 9, 17)
	base := []string{"acdc", "-model", model, "-tensors", store, "-clean", clean, "-corrupt", corrupt}
	out, errs, code := runCLI(t, append(base, "-metric", "kl", "-threshold", "0.01", "-format", "json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res acdcJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	// The full graph has 1+8+2+1 components: 66 pairs less 2·6 within a layer's heads.
	if len(res.Edges) == 0 || len(res.Edges) >= 54 || res.Evaluations <= len(res.Edges) || math.Abs(res.Full) > 1e-9 || res.Pruned <= 0 || res.Pruned >= res.Corrupt {
		t.Errorf("kept %d edges, full %g pruned %g corrupt %g after %d evaluations", len(res.Edges), res.Full, res.Pruned, res.Corrupt, res.Evaluations)
	}
	dot, errs, code := runCLI(t, append(base, "-metric", "kl", "-threshold", "0.01", "-format", "dot")...)
	if code != 0 || !strings.HasPrefix(dot, "digraph acdc {") || strings.Count(dot, "->") != len(res.Edges) {
		t.Errorf("dot: exit %d %s\n%s", code, errs, dot)
	}
	again, _, _ := runCLI(t, append(base, "-metric", "kl", "-threshold", "0.01", "-format", "dot")...)
	if again != dot {
		t.Error("dot output differs between runs")
	}
	// A state dict is read directly, and logit-diff with a huge threshold keeps nothing.
	out, errs, code = runCLI(t, "acdc", "-model", filepath.Join(gpt2Dir, "tiny.safetensors"), "-clean", clean, "-corrupt", corrupt,
		"-metric", "logit-diff", "-correct", "5", "-wrong", "9", "-threshold", "1e9")
	if code != 0 || !strings.HasPrefix(out, "# 0 edges kept; logit-diff") {
		t.Errorf("state dict, logit-diff: exit %d %s\n%s", code, errs, out)
	}
}

// On the trained attention-only model of examples/day3 (read through its
// # info: header: shortformer positions, no MLPs), q, k and v are separate
// receivers by default, and -receivers heads merges them.
func TestACDCOnInductionModel(t *testing.T) {
	root := filepath.Join("..", "..")
	model, store := filepath.Join(root, "examples", "day3", "model.circ"), filepath.Join(root, "examples", "day3", "store")
	if _, err := os.Stat(store); err != nil {
		t.Skipf("the trained induction model is absent: %v", err)
	}
	td := filepath.Join(root, "testdata", "acdc")
	base := []string{"acdc", "-model", model, "-tensors", store, "-clean", filepath.Join(td, "induction_clean.npy"),
		"-corrupt", filepath.Join(td, "induction_corrupt.npy"), "-metric", "kl", "-threshold", "0.01", "-format", "json"}
	for _, c := range []struct {
		receivers string
		port      bool
	}{{"auto", true}, {"heads", false}} {
		out, errs, code := runCLI(t, append(base, "-receivers", c.receivers)...)
		if code != 0 {
			t.Fatalf("-receivers %s: exit %d: %s", c.receivers, code, errs)
		}
		var res acdcJSON
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		ports := 0
		for _, e := range res.Edges {
			if strings.HasSuffix(e[1], ".q") || strings.HasSuffix(e[1], ".k") || strings.HasSuffix(e[1], ".v") {
				ports++
			}
		}
		if len(res.Edges) == 0 || (ports > 0) != c.port || res.Pruned >= res.Corrupt {
			t.Errorf("-receivers %s: kept %v (%d into a head's q, k or v), pruned %g corrupt %g", c.receivers, res.Edges, ports, res.Pruned, res.Corrupt)
		}
	}
}

func TestACDCBadInput(t *testing.T) {
	dir := t.TempDir()
	model, store := importTiny(t, dir)
	clean := saveTokens(t, dir, "clean.npy", 5, 17, 42)
	base := []string{"acdc", "-model", model, "-tensors", store, "-clean", clean, "-corrupt", clean}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-metric", "l2", "-threshold", "0.1"}, 1, `-metric: unknown metric "l2"`},
		{[]string{"-metric", "kl", "-threshold", "abc"}, 1, `-threshold: "abc" is not a number`},
		{[]string{"-metric", "logit-diff", "-threshold", "0.1", "-correct", "101", "-wrong", "3"}, 1, "token id 101 is outside the vocabulary of 101"},
		{[]string{"-metric", "logit-diff", "-threshold", "0.1"}, 1, "needs -correct ID and -wrong ID"},
		{[]string{"-metric", "kl", "-threshold", "0.1", "-corrupt", saveTokens(t, dir, "big.npy", 1, 500, 2)}, 1, "id 500 at position 1 is outside the vocabulary"},
		{[]string{"-metric", "kl"}, 2, "required"},
		{[]string{"-metric", "kl", "-threshold", "0.1", "-format", "svg"}, 2, "-format"},
		{[]string{"-metric", "kl", "-threshold", "0.1", "-receivers", "ports"}, 1, `-receivers: unknown receivers "ports"`},
	} {
		_, errs, code := runCLI(t, append(base, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d with %q on one line", c.args, code, errs, c.code, c.want)
		}
	}
}
