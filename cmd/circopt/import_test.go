package main

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nlpodyssey/safetensors"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

var gpt2Dir = filepath.Join("..", "..", "testdata", "gpt2")

// importTiny imports the small test GPT-2 into dir and returns the model
// file and the store.
func importTiny(t *testing.T, dir string, extra ...string) (model, store string) {
	t.Helper()
	store = filepath.Join(dir, "store")
	args := append([]string{"import", "gpt2", "-store", store}, extra...)
	out, errs, code := runCLI(t, append(args, filepath.Join(gpt2Dir, "tiny.safetensors"))...)
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, "# info:{") || !strings.Contains(out, "'t.bind_w' Module") || !strings.Contains(out, "'a1.w.q_arr' [4,16,64] Array ") {
		t.Fatalf("import output lacks the info header, the module or a weight symbol:\n%.400s", out)
	}
	return writeFile(t, dir, "model.circ", out), store
}

func bindTiny(t *testing.T, dir, model, store, name string, flags ...string) string {
	t.Helper()
	args := append([]string{"bind", "-tensors", store, "-tokens", filepath.Join(gpt2Dir, "tokens.npy")}, flags...)
	out, errs, code := runCLI(t, append(args, model)...)
	if code != 0 {
		t.Fatalf("bind %v: exit %d: %s", flags, code, errs)
	}
	return writeFile(t, dir, name, out)
}

func evalData(t *testing.T, store, file string) []float64 {
	t.Helper()
	out, errs, code := runCLI(t, "eval", "-tensors", store, "-format", "json", file)
	if code != 0 {
		t.Fatalf("eval %s: exit %d: %s", file, code, errs)
	}
	return decodeEvalJSON(t, out).Outputs[0].Data
}

func maxDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

func referenceData(t *testing.T, name string) []float64 {
	t.Helper()
	x, err := weights.LoadNpy(filepath.Join(gpt2Dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return x.Cast(tensor.Float64).Float64s()
}

func TestImportBindEvalMatchesPyTorch(t *testing.T) {
	dir := t.TempDir()
	model, store := importTiny(t, dir)
	logits := evalData(t, store, bindTiny(t, dir, model, store, "call.circ"))
	if d := maxDiff(logits, referenceData(t, "logits.npy")); d > 1e-4 {
		t.Errorf("logits differ from PyTorch's by %g", d)
	}
	loss := evalData(t, store, bindTiny(t, dir, model, store, "loss.circ", "-loss"))
	if d := maxDiff(loss, referenceData(t, "loss.npy")); d > 1e-4 {
		t.Errorf("loss differs from PyTorch's by %g", d)
	}

	split := bindTiny(t, dir, model, store, "split.circ", "-split-heads", "-split-positions")
	if d := maxDiff(evalData(t, store, split), logits); d > 1e-4 {
		t.Errorf("splitting heads and positions changed the logits by %g", d)
	}
	out, errs, code := runCLI(t, "get", "-tensors", store, "'a1.h3'", split)
	if code != 0 || !strings.HasSuffix(strings.TrimSpace(out), "'a1.h3'") || strings.Count(out, "\n") != 1 {
		t.Fatalf("get 'a1.h3': exit %d, %q %s", code, out, errs)
	}
	// Zeroing head a1.h3's view of the input changes the logits.
	zero := writeFile(t, dir, "zero.circ", "'z' [2,16,64] Scalar 0\n")
	out, errs, code = runCLI(t, "patch", "-tensors", store, "-at", "'a1.h3' >> 't.input'", "-with", zero, split)
	if code != 0 {
		t.Fatalf("patch: exit %d: %s", code, errs)
	}
	if d := maxDiff(evalData(t, store, writeFile(t, dir, "patched.circ", out)), logits); d < 1e-3 {
		t.Errorf("patching a1.h3's input changed the logits by only %g", d)
	}
}

func TestImportBindBadInput(t *testing.T) {
	dir := t.TempDir()
	model, store := importTiny(t, dir)
	bad := func(what, want string, args ...string) {
		t.Helper()
		_, errs, code := runCLI(t, args...)
		if code != 1 || !strings.Contains(errs, want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and one line containing %q", what, code, errs, want)
		}
	}
	bad("heads", "head count 5 does not divide the hidden size 64",
		"import", "gpt2", "-store", store, "-heads", "5", filepath.Join(gpt2Dir, "tiny.safetensors"))
	sd, err := weights.Load(filepath.Join(gpt2Dir, "tiny.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	delete(sd, "transformer.h.1.mlp.c_fc.bias")
	bad("missing", `missing.safetensors: state dict has no tensor "transformer.h.1.mlp.c_fc.bias"`,
		"import", "gpt2", "-store", store, "-heads", "4", saveStateDict(t, dir, "missing.safetensors", sd))
	sd["transformer.h.1.mlp.c_fc.bias"], _ = tensor.Zeros(tensor.Float32, []int{256})
	sd["transformer.h.0.attn.c_proj.weight"], _ = tensor.Zeros(tensor.Float32, []int{64, 63})
	bad("misshaped", `misshaped.safetensors: tensor "transformer.h.0.attn.c_proj.weight" has shape [64 63], want [64 64]`,
		"import", "gpt2", "-store", store, "-heads", "4", saveStateDict(t, dir, "misshaped.safetensors", sd))
	ids := func(name string, shape []int, v []int64) string { return saveInt64s(t, dir, name, shape, v) }
	bad("vocab", "token id 101 at position [0, 2] is outside the vocabulary of 101",
		"bind", "-tensors", store, "-tokens", ids("v.npy", []int{1, 3}, []int64{0, 1, 101}), model)
	bad("length", "sequence of 40 tokens is longer than the positional table (32 positions)",
		"bind", "-tensors", store, "-tokens", ids("l.npy", []int{40}, make([]int64, 40)), model)
	// GPT-2's BPE makes "Hello" token 15496, beyond the tiny vocabulary.
	bad("text", "token id 15496 at position 0 is outside the vocabulary of 101",
		"bind", "-tensors", store, "-text", "Hello world", model)
}

// saveStateDict writes float32 tensors as a safetensors file in dir.
func saveStateDict(t *testing.T, dir, name string, sd map[string]*tensor.Tensor) string {
	t.Helper()
	views := map[string]safetensors.TensorView{}
	for k, v := range sd {
		var data []byte
		for _, x := range v.Float32s() {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(x))
		}
		shape := make([]uint64, v.Rank())
		for i, d := range v.Shape() {
			shape[i] = uint64(d)
		}
		tv, err := safetensors.NewTensorView(safetensors.F32, shape, data)
		if err != nil {
			t.Fatal(err)
		}
		views[k] = tv
	}
	b, err := safetensors.Serialize(views, nil)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, string(b))
}

// -text uses GPT-2's BPE from the binary: "Hello world" is [15496, 995].
func TestBindTextTokenizesLikeGPT2(t *testing.T) {
	got, err := loadTokens("", "Hello world, it's me")
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{15496, 995, 11, 340, 338, 502}
	if !slices.Equal(got.Int64s(), want) {
		t.Errorf("ids %v, want %v", got.Int64s(), want)
	}
}
