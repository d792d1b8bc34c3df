package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
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
