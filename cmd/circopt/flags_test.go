package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// TestStoredTensorWinsOverRandom: with -tensors and -random-tensors, a
// hash the store has keeps its stored values; only the others are drawn.
func TestStoredTensorWinsOverRandom(t *testing.T) {
	dir := t.TempDir()
	st, err := weights.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := tensor.FromFloat64([]int{3}, []float64{1, 2, 3})
	h, err := st.Add(x)
	if err != nil {
		t.Fatal(err)
	}
	circ := writeFile(t, dir, "c.circ", "0 'out' Add\n  1 'stored' [3] Array "+h[:16]+"\n  2 'drawn' Einsum a,->a\n    3 [3] Array abcdef0123\n    4 [] Scalar 0\n")
	stdout, stderr, code := runCLI(t, "eval", "-dtype", "float64", "-tensors", dir, "-random-tensors", circ)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "'out' [3] float64\n[1 2 3]\n"; stdout != want {
		t.Fatalf("stdout %q, want %q: the stored tensor must win over a random draw", stdout, want)
	}
	_, stderr, code = runCLI(t, "eval", "-tensors", dir, filepath.Join(dir, "c.circ"))
	if code != 1 || !strings.Contains(stderr, "abcdef0123") {
		t.Fatalf("without -random-tensors a missing hash is an error: exit %d, %s", code, stderr)
	}
}
