package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/circopt/circopt/weights"
)

// runQuickly is runCLI that fails the test if the command hangs.
func runQuickly(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	type result struct {
		out, err string
		code     int
	}
	done := make(chan result, 1)
	go func() {
		o, e, c := runCLI(t, args...)
		done <- result{o, e, c}
	}()
	select {
	case r := <-done:
		return r.out, r.err, r.code
	case <-time.After(20 * time.Second):
		t.Fatalf("%v: still running after 20s", args)
		return "", "", 0
	}
}

// wantOneLine checks a failed command: exit 1, one stderr line naming what.
func wantOneLine(t *testing.T, args []string, stdout, stderr string, code int, what ...string) {
	t.Helper()
	if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 {
		t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and one line", args, code, stdout, stderr)
	}
	for _, w := range what {
		if !strings.Contains(stderr, w) {
			t.Errorf("%v: stderr %q does not name %q", args, stderr, w)
		}
	}
}

// TestHostileInputPaths: a path that is a FIFO, a symlink to /dev/zero
// or a 100 GB sparse file gives a one-line error, never a hang or an
// out-of-memory crash, wherever the CLI takes a tensor file.
func TestHostileInputPaths(t *testing.T) {
	dir := t.TempDir()
	paths := map[string]string{}
	if p := filepath.Join(dir, "zero.npy"); os.Symlink("/dev/zero", p) == nil {
		paths["symlink to /dev/zero"] = p
	}
	if p := filepath.Join(dir, "fifo.npy"); syscall.Mkfifo(p, 0o644) == nil {
		paths["fifo"] = p
	}
	sparse := saveNpy(t, dir, "sparse.npy", []int{2}, []float64{1, 2})
	if os.Truncate(sparse, 100e9) == nil {
		paths["100 GB sparse file"] = sparse
	}
	free := writeFile(t, dir, "free.circ", "0 'y' Add\n  1 'x' [2] Symbol 6f1c1e0a-8a3e-4d9b-9d7e-2f7f0e0b9a11\n")
	for _, p := range paths {
		for _, args := range [][]string{
			{"tensors", "add", "-store", filepath.Join(dir, "store"), p},
			{"eval", "-bind", "x=" + p, free},
			{"eval", p},
		} {
			out, errs, code := runQuickly(t, args...)
			wantOneLine(t, args, out, errs, code, p)
		}
		args := []string{"eval", "-tensors", p, free}
		out, errs, code := runQuickly(t, args...)
		wantOneLine(t, args, out, errs, code, p, "not a directory")
	}
}

// TestStoreHashMismatch: a store file whose content does not hash to its
// name stops evaluation with exit 1 and one line naming the tensor.
func TestStoreHashMismatch(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	x := saveNpy(t, dir, "x.npy", []int{2}, []float64{1, 2})
	y := saveNpy(t, dir, "y.npy", []int{2}, []float64{3, 4})
	hash := addOne(t, store, x)
	data, err := os.ReadFile(y)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(store, hash+".npy"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	circ := writeFile(t, dir, "a.circ", "0 'a' Array "+hash[:12]+"\n")
	args := []string{"eval", "-tensors", store, circ}
	out, stderr, code := runCLI(t, args...)
	wantOneLine(t, args, out, stderr, code, hash, "corrupted")
}

// TestTensorsAddHighRank: a rank-63 array goes into the store as <f4
// (it used to be written as |V4 and reported as a success) and reads back.
func TestTensorsAddHighRank(t *testing.T) {
	dir := t.TempDir()
	shape := make([]int, 63)
	for i := range shape {
		shape[i] = 1
	}
	p := saveNpy(t, dir, "r63.npy", shape, []float64{2.5})
	store := filepath.Join(dir, "store")
	hash := addOne(t, store, p)
	st, err := weights.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := st.Resolve(hash)
	if err != nil || len(got.Shape()) != 63 || got.Float64s()[0] != 2.5 {
		t.Fatalf("resolve: %v %v", got, err)
	}
}

// addOne adds file to the store with tensors add and returns its hash.
func addOne(t *testing.T, store, file string) string {
	t.Helper()
	out, stderr, code := runCLI(t, "tensors", "add", "-store", store, file)
	if code != 0 {
		t.Fatalf("tensors add: %d %s", code, stderr)
	}
	hash, _, _ := strings.Cut(out, " ")
	return hash
}
