package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/circopt/circopt/weights"
)

const skipFile = "../../testdata/examples/two_layer_skip.circ"

// useStore points the default tensor store at a fresh directory.
func useStore(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tensors")
	t.Setenv(weights.StoreEnv, dir)
	return dir
}

var arrayHash = regexp.MustCompile(`Array ([0-9a-f]{64})`)

// Printing stores every tensor it prints (rand draws included), so print
// of print is byte-identical and the hashes resolve in a later command.
func TestPrintStoresTensors(t *testing.T) {
	dir := useStore(t)
	first, stderr, code := runCLI(t, "print", skipFile)
	if code != 0 {
		t.Fatalf("print: %d %s", code, stderr)
	}
	hashes := arrayHash.FindAllStringSubmatch(first, -1)
	if len(hashes) != 5 {
		t.Fatalf("want 5 stored arrays, printed:\n%s", first)
	}
	for _, h := range hashes {
		if _, err := os.Stat(filepath.Join(dir, h[1]+".npy")); err != nil {
			t.Errorf("print did not store %s: %v", h[1], err)
		}
	}
	p := writeFile(t, t.TempDir(), "printed.circ", first)
	again, stderr, code := runCLI(t, "print", p)
	if code != 0 || again != first {
		t.Fatalf("print of print's output (%d %s):\n%s\nwant\n%s", code, stderr, again, first)
	}
	// the stored draws are the values: eval of the printed text is eval of the file
	want, _, _ := runCLI(t, "eval", skipFile)
	if got, stderr, code := runCLI(t, "eval", p); code != 0 || got != want {
		t.Errorf("eval of the printed text = %q (%d %s), want %q", got, code, stderr, want)
	}
	// one tensor, one hash: commands that parse for float64 print the same hashes
	rw, stderr, code := runCLI(t, "rewrite", "-rule", "distribute_once", skipFile)
	if code != 0 {
		t.Fatalf("rewrite: %s", stderr)
	}
	for _, h := range hashes {
		if !strings.Contains(rw, h[1]) {
			t.Errorf("rewrite (float64) printed no %s; its output:\n%s", h[1][:12], rw)
		}
	}
}

// patch's output carries its patch's rand draw by hash; eval of it reads
// the stored draw, so the values are the patched model's.
func TestPatchThenEvalUsesStoredDraws(t *testing.T) {
	useStore(t)
	patched, stderr, code := runCLI(t, "patch", "-at", "'skip' > 'x'", "-with", "../../testdata/examples/patch_x.circ", skipFile)
	if code != 0 {
		t.Fatalf("patch: %s", stderr)
	}
	p := writeFile(t, t.TempDir(), "patched.circ", patched)
	got, stderr, code := runCLI(t, "eval", p)
	if code != 0 {
		t.Fatalf("eval of patch's output: %s", stderr)
	}
	// the stored draw is patch_x's own: printing patch_x names the same hash
	px, _, _ := runCLI(t, "print", "../../testdata/examples/patch_x.circ")
	h := arrayHash.FindStringSubmatch(px)
	if h == nil || !strings.Contains(patched, "'x_shuffled' [4] Array "+h[1]) {
		t.Fatalf("patch output does not carry patch_x's draw %q:\n%s", px, patched)
	}
	if again, _, _ := runCLI(t, "eval", p); again != got {
		t.Errorf("eval of the patched text is not reproducible: %q then %q", got, again)
	}
	plain, _, _ := runCLI(t, "eval", skipFile)
	if got == plain {
		t.Errorf("the patched model evaluates as the unpatched one: %s", got)
	}
}

// An Array whose tensor is in no store keeps its hash and shape: the
// structure commands work on it, and only evaluation asks for the values.
func TestStructureWithoutValues(t *testing.T) {
	useStore(t)
	const h = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	src := "'y' Add\n  'w' [3] Array " + h + "\n  'b' [3] Array 00ff\n  'z' [3] Scalar 0\n"
	f := writeFile(t, t.TempDir(), "m.circ", src)
	patch := writeFile(t, t.TempDir(), "p.circ", "'q' [3] Array 00ff\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"print", f}, src},
		{[]string{"get", "'w'", f}, "'w'"},
		{[]string{"get", "-tree", "'b'", f}, "'b' [3] Array 00ff\n"},
		{[]string{"patch", "-at", "'w'", "-with", patch, f}, "Array 00ff"},
		{[]string{"rewrite", "-rule", "add_elim_zeros", f}, "Array " + h},
		{[]string{"simp", f}, "Array " + h},
		{[]string{"opt", f}, "y"},
		{[]string{"stats", f}, "nodes"},
	} {
		out, stderr, code := runCLI(t, c.args...)
		if code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, stderr %q, output\n%s\nwant it to contain %q", c.args, code, stderr, out, c.want)
		}
	}
	for _, args := range [][]string{{"eval", f}, {"rewrite", "-rule", "add_elim_zeros", "-verify", f}} {
		_, stderr, code := runCLI(t, args...)
		want := f + ": "
		if code != 1 || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, "Array 'w'") || !strings.Contains(stderr, h) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q: want one line naming the file, 'w' and its hash", args, code, stderr)
		}
	}
}

// A store that cannot be written is a one-line warning; print still prints.
func TestPrintReadOnlyStoreWarns(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root writes into read-only directories")
	}
	dir := useStore(t)
	if err := os.MkdirAll(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	out, stderr, code := runCLI(t, "print", skipFile)
	if code != 0 || !strings.Contains(out, "'last' Add") {
		t.Fatalf("print with a read-only store: exit %d, %q", code, out)
	}
	if !strings.HasPrefix(stderr, "circopt: warning: tensors not saved in "+dir+": ") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q, want one warning line naming the store", stderr)
	}
	// a store path that is a file cannot even be created
	file := writeFile(t, t.TempDir(), "notadir", "")
	t.Setenv(weights.StoreEnv, file)
	if out, stderr, code := runCLI(t, "print", skipFile); code != 0 || out == "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "warning") {
		t.Errorf("print with a file as the store: exit %d, stderr %q", code, stderr)
	}
}

// Concurrent prints into one store leave only whole files behind.
func TestConcurrentPrintsShareStore(t *testing.T) {
	dir := useStore(t)
	want, _, _ := runCLI(t, "print", skipFile)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make(chan string, n)
	for range n {
		go func() {
			out, stderr, code := runCLI(t, "print", skipFile)
			if code != 0 || out != want || stderr != "" {
				errs <- stderr
				return
			}
			errs <- ""
		}()
	}
	for range n {
		if e := <-errs; e != "" {
			t.Errorf("a concurrent print failed: %s", e)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := weights.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		h, ok := strings.CutSuffix(e.Name(), ".npy")
		if !ok {
			t.Errorf("left behind %s", e.Name())
			continue
		}
		if _, _, err := st.Resolve(h); err != nil {
			t.Errorf("stored %s: %v", h[:12], err)
		}
	}
	if len(entries) != 5 {
		t.Errorf("%d files in the store, want 5", len(entries))
	}
}

// tensors add and ls without -store use the default store, the one the
// other commands resolve Arrays in.
func TestTensorsDefaultStore(t *testing.T) {
	dir := useStore(t)
	w := saveNpy(t, t.TempDir(), "w.npy", []int{3}, []float64{1, 2, 3})
	out, stderr, code := runCLI(t, "tensors", "add", w)
	if code != 0 {
		t.Fatalf("tensors add: %s", stderr)
	}
	hash, _, _ := strings.Cut(out, " ")
	if _, err := os.Stat(filepath.Join(dir, hash+".npy")); err != nil {
		t.Fatalf("not in the default store: %v", err)
	}
	if ls, _, code := runCLI(t, "tensors", "ls"); code != 0 || !strings.Contains(ls, hash) {
		t.Errorf("tensors ls = %q", ls)
	}
	m := writeFile(t, t.TempDir(), "m.circ", "'w' [3] Array "+hash[:12]+"\n")
	if got, stderr, code := runCLI(t, "eval", m); code != 0 || !strings.Contains(got, "[1 2 3]") {
		t.Errorf("eval with the default store: %q %s", got, stderr)
	}
}

// print of print's output is byte-identical for every circuit file the
// README names that is in the repository.
func TestPrintFixedPointOnREADMEFiles(t *testing.T) {
	useStore(t)
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	seen := map[string]bool{}
	for _, f := range regexp.MustCompile(`[\w./-]+\.circ\b`).FindAllString(string(readme), -1) {
		p := filepath.Join("../..", f)
		if seen[p] || strings.HasPrefix(f, "../") {
			continue
		}
		seen[p] = true
		if _, err := os.Stat(p); err != nil {
			continue // made by an earlier README command (model.circ, patched.circ)
		}
		n++
		first, stderr, code := runCLI(t, "print", p)
		if code != 0 {
			t.Errorf("print %s: %s", f, stderr)
			continue
		}
		again, stderr, code := runCLI(t, "print", writeFile(t, t.TempDir(), "p.circ", first))
		if code != 0 || again != first {
			t.Errorf("print of print %s (%d %s) changed:\n%s\nwant\n%s", f, code, stderr, again, first)
		}
	}
	if n < 10 {
		t.Errorf("only %d README circuit files found", n)
	}
}
