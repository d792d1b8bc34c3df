package passes

import (
	"fmt"
	"strings"
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/passes/order"
	"github.com/circopt/circopt/tensor"
)

func TestEinsumFlattensAbsorbsAndPlans(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[3,5]
%1 = input "w1" : f64[5,6]
%2 = input "w2t" : f64[2,6]
%3 = einsum "ab,bc->ac" %0 %1 : f64[3,6]
%4 = permute [1,0] %2 : f64[6,2]
%5 = scale 0.5 %4 : f64[6,2]
%6 = scalar 4 : f64[]
%7 = einsum "ac,cd,->ad" %3 %5 %6 : f64[3,2]
output "y" %7
`)
	ctx := &Context{}
	q, err := einsumFusion(p, ctx)
	if err != nil {
		t.Fatal(err)
	}
	verifyClean(t, "einsum output", q)
	checkEquivalent(t, p, q, 3)
	// One tree x·w1·w2ᵀ: the permute is a relabelling, 0.5·4 one scale.
	// w1·w2ᵀ first: 2·5·6·2 + 2·3·5·2 = 180 FLOPs against 252 for (x·w1)·w2ᵀ.
	wantIR(t, q, `
%0 = input "x" : f64[3,5]
%1 = input "w1" : f64[5,6]
%2 = input "w2t" : f64[2,6]
%3 = einsum "ab,cb->ca" %1 %2 : f64[2,5]
%4 = einsum "ab,cb->ac" %0 %3 : f64[3,2]
%5 = scale 2 %4 : f64[3,2]
output "y" %5
`)
	if len(ctx.notes) != 1 || !strings.Contains(ctx.notes[0].Text, "dp: ") {
		t.Fatalf("want one path note, got %v", ctx.notes)
	}
}

// The chain from order's example, written as one n-ary einsum in the order
// that makes left-to-right blow up.
const chainIR = `
%0 = input "A" : f64[10,1000]
%1 = input "C" : f64[10,1000]
%2 = input "B" : f64[1000,10]
%3 = input "D" : f64[1000,10]
%4 = einsum "ab,cd,bc,de->ae" %0 %1 %2 %3 : f64[10,10]
output "y" %4
`

func TestEinsumChainLowersToPlannedBinarySteps(t *testing.T) {
	p := parseIR(t, chainIR)
	ctx := &Context{}
	q, err := einsumFusion(p, ctx)
	if err != nil {
		t.Fatal(err)
	}
	verifyClean(t, "einsum output", q)
	for _, v := range q.Values {
		if v.Op == ir.OpEinsum && len(v.Operands) > 2 {
			t.Fatalf("%v: not lowered to binary steps", v)
		}
	}
	// (ab·bc)(cd·de): 2·10·1000·10 + 2·10·1000·10 + 2·10·10·10 = 402000.
	if got := totalFLOPs(q); got != 402000 {
		t.Fatalf("FLOPs after %d, want 402000\n%s", got, q)
	}
	if got := totalFLOPs(p); got != 4e9 { // the naive 4-operand loop nest
		t.Fatalf("FLOPs before %d, want 4e9", got)
	}
}

func TestEinsumChainOrderBeatsLeftToRight(t *testing.T) {
	sizes := map[int]int{0: 10, 1: 1000, 2: 10, 3: 1000, 4: 10}
	prob := order.Problem{Operands: []order.Operand{{Labels: []int{0, 1}}, {Labels: []int{2, 3}}, {Labels: []int{1, 2}}, {Labels: []int{3, 4}}}, Output: []int{0, 4}, Sizes: sizes}
	naive, err := order.LeftToRight(prob)
	if err != nil {
		t.Fatal(err)
	}
	chosen, err := order.Plan(prob)
	if err != nil {
		t.Fatal(err)
	}
	if naive.FLOPs < 100*chosen.FLOPs {
		t.Fatalf("chosen %g FLOPs vs left-to-right %g: want at least 100x", chosen.FLOPs, naive.FLOPs)
	}
	t.Logf("ab,cd,bc,de->ae: chosen %g FLOPs, left-to-right %g, ratio %.0fx", chosen.FLOPs, naive.FLOPs, naive.FLOPs/chosen.FLOPs)
}

func TestEinsumKeepsPlannedBinaryTrees(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[3,5]
%1 = input "w" : f64[5,6]
%2 = input "v" : f64[6]
%3 = einsum "ab,bc->ac" %0 %1 : f64[3,6]
%4 = einsum "ab,b->a" %3 %2 : f64[3]
output "y" %4
`)
	// (x·w)·v costs 2·3·5·6 + 2·3·6 = 216; x·(w·v) costs 60 + 30 = 90:
	// replanned. Running again must keep the planned tree.
	q := runPass(t, einsumFusion, p)
	if totalFLOPs(q) != 90 {
		t.Fatalf("want x·(w·v), 90 FLOPs:\n%s", q)
	}
	q2 := runPass(t, einsumFusion, q)
	if q2.String() != q.String() {
		t.Fatalf("second run changed a planned tree:\n%s\nvs\n%s", q, q2)
	}
}

func TestEinsumFillLabelsBecomeFactors(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[3,5]
%1 = scalar 2 : f64[5,4]
%2 = einsum "ab,bc->a" %0 %1 : f64[3]
output "y" %2
`)
	q := runPass(t, einsumFusion, p)
	// Σ_b Σ_c 2·x[a,b] = 8·Σ_b x[a,b]
	wantIR(t, q, `
%0 = input "x" : f64[3,5]
%1 = einsum "ab->a" %0 : f64[3]
%2 = scale 8 %1 : f64[3]
output "y" %2
`)
}

func TestEinsumOutputOnlyAndRepeatedLabels(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[3,4]
%1 = input "y" : f64[4,3]
%2 = input "z" : f64[3]
%3 = einsum "ab,bc,c->aac" %0 %1 %2 : f64[3,3,3]
%4 = einsum "ab,bc->abd" %0 %1 : f64[3,4,2]
output "p" %3
output "q" %4
`)
	runPass(t, einsumFusion, p)
}

func TestEinsumMemCapNotesOverflow(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[8,8]
%1 = input "y" : f64[8,8]
%2 = input "z" : f64[8,8]
%3 = einsum "ab,bc,cd->ad" %0 %1 %2 : f64[8,8]
output "r" %3
`)
	ctx := &Context{Opts: Options{MemCap: 8}} // one float64: nothing fits
	q, err := einsumFusion(p, ctx)
	if err != nil {
		t.Fatal(err)
	}
	verifyClean(t, "einsum output", q)
	checkEquivalent(t, p, q, 5)
	if len(ctx.notes) != 1 || !strings.Contains(ctx.notes[0].Text, "over cap") {
		t.Fatalf("want an over-cap note, got %v", ctx.notes)
	}
}

func TestEinsumSingleOperandBecomesPermute(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[3,4]
%1 = einsum "ab->ba" %0 : f64[4,3]
%2 = einsum "ab->ab" %0 : f64[3,4]
output "t" %1
output "i" %2
`)
	q := runPass(t, einsumFusion, p)
	wantIR(t, q, `
%0 = input "x" : f64[3,4]
%1 = permute [1,0] %0 : f64[4,3]
output "t" %1
output "i" %0
`)
}

func TestEinsumLowersNaryEvenWithoutSavings(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[3,4]
%1 = input "y" : f64[3,4]
%2 = input "z" : f64[3,4]
%3 = einsum "ab,ab,ab->" %0 %1 %2 : f64[]
output "s" %3
`)
	q := runPass(t, einsumFusion, p)
	wantIR(t, q, `
%0 = input "x" : f64[3,4]
%1 = input "y" : f64[3,4]
%2 = input "z" : f64[3,4]
%3 = einsum "ab,ab->ab" %0 %2 : f64[3,4]
%4 = einsum "ab,ab->" %1 %3 : f64[]
output "s" %4
`)
}

// A tree needing more labels than a spec can name (52 letters) is kept as
// it is rather than half-flattened.
func TestEinsumTooManyLabelsKeepsTree(t *testing.T) {
	b := ir.NewBuilder()
	ty := ir.Type{DType: tensor.Float64, Shape: []int{2, 2}}
	acc, _ := b.Input("m0", ty)
	for i := 1; i < 60; i++ {
		m, _ := b.Input(fmt.Sprintf("m%d", i), ty)
		acc, _ = b.Add(ir.OpEinsum, ir.Attrs{"spec": "ab,bc->ac"}, acc, m)
	}
	b.Output("y", acc)
	p := b.Build()
	q := runPass(t, einsumFusion, p)
	if q.String() != p.String() {
		t.Fatalf("a 61-label tree was rewritten")
	}
}
