package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCLIPrintEval runs print and eval -random-tensors in-process on
// arbitrary file contents: no panic may escape (run turns one into
// "internal error", which counts as a failure here), the exit status is 0
// or 1, and every stderr line names the file.
func FuzzCLIPrintEval(f *testing.F) {
	for _, seed := range []string{
		skipCirc,
		"0 'a' [2] Scalar 1.5\n",
		"0 'y' Einsum a,a->a\n  1 'x' [2] Symbol 6f1c1e0a-8a3e-4d9b-9d7e-2f7f0e0b9a11\n  1\n",
		"0 'a' [100000000000] Scalar 1\n",
		"0 'a' [2] Scalar 1\r\n1 'b' Add\r\n  0\r\n  2 'c' [2] Scalar 2\r\n",
		"0 [2] Scalar 1\n1 [3] Scalar 2\n2 'd' [1] Scalar 3\n3 'd' [1] Scalar 4\n",
		"0 'it\\'s \\\\ \"q\"' [2] Scalar 1\n",
		"0 'l' GeneralFunction log\n  1 [2] Scalar -1\n",
		"0 'r' Rearrange a b -> b a\n  1 [2,3] Array rand\n",
		"0 'i' [2] Index [0:2]\n  1 [3] Array rand\n",
		"0 'c' Concat 0\n  1 [2] Scalar 1\n  2 [3] Scalar 2\n",
		"0 's' GeneralFunction softmax\n  1 [2,3] Array 0123456789ab\n",
		"\x00\xff\xfe garbage",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		file := filepath.Join(dir, "in.circ")
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"print", file},
			{"eval", "-random-tensors", "-max-memory", "1000000", file},
		} {
			var out, errb bytes.Buffer
			code := run(args, &out, &errb)
			stderr := errb.String()
			if strings.Contains(stderr, "internal error") {
				t.Fatalf("%v: %s", args, stderr)
			}
			if code != 0 && code != 1 {
				t.Fatalf("%v: exit %d: %s", args, code, stderr)
			}
			if code == 1 && stderr == "" {
				t.Fatalf("%v: exit 1 without a message", args)
			}
			for _, line := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
				if line != "" && !strings.HasPrefix(line, file+":") {
					t.Fatalf("%v: stderr line does not name the file: %q", args, line)
				}
			}
			if code == 0 && args[0] == "eval" {
				checkNaiveAgrees(t, file, src)
			}
			if code == 0 && args[0] == "print" {
				checkPrintIsCanonical(t, dir, file, out.Bytes())
			}
		}
	})
}

// checkPrintIsCanonical checks that print's output is canonical: printing it
// again gives the same bytes. Its Arrays are printed as content hashes whose
// tensors the first print saved in the default store (TestMain's), where
// the second print finds them.
func checkPrintIsCanonical(t *testing.T, dir, file string, printed []byte) {
	t.Helper()
	p2 := filepath.Join(dir, "again.circ")
	if err := os.WriteFile(p2, printed, 0o644); err != nil {
		t.Fatal(err)
	}
	var out2, err2 bytes.Buffer
	if c := run([]string{"print", p2}, &out2, &err2); c != 0 {
		t.Fatalf("print of print's output failed (%d): %s\ninput:\n%s", c, err2.String(), printed)
	}
	if !bytes.Equal(out2.Bytes(), printed) {
		t.Fatalf("printing print's output changed it:\nfirst:\n%s\nsecond:\n%s", printed, out2.Bytes())
	}
}

// checkNaiveAgrees evaluates file in float64 compiled and naive: both must
// succeed (the compiled one did in float32) and agree within a tolerance
// that allows for reordered sums.
func checkNaiveAgrees(t *testing.T, file, src string) {
	t.Helper()
	type result struct {
		Outputs []struct {
			Name  string `json:"name"`
			Shape []int  `json:"shape"`
			Data  []any  `json:"data"`
		} `json:"outputs"`
	}
	var res [2]result
	for i, naive := range []bool{false, true} {
		args := []string{"eval", "-random-tensors", "-dtype", "float64", "-format", "json", "-max-memory", "1000000", file}
		if naive {
			args = append(args[:1], append([]string{"-naive"}, args[1:]...)...)
		}
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 0 {
			if msg := errb.String(); strings.Contains(msg, "needs about") || strings.Contains(msg, "above the limit") {
				return // the memory limit, which float64 or the naive evaluator reach first
			}
			t.Fatalf("%v: exit %d after float32 compiled eval succeeded: %s\ninput:\n%s", args, code, errb.String(), src)
		}
		if err := json.Unmarshal(out.Bytes(), &res[i]); err != nil {
			t.Fatalf("%v: bad json %q: %v", args, out.String(), err)
		}
	}
	a, b := res[0].Outputs, res[1].Outputs
	if len(a) != len(b) {
		t.Fatalf("compiled has %d outputs, naive %d\ninput:\n%s", len(a), len(b), src)
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Data) != len(b[i].Data) {
			t.Fatalf("output %d: compiled %q (%d values), naive %q (%d values)\ninput:\n%s", i, a[i].Name, len(a[i].Data), b[i].Name, len(b[i].Data), src)
		}
		for j := range a[i].Data {
			x, xok := a[i].Data[j].(float64)
			y, yok := b[i].Data[j].(float64)
			if xok != yok || (!xok && a[i].Data[j] != b[i].Data[j]) {
				// a non-finite value on one side only: tolerate overflow
				// differences from reordering only when the other is huge.
				if xok && math.Abs(x) > 1e300 || yok && math.Abs(y) > 1e300 {
					continue
				}
				t.Fatalf("output %q[%d]: compiled %v, naive %v\ninput:\n%s", a[i].Name, j, a[i].Data[j], b[i].Data[j], src)
			}
			if xok && math.Abs(x-y) > 1e-6*(1+math.Abs(y)) {
				t.Fatalf("output %q[%d]: compiled %v, naive %v\ninput:\n%s", a[i].Name, j, x, y, src)
			}
		}
	}
}
