package main

import (
	"archive/zip"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlpodyssey/safetensors"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// writeNpz writes an .npz holding the named float64 vectors.
func writeNpz(t *testing.T, path string, vecs map[string][]float64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, v := range vecs {
		x, err := tensor.FromFloat64([]int{len(v)}, v)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(name + ".npy")
		if err != nil {
			t.Fatal(err)
		}
		if err := weights.WriteNpy(w, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeSafetensors writes a safetensors file of float32 matrices.
func writeSafetensors(t *testing.T, path string, mats map[string][]float32, rows int) {
	t.Helper()
	views := map[string]safetensors.TensorView{}
	for name, v := range mats {
		raw := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
		}
		tv, err := safetensors.NewTensorView(safetensors.F32, []uint64{uint64(rows), uint64(len(v) / rows)}, raw)
		if err != nil {
			t.Fatal(err)
		}
		views[name] = tv
	}
	data, err := safetensors.Serialize(views, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTensorsAddFormatsAndLs(t *testing.T) {
	dir := t.TempDir()
	npy := saveNpy(t, dir, "v.npy", []int{2}, []float64{3, -2})
	npz := filepath.Join(dir, "w.npz")
	writeNpz(t, npz, map[string][]float64{"b": {1, 2, 3}, "a": {3, -2}})
	st := filepath.Join(dir, "w.safetensors")
	writeSafetensors(t, st, map[string][]float32{"m": {1, 2, 3, 4, 5, 6}}, 2)
	store := filepath.Join(dir, "store")

	out, errs, code := runCLI(t, "tensors", "add", "-store", store, npy, npz, st)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	wantNames := []string{npy, npz + ":a", npz + ":b", st + ":m"}
	if len(lines) != len(wantNames) {
		t.Fatalf("printed %d lines, want %d:\n%s", len(lines), len(wantNames), out)
	}
	hashOf := map[string]string{}
	for i, l := range lines {
		h, name, _ := strings.Cut(l, " ")
		if len(h) != 64 || name != wantNames[i] {
			t.Errorf("line %d = %q, want <hash> %s", i, l, wantNames[i])
		}
		hashOf[name] = h
	}
	// v.npy and w.npz:a are the same tensor: one file, two names.
	if hashOf[npy] != hashOf[npz+":a"] {
		t.Errorf("equal tensors got hashes %s and %s", hashOf[npy], hashOf[npz+":a"])
	}
	if _, err := os.Stat(filepath.Join(store, hashOf[st+":m"]+".npy")); err != nil {
		t.Errorf("safetensors tensor not stored: %v", err)
	}

	out, errs, code = runCLI(t, "tensors", "ls", "-store", store)
	if code != 0 {
		t.Fatalf("ls: exit %d: %s", code, errs)
	}
	for _, want := range []string{
		hashOf[npy] + " float64 [2] " + npy + ", " + npz + ":a\n",
		hashOf[npz+":b"] + " float64 [3] " + npz + ":b\n",
		hashOf[st+":m"] + " float32 [2,3] " + st + ":m\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ls lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 3 {
		t.Errorf("ls printed %d lines, want 3:\n%s", n, out)
	}
}

func TestTensorsAddTorch(t *testing.T) {
	pt := filepath.Join("..", "..", "..", "shared", "remix", "model_b.pickle")
	if _, err := os.Stat(pt); err != nil {
		t.Skip("../shared/remix not present: ", err)
	}
	out, errs, code := runCLI(t, "tensors", "add", "-store", t.TempDir(), pt)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, k := range []string{"first.bias", "first.weight", "last.bias", "last.weight"} {
		if !strings.Contains(out, " "+pt+":"+k+"\n") {
			t.Errorf("no %s in\n%s", k, out)
		}
	}
}

func TestTensorsBadInput(t *testing.T) {
	dir := cliFixture(t)
	writeFile(t, dir, "bad.safetensors", "\x08\x00\x00\x00\x00\x00\x00\x00{}garbage")
	store := filepath.Join(dir, "store")
	if err := os.Mkdir(store, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, store, "names.tsv", "nothash\tx\n")
	for _, c := range []cliCase{
		{name: "bad safetensors", args: []string{"tensors", "add", "-store", "{dir}/s2", "{dir}/bad.safetensors"}, code: 1, errs: []string{"{dir}/bad.safetensors: safetensors: "}},
		{name: "ls missing store", args: []string{"tensors", "ls", "-store", "{dir}/none"}, code: 1, errs: []string{"{dir}/none: tensor store: no such file or directory"}},
		{name: "ls bad index", args: []string{"tensors", "ls", "-store", "{dir}/store"}, code: 1, errs: []string{"{dir}/store/names.tsv:1: want"}},
		{name: "ls extra arg", args: []string{"tensors", "ls", "-store", "{dir}/store", "x"}, code: 2, errs: []string{"circopt tensors: takes no arguments"}},
		{name: "unknown subcommand", args: []string{"tensors", "rm"}, code: 2, errs: []string{"circopt tensors: want the subcommand add or ls"}},
	} {
		t.Run(c.name, func(t *testing.T) { runCase(t, c, dir) })
	}
}
