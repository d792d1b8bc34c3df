package bench

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// Whole-process figures (one command, medians over -count):
//
//	go test ./bench -run '^$' -bench Process -benchtime 3x -count 5
//
// ProcessMatmul/eval vs ProcessMatmul/sgemmref: `circopt eval` of the
// 2048² matmul-and-sum against a Go program doing the same Sgemm (target:
// within 1.3x); ProcessChain/eval vs /naive: the four-matrix chain
// (target: >= 20x); ProcessSplit: where eval's time goes.

const processN = 2048

// processSetup builds the binaries and writes the fixture.
func processSetup(b *testing.B) (fx *ProcessFixture, circopt, sgemmref string) {
	b.Helper()
	dir := b.TempDir()
	circopt, sgemmref = filepath.Join(dir, "circopt"), filepath.Join(dir, "sgemmref")
	for bin, pkg := range map[string]string{circopt: "../cmd/circopt", sgemmref: "./cmd/sgemmref"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	fx, err := WriteProcessFixture(dir, processN)
	if err != nil {
		b.Fatal(err)
	}
	return fx, circopt, sgemmref
}

func runProcess(b *testing.B, name string, args ...string) {
	b.Helper()
	b.ResetTimer()
	for b.Loop() {
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			b.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
}

func BenchmarkProcessMatmul(b *testing.B) {
	fx, circopt, sgemmref := processSetup(b)
	b.Run("eval", func(b *testing.B) { runProcess(b, circopt, "eval", "-tensors", fx.Store, fx.Matmul) })
	b.Run("sgemmref", func(b *testing.B) { runProcess(b, sgemmref, fx.A, fx.B) })
}

func BenchmarkProcessChain(b *testing.B) {
	fx, circopt, _ := processSetup(b)
	b.Run("eval", func(b *testing.B) { runProcess(b, circopt, "eval", "-tensors", fx.Store, fx.Chain) })
	b.Run("naive", func(b *testing.B) { runProcess(b, circopt, "eval", "-naive", "-tensors", fx.Store, fx.Chain) })
}

// BenchmarkProcessSplit times eval's three phases in this process: load
// (parse, resolving the store), compile and run.
func BenchmarkProcessSplit(b *testing.B) {
	dir := b.TempDir()
	fx, err := WriteProcessFixture(dir, processN)
	if err != nil {
		b.Fatal(err)
	}
	for _, file := range []string{fx.Matmul, fx.Chain} {
		name := filepath.Base(file)
		load := func() []circuit.Circuit {
			st, err := weights.OpenStore(fx.Store)
			if err != nil {
				b.Fatal(err)
			}
			cs, err := circuit.ParseFile(file, circuit.ParseOptions{File: file, Store: st, DType: tensor.Float32})
			if err != nil {
				b.Fatal(err)
			}
			return cs
		}
		cs := load()
		b.Run(name+"/load", func(b *testing.B) {
			for b.Loop() {
				load()
			}
		})
		b.Run(name+"/compile", func(b *testing.B) {
			for b.Loop() {
				if _, err := circopt.Compile(cs, circopt.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		plan, err := circopt.Compile(cs, circopt.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/run", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := plan.Run(nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestProcessFixture checks the figure's two programs agree.
func TestProcessFixture(t *testing.T) {
	fx, err := WriteProcessFixture(t.TempDir(), 64)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := weights.OpenStore(fx.Store)
	cs, err := circuit.ParseFile(fx.Matmul, circuit.ParseOptions{File: fx.Matmul, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	got, err := circopt.Evaluate(cs[0], nil, circopt.Options{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := weights.LoadNpy(fx.A)
	bm, _ := weights.LoadNpy(fx.B)
	var want float64
	av, bv := a.Float64s(), bm.Float64s()
	for i := range 64 {
		for k := range 64 {
			for j := range 64 {
				want += av[i*64+k] * bv[k*64+j]
			}
		}
	}
	if g := got.Float64s()[0]; g-want > 1e-6*max(1, want) || want-g > 1e-6*max(1, want) {
		t.Fatalf("circuit %g, direct %g", g, want)
	}
	chain, err := circuit.ParseFile(fx.Chain, circuit.ParseOptions{File: fx.Chain, Store: st})
	if err != nil || len(chain) != 1 || len(chain[0].Shape()) != 2 || chain[0].Shape()[0] != 10 {
		t.Fatalf("chain: %v %v", chain, err)
	}
}
