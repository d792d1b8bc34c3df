package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// evalJSON is eval's -format json output with finite data.
type evalJSON struct {
	Outputs []struct {
		Name  string    `json:"name"`
		Shape []int     `json:"shape"`
		DType string    `json:"dtype"`
		Data  []float64 `json:"data"`
	} `json:"outputs"`
}

func decodeEvalJSON(t *testing.T, out string) evalJSON {
	t.Helper()
	var got evalJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("bad eval json %q: %v", out, err)
	}
	return got
}

// runCLI runs the command in-process and returns stdout, stderr and the exit status.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func saveNpy(t *testing.T, dir, name string, shape []int, data []float64) string {
	t.Helper()
	x, err := tensor.FromFloat64(shape, data)
	return saveTensor(t, dir, name, x, err)
}

// saveInt64s writes int64 ids (token ids, indices) of the given shape.
func saveInt64s(t *testing.T, dir, name string, shape []int, ids []int64) string {
	t.Helper()
	x, err := tensor.FromInt64(shape, ids)
	return saveTensor(t, dir, name, x, err)
}

// saveTensor writes x (built with error err) to dir/name as .npy.
func saveTensor(t *testing.T, dir, name string, x *tensor.Tensor, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := weights.SaveNpy(p, x); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEvalMLPFromStore stores an MLP's weights, writes the MLP in the text
// format referring to them by hash prefix, and checks eval's JSON against
// the same MLP computed with gonum's mat.
func TestEvalMLPFromStore(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	xs := []float64{0.5, -1, 2}
	w1 := []float64{1, 0.5, -1, 2, -0.25, 0.75, -1.5, 1, 0.1, 0.3, 0.2, -0.4}
	b1 := []float64{0.1, -0.2, 0.3, 0.05}
	w2 := []float64{0.3, -0.7, 1.1, 0.2, -0.6, 0.4, 0.9, -1.2}
	b2 := []float64{0.01, -0.02}
	files := []string{
		saveNpy(t, dir, "x.npy", []int{3}, xs),
		saveNpy(t, dir, "w1.npy", []int{4, 3}, w1),
		saveNpy(t, dir, "b1.npy", []int{4}, b1),
		saveNpy(t, dir, "w2.npy", []int{2, 4}, w2),
		saveNpy(t, dir, "b2.npy", []int{2}, b2),
	}
	out, stderr, code := runCLI(t, append([]string{"tensors", "add", "-store", store}, files...)...)
	if code != 0 {
		t.Fatalf("tensors add: %d %s", code, stderr)
	}
	hash := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		h, f, ok := strings.Cut(line, " ")
		if !ok || len(h) != 64 {
			t.Fatalf("bad tensors add line %q", line)
		}
		hash[strings.TrimSuffix(filepath.Base(f), ".npy")] = h[:12]
	}
	src := fmt.Sprintf(`0 'logits' Add
  1 'l2' Einsum h,oh->o
    2 GeneralFunction relu
      3 'l1' Add
        4 Einsum i,hi->h
          5 'x' Array %s
          6 'w1' Array %s
        7 'b1' Array %s
    8 'w2' Array %s
  9 'b2' Array %s
`, hash["x"], hash["w1"], hash["b1"], hash["w2"], hash["b2"])
	circ := writeFile(t, dir, "mlp.circ", src)
	for _, naive := range []bool{false, true} {
		args := []string{"eval", "-format", "json", "-dtype", "float64", "-tensors", store}
		if naive {
			args = append(args, "-naive")
		}
		out, stderr, code = runCLI(t, append(args, circ)...)
		if code != 0 {
			t.Fatalf("eval: %d %s", code, stderr)
		}
		got := decodeEvalJSON(t, out)
		// independent computation: relu(W1 x + b1), then W2 h + b2
		h := mat.NewVecDense(4, nil)
		h.MulVec(mat.NewDense(4, 3, w1), mat.NewVecDense(3, xs))
		h.AddVec(h, mat.NewVecDense(4, b1))
		for i := 0; i < 4; i++ {
			h.SetVec(i, math.Max(0, h.AtVec(i)))
		}
		y := mat.NewVecDense(2, nil)
		y.MulVec(mat.NewDense(2, 4, w2), h)
		y.AddVec(y, mat.NewVecDense(2, b2))
		if len(got.Outputs) != 1 || got.Outputs[0].Name != "logits" || got.Outputs[0].DType != "float64" ||
			len(got.Outputs[0].Shape) != 1 || got.Outputs[0].Shape[0] != 2 {
			t.Fatalf("outputs %+v", got.Outputs)
		}
		for i := 0; i < 2; i++ {
			if d := math.Abs(got.Outputs[0].Data[i] - y.AtVec(i)); d > 1e-12 {
				t.Errorf("naive=%v logits[%d] = %v, want %v", naive, i, got.Outputs[0].Data[i], y.AtVec(i))
			}
		}
	}
}

func TestExitStatuses(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.circ", "0 'a' [2] Scalar 1.5\n")
	bad := writeFile(t, dir, "bad.circ", "0 'a' [2] Scalar 1.5\n  1 'b' Bogus\n")
	free := writeFile(t, dir, "free.circ", "0 'y' Add\n  1 'x' [2] Symbol 6f1c1e0a-8a3e-4d9b-9d7e-2f7f0e0b9a11\n")
	cases := []struct {
		args     []string
		code     int
		errMatch string
	}{
		{[]string{}, 2, "usage"},
		{[]string{"nosuch"}, 2, "unknown command"},
		{[]string{"print"}, 2, "FILE"},
		{[]string{"eval", "-dtype", "int8", good}, 2, "dtype"},
		{[]string{"eval", "-format", "xml", good}, 2, "format"},
		{[]string{"print", "-nosuchflag", good}, 2, ""},
		{[]string{"print", good}, 0, ""},
		{[]string{"eval", good}, 0, ""},
		{[]string{"print", bad}, 1, bad + ":2:"},
		{[]string{"print", filepath.Join(dir, "missing.circ")}, 1, "missing.circ"},
		{[]string{"eval", free}, 1, "unbound Symbol"},
		{[]string{"eval", "-bind", "x", free}, 2, "NAME=FILE"},
	}
	for _, c := range cases {
		_, stderr, code := runCLI(t, c.args...)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d (stderr %q)", c.args, code, c.code, stderr)
		}
		if c.errMatch != "" && !strings.Contains(stderr, c.errMatch) {
			t.Errorf("%v: stderr %q does not mention %q", c.args, stderr, c.errMatch)
		}
	}
}

func TestEvalBind(t *testing.T) {
	dir := t.TempDir()
	free := writeFile(t, dir, "free.circ", "0 'y' Einsum a,a->a\n  1 'x' [2] Symbol 6f1c1e0a-8a3e-4d9b-9d7e-2f7f0e0b9a11\n  1\n")
	x := saveNpy(t, dir, "x.npy", []int{2}, []float64{3, -2})
	out, stderr, code := runCLI(t, "eval", "-bind", "x="+x, free)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "[9 4]") {
		t.Errorf("x*x printed as %q", out)
	}
	wrong := saveNpy(t, dir, "w.npy", []int{3}, []float64{1, 2, 3})
	_, stderr, code = runCLI(t, "eval", "-bind", "x="+wrong, free)
	if code != 1 || !strings.Contains(stderr, "shape") {
		t.Errorf("wrong-shape binding: exit %d %q", code, stderr)
	}
}

func TestPrintFixedPoint(t *testing.T) {
	dir := t.TempDir()
	src := `# shared node, comments and arrows
0 'top' Add
├‣1 'x' [2] Scalar 1   # a comment
└‣2 'e' Einsum a,a->a
│ ├‣1
  └‣1
`
	p := writeFile(t, dir, "in.circ", src)
	out1, stderr, code := runCLI(t, "print", p)
	if code != 0 {
		t.Fatalf("print: %d %s", code, stderr)
	}
	p2 := writeFile(t, dir, "out.circ", out1)
	out2, _, code := runCLI(t, "print", p2)
	if code != 0 || out1 != out2 {
		t.Fatalf("print is not a fixed point:\n%s\n---\n%s", out1, out2)
	}
	if strings.Count(out1, "Scalar") != 1 {
		t.Errorf("shared node printed twice:\n%s", out1)
	}
}
