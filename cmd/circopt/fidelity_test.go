package main

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/weights"
)

// With -tensors, print writes index tensors by hash as rust_circuit does and
// stores them, so the output parses back with the same store.
func TestPrintHashedIndices(t *testing.T) {
	dir := t.TempDir()
	store := dir + "/store"
	if err := os.Mkdir(store, 0o755); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, dir, "i.circ", "'i' Index [[3,0,2],0]\n  'x' [4,2] Scalar 1.5\n")
	out, stderr, code := runCLI(t, "print", "-tensors", store, p)
	if code != 0 || !regexp.MustCompile(`Index \[t[0-9a-f]{10} \[3\],0\]`).MatchString(out) {
		t.Fatalf("print -tensors: exit %d %s\n%s", code, stderr, out)
	}
	p2 := writeFile(t, dir, "i2.circ", out)
	again, stderr, code := runCLI(t, "print", "-tensors", store, p2)
	if code != 0 || again != out {
		t.Errorf("hashed output does not print back to itself: exit %d %s\n%s", code, stderr, again)
	}
	if _, stderr, code := runCLI(t, "print", p2); code != 1 || !strings.Contains(stderr, "i2.circ:1:") {
		t.Errorf("hashed index without a store: exit %d %q", code, stderr)
	}
	if plain, _, _ := runCLI(t, "print", p); !strings.Contains(plain, "[[3,0,2],0]") {
		t.Errorf("print without a store lost the literal form:\n%s", plain)
	}
}

// The deep module operations are rewrites: each keeps the value (-verify
// checks it against the naive evaluator) and leaves no Module where
// rust_circuit's leaves none.
func TestRewriteDeepModuleOps(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "m.circ", `'m' Module
  'spec' Add
    'r' GeneralFunction relu
      'xw' Einsum a,ab->b
        'x' [0s] Symbol 11111111-1111-4111-8111-111111111111
        'w' [0s,2] Symbol 22222222-2222-4222-8222-222222222222
    'one' [2] Scalar 1
  'xin' [4,3] Array rand ! 'x'
  'win' [3,2] Array rand ! 'w'
`)
	for _, c := range []struct {
		rule    string
		modules int
	}{{"module_conform", 1}, {"module_push_down", 0}, {"module_substitute", 0}, {"module_conform,module_push_down", 0}} {
		out, stderr, code := runCLI(t, "rewrite", "-rule", c.rule, "-verify", p)
		if code != 0 || !strings.Contains(stderr, "verified") {
			t.Errorf("%s: exit %d %s", c.rule, code, stderr)
			continue
		}
		if got := strings.Count(out, " Module"); got != c.modules {
			t.Errorf("%s: %d Modules left, want %d:\n%s", c.rule, got, c.modules, out)
		}
	}
	out, _, _ := runCLI(t, "rewrite", "-rule", "module_conform", p)
	if !strings.Contains(out, "'x' [4,3] Symbol 11111111-1111-4111-8111-111111111111") {
		t.Errorf("conform did not give x its argument's shape:\n%s", out)
	}
}

// Bad rust_circuit input is one line naming the file and line, exit 1.
func TestFidelityBadInput(t *testing.T) {
	dir := t.TempDir()
	module := func(xShape, wShape, xArg, wArg string) string {
		return "'m' Module\n  'xw' Einsum a,ab->b\n    'x' [" + xShape + "] Symbol 11111111-1111-4111-8111-111111111111\n" +
			"    'w' [" + wShape + "] Symbol 22222222-2222-4222-8222-222222222222\n" +
			"  'xin' [" + xArg + "] Scalar 1 ! 'x'\n  'win' [" + wArg + "] Scalar 1 ! 'w'\n"
	}
	for _, c := range []struct{ name, src, want string }{
		{"symbolic conflict", module("0s", "0s,2", "3", "4,2"), "symbolic size 0s is 4 here but 3 elsewhere"},
		{"size does not divide", module("2*1s", "2*1s,2", "5", "5,2"), "2*1s"},
		{"fixed size changed", module("3", "3,2", "5", "3,2"), "does not fit symbol \"x\""},
		{"rank below the symbol", module("3", "3,2", "", "3,2"), "below symbol \"x\""},
		{"non-batchable batch", strings.Replace(module("3", "3,2", "4,3", "3,2"), "! 'x'", "! 'x' ftt", 1), "not batchable"},
		{"unknown norm_type", `# info:{"params": {"block_params": {"norm_type": "rms", "mlp_act_type": "gelu"}, "num_layers": 1}}` + "\n'x' [1] Scalar 1\n", "rms"},
		{"unknown mlp_act_type", `# info:{"params": {"block_params": {"norm_type": "ln", "mlp_act_type": "swiglu"}, "num_layers": 1}}` + "\n'x' [1] Scalar 1\n", "swiglu"},
	} {
		p := writeFile(t, dir, "bad.circ", c.src)
		for _, cmd := range []string{"print", "eval"} {
			_, stderr, code := runCLI(t, cmd, p)
			line := strings.TrimSpace(stderr)
			if code != 1 || !strings.HasPrefix(line, p+":1: ") || !strings.Contains(line, c.want) || strings.Contains(line, "\n") {
				t.Errorf("%s (%s): exit %d, stderr %q", c.name, cmd, code, stderr)
			}
		}
	}
}

// The three rust_circuit model files evaluate with random tensors and
// their free Symbols bound ([5, hidden] t.input, the causal mask, the
// positional input where the blocks take one): logits [5, vocab], naive and
// compiled agreeing to 1e-5 in float64.
func TestEvalRustCircuitModels(t *testing.T) {
	for _, c := range []struct {
		file          string
		hidden, vocab int
		pos           bool
	}{
		{"jun9_paren_balancer.circ", 56, 2, false},
		{"attention_only_2.circ", 256, 50259, true},
		{"gelu_12_tied.circ", 768, 50257, false},
	} {
		t.Run(c.file, func(t *testing.T) {
			p := rcFile(t, c.file)
			if c.hidden == 768 && testing.Short() {
				t.Skip("GPT-2 small; skipped with -short")
			}
			dir := t.TempDir()
			args := []string{"eval", "-random-tensors", "-dtype", "float64",
				"-bind", "t.input=" + saveNpy(t, dir, "x.npy", []int{5, c.hidden}, randData(5*c.hidden, 1)),
				"-bind", "a.mask=" + saveNpy(t, dir, "mask.npy", []int{5, 5}, causalMaskData(5))}
			if c.pos {
				args = append(args, "-bind", "a.pos_input="+saveNpy(t, dir, "pos.npy", []int{5, c.hidden}, randData(5*c.hidden, 2)))
			}
			var vals [][]float64
			for _, naive := range []bool{false, true} {
				// -o: the embeddings are outputs too, too large to print
				out := filepath.Join(dir, "out.npz")
				a := append(args[:len(args):len(args)], "-o", out)
				if naive {
					a = append(a, "-naive")
				}
				if _, stderr, code := runCLI(t, append(a, p)...); code != 0 {
					t.Fatalf("eval naive=%v: exit %d %s", naive, code, stderr)
				}
				got, err := weights.LoadNpz(out)
				if err != nil {
					t.Fatal(err)
				}
				logits := got["t.bind_w"]
				if logits == nil || !slices.Equal(logits.Shape(), []int{5, c.vocab}) {
					t.Fatalf("naive=%v: no t.bind_w [5 %d] among the outputs", naive, c.vocab)
				}
				vals = append(vals, logits.Float64s())
			}
			for i := range vals[0] {
				if d := math.Abs(vals[0][i] - vals[1][i]); d > 1e-5*(1+math.Abs(vals[1][i])) {
					t.Fatalf("logit %d: compiled %g, naive %g", i, vals[0][i], vals[1][i])
				}
			}
		})
	}
}
