package passes

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/lower"
	"github.com/circopt/circopt/tensor"
)

// lowerFile parses a circuit file of testdata/fold with seeded random
// Arrays and lowers it at float64.
func lowerFile(t testing.TB, name string) *ir.Program {
	t.Helper()
	path := filepath.Join("testdata", "fold", name)
	cs, err := circuit.ParseFile(path, circuit.ParseOptions{File: path, RandomTensors: true, Seed: 7, DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	p, err := lower.Lower(cs, lower.Options{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConstfoldChainInCheapOrder: the early constfold refuses the naive
// 4-operand einsum (4e9 FLOPs); fusion splits it into pairwise products and
// the result is one const, equal to the unoptimized program's value.
func TestConstfoldChainInCheapOrder(t *testing.T) {
	p := lowerFile(t, "chain.circ")
	q0, err := constfold(p, &Context{})
	if err != nil {
		t.Fatal(err)
	}
	if countOps(q0, ir.OpEinsum) != 1 {
		t.Fatalf("constfold evaluated the naive chain:\n%s", q0)
	}
	start := time.Now()
	q, _, err := Run(p, Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second { // ~5 ms; the naive fold took ~10 s
		t.Errorf("compiling the chain took %v", d)
	}
	if len(q.Values) != 1 || q.Values[0].Op != ir.OpConst {
		t.Fatalf("chain of constants not folded to one const:\n%s", q)
	}
	// The reference: the chain as three pairwise products run by the
	// reference interpreter (its naive 4-operand einsum takes seconds).
	b := ir.NewBuilder()
	var ids []int
	for _, v := range p.Values {
		if v.Op == ir.OpConst {
			b.AddConstTensor(v.Attrs.String("hash"), p.Consts[v.Attrs.String("hash")])
			id, err := b.Copy(v)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
	}
	ac, _ := b.Add(ir.OpEinsum, ir.Attrs{"spec": "ab,bc->ac"}, ids[0], ids[1])
	ad, _ := b.Add(ir.OpEinsum, ir.Attrs{"spec": "ac,cd->ad"}, ac, ids[2])
	ae, err := b.Add(ir.OpEinsum, ir.Attrs{"spec": "ad,de->ae"}, ad, ids[3])
	if err != nil || len(ids) != 4 {
		t.Fatalf("reference program: %v, %d consts", err, len(ids))
	}
	b.Output("chain", ae)
	checkEquivalent(t, b.Build(), q, 1)
}

// TestConstfoldLeavesBigProducts: a constant matmul over the FLOP bound
// stays an einsum of two consts for the runtime.
func TestConstfoldLeavesBigProducts(t *testing.T) {
	p := lowerFile(t, "matmul.circ")
	q, _, err := Run(p, Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	if countOps(q, ir.OpEinsum) != 1 || countOps(q, ir.OpConst) != 2 {
		t.Fatalf("big constant product folded:\n%s", q)
	}
}

// TestConstfoldSumOfBigProduct: the sum of a big constant product folds,
// through fusion's pre-summed operands, without forming the product.
func TestConstfoldSumOfBigProduct(t *testing.T) {
	p := lowerFile(t, "matmul_total.circ")
	q, _, err := Run(p, Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Values) != 1 || q.Values[0].Op != ir.OpConst {
		t.Fatalf("sum of a constant product not folded:\n%s", q)
	}
	checkEquivalent(t, p, q, 1)
}

// TestFoldCost: the bounds the pass doc states.
func TestFoldCost(t *testing.T) {
	f64 := func(s ...int) ir.Type { return ir.Type{DType: tensor.Float64, Shape: s} }
	mm := ir.Attrs{"spec": "ab,bc->ac"}
	if f, ok := foldCost(ir.OpEinsum, mm, []ir.Type{f64(64, 64), f64(64, 64)}, f64(64, 64), 2*64*64*8); !ok || f != 2*64*64*64 {
		t.Errorf("64³ product: %d FLOPs, cheap %v", f, ok)
	}
	if _, ok := foldCost(ir.OpEinsum, mm, []ir.Type{f64(256, 256), f64(256, 256)}, f64(256, 256), 2*256*256*8); ok {
		t.Errorf("256³ product (3.4e7 FLOPs) is over maxFoldFLOPs")
	}
	if _, ok := foldCost(ir.OpBroadcast, nil, []ir.Type{f64(8)}, f64(1000, 8), 64); ok {
		t.Errorf("a broadcast 1000x its input stays lazy")
	}
}

// BenchmarkConstfoldChain: compile time of the constant chain (the whole
// pipeline; constfold refuses the naive form, fusion orders, folding is
// pairwise).
func BenchmarkConstfoldChain(b *testing.B) {
	p := lowerFile(b, "chain.circ")
	for b.Loop() {
		if _, _, err := Run(p, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
