package passes

import (
	"fmt"
	"strings"
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/passes/internal/order"
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

func TestEinsumSumsPrivateLabelsFirst(t *testing.T) {
	p := parseIR(t, `
%0 = input "u" : f64[9]
%1 = input "w" : f64[11]
%2 = einsum "a,b->ab" %0 %1 : f64[9,11]
%3 = einsum "ab->" %2 : f64[]
%4 = input "x" : f64[5,6]
%5 = input "y" : f64[6,7]
%6 = einsum "ab,bc->" %4 %5 : f64[]
output "outer_sum" %3
output "mat_sum" %6
`)
	q := runPass(t, einsumFusion, p)
	// u and w are summed before their (scalar) product: 9+11+1 FLOPs
	// instead of the 9×11 intermediate; x·y summed to a scalar is
	// Σ_b (Σ_a x)(Σ_c y): 30+42+12 FLOPs instead of 420.
	wantIR(t, q, `
%0 = input "u" : f64[9]
%1 = input "w" : f64[11]
%2 = einsum "a->" %0 : f64[]
%3 = einsum "a->" %1 : f64[]
%4 = einsum ",->" %2 %3 : f64[]
%5 = input "x" : f64[5,6]
%6 = input "y" : f64[6,7]
%7 = einsum "ab->b" %5 : f64[6]
%8 = einsum "ab->a" %6 : f64[6]
%9 = einsum "a,a->" %7 %8 : f64[]
output "outer_sum" %4
output "mat_sum" %9
`)
	wantStable(t, einsumFusion, q)
}

func TestEinsumPreReductionOfConstIsFolded(t *testing.T) {
	// The const's private label is summed at compile time: fusion runs
	// after the last constfold, so it must not leave a reduction of a
	// constant for a second pipeline run to fold.
	p := parseIR(t, `
%0 = const "cc" : f64[3,4,2]
%1 = input "x" : f64[4,2]
%2 = einsum "abc,bc->b" %0 %1 : f64[4]
output "y" %2
`)
	q := runPass(t, einsumFusion, p)
	if n := countOps(q, ir.OpEinsum); n != 1 {
		t.Fatalf("%d einsums, want the folded const times x\n%s", n, q)
	}
	folded := false
	for _, o := range q.Value(q.Outputs[0].ID).Operands {
		ov := q.Value(o)
		folded = folded || ov.Op == ir.OpConst && ov.Type.Equal(ir.Type{DType: f64, Shape: []int{4, 2}})
	}
	if !folded {
		t.Fatalf("want einsum of x and a [4,2] const\n%s", q)
	}
	wantStable(t, einsumFusion, q)
}

func TestEinsumInlinesEmbedding(t *testing.T) {
	p := parseIR(t, `
%0 = input "v" : f64[6]
%1 = einsum "a->aa" %0 : f64[6,6]
%2 = input "W" : f64[6,4]
%3 = einsum "ab,bc->ac" %1 %2 : f64[6,4]
%4 = input "u" : f64[3]
%5 = einsum "a->aa" %4 : f64[3,3]
%6 = einsum "ab->ba" %5 : f64[3,3]
output "embed_mm" %3
output "embed_t" %6
`)
	q := runPass(t, einsumFusion, p)
	// diag(v)·W is v scaling W's rows: no 6×6 matrix. The transpose of an
	// embedding is the embedding.
	wantIR(t, q, `
%0 = input "v" : f64[6]
%1 = input "W" : f64[6,4]
%2 = einsum "a,ab->ab" %0 %1 : f64[6,4]
%3 = input "u" : f64[3]
%4 = einsum "a->aa" %3 : f64[3,3]
output "embed_mm" %2
output "embed_t" %4
`)
	wantStable(t, einsumFusion, q)
}

func TestEinsumAbsorbsPermuteOfEinsum(t *testing.T) {
	p := parseIR(t, `
%0 = input "p" : f64[2,6,6]
%1 = input "v" : f64[2,6,8]
%2 = einsum "hst,htk->hsk" %0 %1 : f64[2,6,8]
%3 = permute [1,0,2] %2 : f64[6,2,8]
%4 = input "a" : f64[3,4]
%5 = input "b" : f64[4,5]
%6 = einsum "ab,bc->ac" %4 %5 : f64[3,5]
%7 = permute [1,0] %6 : f64[5,3]
output "merged" %3
output "shared_t" %7
output "shared" %6
`)
	q := runPass(t, einsumFusion, p)
	// The head-merge permute becomes the einsum's output order; a permute
	// of an einsum that is also read elsewhere stays.
	wantIR(t, q, `
%0 = input "p" : f64[2,6,6]
%1 = input "v" : f64[2,6,8]
%2 = einsum "abc,acd->bad" %0 %1 : f64[6,2,8]
%3 = input "a" : f64[3,4]
%4 = input "b" : f64[4,5]
%5 = einsum "ab,bc->ac" %3 %4 : f64[3,5]
%6 = permute [1,0] %5 : f64[5,3]
output "merged" %2
output "shared_t" %6
output "shared" %5
`)
	wantStable(t, einsumFusion, q)
}

// chainProgram is one n-ary einsum multiplying n matrices in a chain, with
// sizes that vary so the order matters (small: the reference interpreter
// runs the n-ary einsum as one loop nest).
func chainProgram(t *testing.T, n int) *ir.Program {
	t.Helper()
	var src, terms, ops strings.Builder
	sizes := []int{3, 1, 2, 4, 1, 3, 2, 1, 4, 2, 3, 1, 2}
	for i := range n {
		fmt.Fprintf(&src, "%%%d = input \"m%d\" : f64[%d,%d]\n", i, i, sizes[i], sizes[i+1])
		if i > 0 {
			terms.WriteString(",")
		}
		terms.WriteString(string(rune('a'+i)) + string(rune('a'+i+1)))
		fmt.Fprintf(&ops, " %%%d", i)
	}
	fmt.Fprintf(&src, "%%%d = einsum \"%s->a%c\"%s : f64[%d,%d]\noutput \"y\" %%%d\n",
		n, terms.String(), rune('a'+n), ops.String(), sizes[0], sizes[n], n)
	return parseIR(t, src.String())
}

// TestEinsumPlansExactlyUpToTenOperands: fusion uses order's exact DP up to
// fusionDPOperands operands (optimal, and at 10 operands cheaper than
// greedy with its windowed refinement), greedy beyond.
func TestEinsumPlansExactlyUpToTenOperands(t *testing.T) {
	for _, n := range []int{9, fusionDPOperands, fusionDPOperands + 1} {
		p := chainProgram(t, n)
		ctx := &Context{}
		q, err := einsumFusion(p, ctx)
		if err != nil {
			t.Fatal(err)
		}
		verifyClean(t, "einsum output", q)
		checkEquivalent(t, p, q, uint64(n))
		if len(ctx.notes) != 1 {
			t.Fatalf("%d operands: want one path note, got %v", n, ctx.notes)
		}
		want := "dp: "
		if n > fusionDPOperands {
			want = "greedy: "
		}
		if !strings.Contains(ctx.notes[0].Text, want) {
			t.Errorf("%d operands: note %q, want method %q", n, ctx.notes[0].Text, want)
		}
		if got := countOps(q, ir.OpEinsum); got != n-1 {
			t.Errorf("%d operands: %d einsums, want %d binary steps\n%s", n, got, n-1, q)
		}
	}
}
