package passes

import (
	"fmt"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/lower"
	"github.com/circopt/circopt/tensor"
)

// manyOutputsCircuit is a circuit file of n top-level outputs, each a small
// 'oI' Add of two of three shared leaves (two Symbols and a Scalar): about
// 25 bytes per output, so 50,000 outputs are about 1 MB of text.
func manyOutputsCircuit(n int) string {
	leaves := []string{"'x'", "'y'", "'s'"}
	var sb strings.Builder
	sb.WriteString("'x' [4] Symbol\n'y' [4] Symbol\n's' [4] Scalar 2\n")
	for i := range n {
		fmt.Fprintf(&sb, "'o%d' Add\n  %s\n  %s\n", i, leaves[i%3], leaves[(i/3+1)%3])
	}
	return sb.String()
}

// compileManyOutputs parses, lowers and optimizes manyOutputsCircuit(n).
func compileManyOutputs(t testing.TB, n int) *ir.Program {
	t.Helper()
	cs, err := circuit.ParseCircuits(manyOutputsCircuit(n), circuit.ParseOptions{File: "many.circ", DType: tensor.Float32})
	if err != nil {
		t.Fatal(err)
	}
	p, err := lower.Lower(cs, lower.Options{DType: tensor.Float32})
	if err != nil {
		t.Fatal(err)
	}
	q, _, err := Run(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestManyOutputsCompile: 20,000 outputs compile (the work per output is
// constant: under a second of CPU; it took minutes when the builder and
// the use counts scanned the output list per output).
func TestManyOutputsCompile(t *testing.T) {
	q := compileManyOutputs(t, 20000)
	if len(q.Outputs) != 20000+3 { // the three top-level leaves are outputs too
		t.Fatalf("%d outputs", len(q.Outputs))
	}
	if len(q.Values) > 20 {
		t.Fatalf("%d values: the outputs share their nine distinct sums", len(q.Values))
	}
}

func benchmarkManyOutputs(b *testing.B, n int) {
	for b.Loop() {
		compileManyOutputs(b, n)
	}
}

// BenchmarkManyOutputs5k and 50k: parse, lower and optimize n outputs;
// the 50k time is about 10x the 5k time (linear).
func BenchmarkManyOutputs5k(b *testing.B)  { benchmarkManyOutputs(b, 5000) }
func BenchmarkManyOutputs50k(b *testing.B) { benchmarkManyOutputs(b, 50000) }
