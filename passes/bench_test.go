package passes

import (
	"fmt"
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/passes/internal/order"
	"github.com/circopt/circopt/tensor"
)

// bigProgram builds a residual stack of blocks, each 10 values: a
// two-matrix einsum chain through a permuted, scaled weight, a unary
// function, a sum with a duplicate and a zero, and a sliced read-out —
// work for every pass. blocks=1250 gives 10,000+ values.
func bigProgram(blocks int) *ir.Program {
	b := ir.NewBuilder()
	ty := func(s ...int) ir.Type { return ir.Type{DType: tensor.Float32, Shape: s} }
	h, _ := b.Input("h0", ty(8, 16))
	zero, _ := b.Scalar(0, ty(16))
	var outs []int
	for i := range blocks {
		w, _ := b.Input(fmt.Sprintf("w%d", i), ty(32, 16))
		wt, _ := b.Add(ir.OpPermute, ir.Attrs{"perm": []int{1, 0}}, w)
		ws, _ := b.Add(ir.OpScale, ir.Attrs{"factor": 0.5}, wt)
		u, _ := b.Add(ir.OpEinsum, ir.Attrs{"spec": "ab,bc->ac"}, h, ws)
		v, err := b.Add(ir.OpEinsum, ir.Attrs{"spec": "ac,cd->ad"}, u, w)
		if err != nil {
			panic(err) // a bug in this generator
		}
		g, _ := b.Add(ir.OpGelu, nil, v)
		g2, _ := b.Add(ir.OpGelu, nil, v) // a duplicate for cse
		s, err := b.Add(ir.OpAdd, nil, h, g, g2, zero)
		if err != nil {
			panic(err)
		}
		h = s
		if i%100 == 99 {
			o, _ := b.Add(ir.OpSlice, ir.Attrs{"starts": []int{0, 0}, "stops": []int{1, 16}}, h)
			outs = append(outs, o)
		}
	}
	for i, o := range outs {
		b.Output(fmt.Sprintf("probe%d", i), o)
	}
	b.Output("h", h)
	return b.Build()
}

// TestPipeline10k runs 10,000+ values through the whole pipeline and logs
// each pass; the time is BenchmarkPipeline10k's figure, not asserted here.
func TestPipeline10k(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	p := bigProgram(1250)
	q, rep, err := Run(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d values -> %d", len(p.Values), len(q.Values))
	for _, s := range rep.Passes {
		t.Logf("  %-15s %6d values %8.1f ms", s.Name, s.ValuesAfter, s.Ms)
	}
	if len(p.Values) < 10000 {
		t.Fatalf("only %d values", len(p.Values))
	}
}

func BenchmarkPipeline10k(b *testing.B) {
	p := bigProgram(1250)
	b.ReportMetric(float64(len(p.Values)), "values")
	for b.Loop() {
		if _, _, err := Run(p, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkContractionOrder plans ab,cd,bc,de->ae (a=10, b=1000, c=10,
// d=1000, e=10) and reports the chosen and left-to-right FLOPs.
func BenchmarkContractionOrder(b *testing.B) {
	sizes := map[int]int{0: 10, 1: 1000, 2: 10, 3: 1000, 4: 10}
	for _, c := range []struct {
		name string
		ops  [][]int
	}{
		{"ab,bc,cd,de", [][]int{{0, 1}, {1, 2}, {2, 3}, {3, 4}}},
		{"ab,cd,bc,de", [][]int{{0, 1}, {2, 3}, {1, 2}, {3, 4}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			prob := order.Problem{Output: []int{0, 4}, Sizes: sizes}
			for _, o := range c.ops {
				prob.Operands = append(prob.Operands, order.Operand{Labels: o})
			}
			naive, _ := order.LeftToRight(prob)
			var chosen order.Path
			for b.Loop() {
				chosen, _ = order.Plan(prob)
			}
			b.ReportMetric(chosen.FLOPs, "chosen-flops")
			b.ReportMetric(naive.FLOPs, "left-to-right-flops")
			b.ReportMetric(naive.FLOPs/chosen.FLOPs, "x-fewer")
		})
	}
}

// BenchmarkEinsumPass runs the einsum pass alone on the chain program.
func BenchmarkEinsumPass(b *testing.B) {
	p, err := ir.Parse("chain", []byte(chainIR), nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := einsumFusion(p, &Context{}); err != nil {
			b.Fatal(err)
		}
	}
}
