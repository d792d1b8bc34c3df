package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// evalManyFixture writes two files that reuse idents 0 and 1 for different
// nodes: parsed together they would clash, parsed separately they do not.
func evalManyFixture(t *testing.T) (dir, a, b string) {
	dir = t.TempDir()
	a = writeFile(t, dir, "a.circ", "0 's' Add\n  1 'one' [2] Scalar 1\n  1\n")
	b = writeFile(t, dir, "b.circ", "0 's' Einsum a,->a\n  1 'three' [2] Scalar 3\n  2 [] Scalar 0.5\n3 'c' [] Scalar 0.1\n")
	return dir, a, b
}

func TestEvalManyFiles(t *testing.T) {
	dir, a, b := evalManyFixture(t)
	stdout, stderr, code := runCLI(t, "eval", a, b)
	want := "'" + a + ":s' [2] float32\n[2 2]\n'" + b + ":s' [2] float32\n[1.5 1.5]\n'" + b + ":c' [] float32\n[0.1]\n"
	if code != 0 || stdout != want {
		t.Fatalf("exit %d\n%s\nwant\n%s\nstderr: %s", code, stdout, want, stderr)
	}
	got := decodeEvalJSON(t, must(t, "eval", "-format", "json", "-dtype", "float64", a, b))
	var names []string
	for _, o := range got.Outputs {
		names = append(names, o.Name)
	}
	if !reflect.DeepEqual(names, []string{a + ":s", b + ":s", b + ":c"}) || !reflect.DeepEqual(got.Outputs[2].Data, []float64{0.1}) {
		t.Errorf("json outputs %+v", got.Outputs)
	}
	// One file keeps the bare names.
	if got := decodeEvalJSON(t, must(t, "eval", "-format", "json", b)); got.Outputs[0].Name != "s" {
		t.Errorf("one file named its output %q, want s", got.Outputs[0].Name)
	}

	npz := filepath.Join(dir, "out.npz")
	if out := must(t, "eval", "-dtype", "float64", "-o", npz, a, b); out != "" {
		t.Errorf("-o printed %q", out)
	}
	m, err := weights.LoadNpz(npz)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 3 || !reflect.DeepEqual(m[a+":s"].Float64s(), []float64{2, 2}) ||
		!reflect.DeepEqual(m[b+":s"].Float64s(), []float64{1.5, 1.5}) || m[b+":c"].DType() != tensor.Float64 || len(m[b+":c"].Shape()) != 0 {
		t.Errorf("npz holds %v", m)
	}

	npy := filepath.Join(dir, "one.npy")
	must(t, "eval", "-o", npy, a)
	x, err := weights.LoadNpy(npy)
	if err != nil {
		t.Fatal(err)
	}
	if x.DType() != tensor.Float32 || !reflect.DeepEqual(x.Float32s(), []float32{2, 2}) {
		t.Errorf("npy holds %v", x)
	}
}

func TestEvalManyErrors(t *testing.T) {
	dir, a, b := evalManyFixture(t)
	free := writeFile(t, dir, "free.circ", "0 'y' Add\n  1 'x' [2] Symbol "+uuidA+"\n")
	for _, c := range []cliCase{
		{name: "npy of many", args: []string{"eval", "-o", "{dir}/x.npy", b}, code: 2,
			errs: []string{"circopt eval: -o {dir}/x.npy: a .npy file holds one output, but there are 2; use a .npz file"}},
		{name: "other suffix", args: []string{"eval", "-o", "{dir}/x.txt", a}, code: 2,
			errs: []string{`circopt eval: -o must name a .npz file (or a .npy file for exactly one output), got "{dir}/x.txt"`}},
		{name: "unwritable", args: []string{"eval", "-o", "{dir}/nodir/x.npz", a}, code: 1,
			errs: []string{"{dir}/nodir/x.npz: no such file or directory"}},
		{name: "stdin twice", args: []string{"eval", "-", "-"}, code: 2, errs: []string{"circopt eval: standard input (-) can be given only once"}},
		{name: "free names its file", args: []string{"eval", a, free}, code: 1,
			errs: []string{"{dir}/free.circ: unbound Symbol 'x' of shape [2] (pass -bind x=FILE.npy or -random-symbols)"}},
	} {
		t.Run(c.name, func(t *testing.T) { runCase(t, c, dir) })
	}
	if _, err := os.Stat(filepath.Join(dir, "x.npy")); err == nil {
		t.Error("a refused -o still wrote its file")
	}
}

// -random-symbols draws exactly what verify draws: randomBindings' values.
func TestEvalRandomSymbols(t *testing.T) {
	dir := t.TempDir()
	src := "0 'x' [3] Symbol " + uuidA + "\n"
	f := writeFile(t, dir, "x.circ", src)
	cs, err := circuit.ParseCircuits(src, circuit.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := randomBindings(cs, nil, 7)
	if err != nil {
		t.Fatal(err)
	}
	got := decodeEvalJSON(t, must(t, "eval", "-dtype", "float64", "-random-symbols", "-seed", "7", "-format", "json", f))
	if !reflect.DeepEqual(got.Outputs[0].Data, want["x"].Float64s()) {
		t.Errorf("got %v, want %v", got.Outputs[0].Data, want["x"].Float64s())
	}
	other := decodeEvalJSON(t, must(t, "eval", "-dtype", "float64", "-random-symbols", "-seed", "8", "-format", "json", f))
	if reflect.DeepEqual(other.Outputs[0].Data, got.Outputs[0].Data) {
		t.Error("-seed does not change the draw")
	}
	// A -bind still wins over the draw.
	x := saveNpy(t, dir, "x.npy", []int{3}, []float64{1, 2, 3})
	bound := decodeEvalJSON(t, must(t, "eval", "-random-symbols", "-bind", "x="+x, "-format", "json", f))
	if !reflect.DeepEqual(bound.Outputs[0].Data, []float64{1, 2, 3}) {
		t.Errorf("bound: %v", bound.Outputs[0].Data)
	}
}

// must runs the CLI and fails the test unless it exits 0.
func must(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	return stdout
}
