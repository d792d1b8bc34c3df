package passes

import (
	"testing"

	"github.com/circopt/circopt/ir"
)

func TestPushdownThroughElementwiseWithBroadcast(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[4,3]
%1 = input "b" : f64[3]
%2 = input "c" : f64[4,1]
%3 = add %0 %1 %2 : f64[4,3]
%4 = exp %3 : f64[4,3]
%5 = slice [1,0] [3,2] %4 : f64[2,2]
output "y" %5
`)
	q := runPass(t, pushdown, p)
	// b is sliced on its one axis, c only on the axis it really has.
	wantIR(t, q, `
%0 = input "x" : f64[4,3]
%1 = input "b" : f64[3]
%2 = input "c" : f64[4,1]
%3 = slice [1,0] [3,2] %0 : f64[2,2]
%4 = slice [0] [2] %1 : f64[2]
%5 = slice [1,0] [3,1] %2 : f64[2,1]
%6 = add %3 %4 %5 : f64[2,2]
%7 = exp %6 : f64[2,2]
output "y" %7
`)
}

func TestPushdownSelectThroughPermuteAndEinsum(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[5,3]
%1 = input "w" : f64[3,4]
%2 = einsum "ab,bc->ac" %0 %1 : f64[5,4]
%3 = permute [1,0] %2 : f64[4,5]
%4 = select 1 2 %3 : f64[4]
output "y" %4
`)
	q := runPass(t, pushdown, p)
	// Row 2 of x·w is (row 2 of x)·w: 12 multiply-adds instead of 60.
	wantIR(t, q, `
%0 = input "x" : f64[5,3]
%1 = input "w" : f64[3,4]
%2 = select 0 2 %0 : f64[3]
%3 = einsum "b,bc->c" %2 %1 : f64[4]
output "y" %3
`)
}

func TestPushdownGatherThroughElementwise(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[6,2]
%1 = input "i" : i64[3]
%2 = input "s" : f64[2]
%3 = mul %0 %2 : f64[6,2]
%4 = tanh %3 : f64[6,2]
%5 = gather 0 %4 %1 : f64[3,2]
output "y" %5
`)
	q := runPass(t, pushdown, p)
	wantIR(t, q, `
%0 = input "x" : f64[6,2]
%1 = input "i" : i64[3]
%2 = input "s" : f64[2]
%3 = gather 0 %0 %1 : f64[3,2]
%4 = mul %3 %2 : f64[3,2]
%5 = tanh %4 : f64[3,2]
output "y" %5
`)
}

func TestPushdownSliceThroughEinsumDiagonal(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[4,4]
%1 = input "v" : f64[4]
%2 = einsum "aa,a->a" %0 %1 : f64[4]
%3 = slice [1] [3] %2 : f64[2]
output "y" %3
`)
	q := runPass(t, pushdown, p)
	wantIR(t, q, `
%0 = input "x" : f64[4,4]
%1 = input "v" : f64[4]
%2 = slice [1,1] [3,3] %0 : f64[2,2]
%3 = slice [1] [3] %1 : f64[2]
%4 = einsum "aa,a->a" %2 %3 : f64[2]
output "y" %4
`)
}

func TestPushdownLeavesSharedValues(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[4]
%1 = exp %0 : f64[4]
%2 = slice [0] [2] %1 : f64[2]
output "part" %2
output "all" %1
`)
	q := runPass(t, pushdown, p)
	if q.String() != p.String() {
		t.Fatalf("pushed into a value computed in full anyway:\n%s", q)
	}
}

func TestPushdownSavesFLOPs(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[64,32]
%1 = input "w" : f64[32,32]
%2 = einsum "ab,bc->ac" %0 %1 : f64[64,32]
%3 = gelu %2 : f64[64,32]
%4 = slice [0,0] [4,32] %3 : f64[4,32]
output "y" %4
`)
	q := runPass(t, pushdown, p)
	before, after := totalFLOPs(p), totalFLOPs(q)
	if after*16 > before*1 { // 4 of 64 rows
		t.Fatalf("FLOPs %d -> %d: want 16x fewer\n%s", before, after, q)
	}
}

func totalFLOPs(p *ir.Program) int64 {
	var n int64
	for _, v := range p.Values {
		n += ir.FLOPsOf(p, v)
	}
	return n
}

func TestSelectOfSizeOneReshapeIsNoOp(t *testing.T) {
	p := parseIR(t, `
%0 = input "v" : f64[6]
%1 = exp %0 : f64[6]
%2 = reshape %1 : f64[6,1]
%3 = broadcast %2 : f64[6,5]
%4 = select 1 2 %3 : f64[6]
%5 = slice [1] [4] %4 : f64[3]
output "y" %5
`)
	q := runPass(t, pushdown, p)
	// select 1 of the broadcast is select 1 0 of the reshape, which only
	// added that axis: exp's result itself, so the slice reaches v.
	wantIR(t, q, `
%0 = input "v" : f64[6]
%1 = slice [1] [4] %0 : f64[3]
%2 = exp %1 : f64[3]
output "y" %2
`)
}

func TestPushdownRowsThroughRowwiseOps(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[5,7]
%1 = input "y" : f64[5,7]
%2 = add %0 %1 : f64[5,7]
%3 = softmax %2 : f64[5,7]
%4 = slice [1,0] [3,7] %3 : f64[2,7]
%5 = tanh %0 : f64[5,7]
%6 = log_softmax %5 : f64[5,7]
%7 = select 0 4 %6 : f64[7]
%8 = input "i" : i64[3]
%9 = exp %1 : f64[5,7]
%10 = reduce_max %9 : f64[5]
%11 = gather 0 %10 %8 : f64[3]
%12 = sin %1 : f64[5,7]
%13 = reduce_min %12 : f64[5]
%14 = slice [2] [5] %13 : f64[3]
%15 = cos %0 : f64[5,7]
%16 = softmax %15 : f64[5,7]
%17 = slice [0,1] [5,3] %16 : f64[5,2]
output "rows" %4
output "row" %7
output "gathered" %11
output "min_rows" %14
output "cols" %17
`)
	q := runPass(t, pushdown, p)
	// Rows move below softmax, log_softmax and the reductions (through the
	// elementwise ops under them too); the column slice of a softmax stays.
	wantIR(t, q, `
%0 = input "x" : f64[5,7]
%1 = input "y" : f64[5,7]
%2 = slice [1,0] [3,7] %0 : f64[2,7]
%3 = slice [1,0] [3,7] %1 : f64[2,7]
%4 = add %2 %3 : f64[2,7]
%5 = softmax %4 : f64[2,7]
%6 = select 0 4 %0 : f64[7]
%7 = tanh %6 : f64[7]
%8 = log_softmax %7 : f64[7]
%9 = input "i" : i64[3]
%10 = gather 0 %1 %9 : f64[3,7]
%11 = exp %10 : f64[3,7]
%12 = reduce_max %11 : f64[3]
%13 = slice [2,0] [5,7] %1 : f64[3,7]
%14 = sin %13 : f64[3,7]
%15 = reduce_min %14 : f64[3]
%16 = cos %0 : f64[5,7]
%17 = softmax %16 : f64[5,7]
%18 = slice [0,1] [5,3] %17 : f64[5,2]
output "rows" %5
output "row" %8
output "gathered" %12
output "min_rows" %15
output "cols" %18
`)
}

func TestPushdownKeepsLastAxisOfRowwiseOps(t *testing.T) {
	// A select of a rank-1 softmax's only axis and a gather on the last
	// axis stay; a row slice of last_dim_size moves (onto x, which another
	// value also reads, so it goes no further).
	p := parseIR(t, `
%0 = input "v" : f64[7]
%1 = softmax %0 : f64[7]
%2 = select 0 3 %1 : f64[]
%3 = input "x" : f64[4,7]
%4 = input "i" : i64[2]
%5 = log_softmax %3 : f64[4,7]
%6 = gather 1 %5 %4 : f64[4,2]
%7 = last_dim_size %3 : f64[4]
%8 = slice [1] [3] %7 : f64[2]
output "a" %2
output "b" %6
output "c" %8
`)
	q := runPass(t, pushdown, p)
	wantIR(t, q, `
%0 = input "v" : f64[7]
%1 = softmax %0 : f64[7]
%2 = select 0 3 %1 : f64[]
%3 = input "x" : f64[4,7]
%4 = input "i" : i64[2]
%5 = log_softmax %3 : f64[4,7]
%6 = gather 1 %5 %4 : f64[4,2]
%7 = slice [1,0] [3,7] %3 : f64[2,7]
%8 = last_dim_size %7 : f64[2]
output "a" %2
output "b" %6
output "c" %8
`)
}

func TestPushdownFoldsIndexOfConst(t *testing.T) {
	// Push-down slices and selects the constant factor of a product: the
	// smart constructors index the const at compile time (constfold may
	// have run already, as before late pushdown). A gather by a run-time
	// index is not folded.
	p := parseIR(t, `
%0 = input "x" : f64[5,3]
%1 = const "aa" : f64[5,3]
%2 = mul %0 %1 : f64[5,3]
%3 = input "i" : i64[2]
%4 = slice [1,0] [3,3] %2 : f64[2,3]
%5 = gather 0 %4 %3 : f64[2,3]
%6 = mul %0 %1 : f64[5,3]
%7 = exp %6 : f64[5,3]
%8 = select 0 4 %7 : f64[3]
output "g" %5
output "s" %8
`)
	q := runPass(t, pushdown, p)
	for _, v := range q.Values {
		switch v.Op {
		case ir.OpSlice, ir.OpSelect:
			if q.Value(v.Operands[0]).Op == ir.OpConst {
				t.Errorf("%v indexes a const left unfolded\n%s", v, q)
			}
		}
	}
	if n := countOps(q, ir.OpConst); n != 2 {
		t.Errorf("%d consts, want the original's rows 1:3 and row 4\n%s", n, q)
	}
}

// A layer norm reads x - mean twice; once a select reaches both reads,
// the two equal selects are one use, and the next sweep pushes it through
// the whole norm: only the selected position is normalized.
func TestPushdownThroughEqualSelects(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[5,8,6]
%1 = einsum "abc->ab" %0 : f64[5,8]
%2 = scale -0.16666666666666666 %1 : f64[5,8]
%3 = einsum "abc,ab->abc" %0 %2 : f64[5,8,6]
%4 = add %0 %3 : f64[5,8,6]
%5 = einsum "abc,abc->ab" %4 %4 : f64[5,8]
%6 = rsqrt %5 : f64[5,8]
%7 = einsum "abc,ab->abc" %4 %6 : f64[5,8,6]
%8 = select 1 7 %7 : f64[5,6]
output "y" %8
`)
	q := runPass(t, pushdown, p)
	for _, v := range q.Values {
		if v.Op != ir.OpInput && v.Type.NumElements() > 5*6 {
			t.Fatalf("%v is computed at every position:\n%s", v, q)
		}
	}
	// the equal selects share one pushed chain
	if countOps(q, ir.OpRsqrt) != 1 || countOps(q, ir.OpEinsum) != 4 {
		t.Fatalf("pushed twice:\n%s", q)
	}
	wantStable(t, pushdown, q)
}

// Per-head outputs summed after a position select: the select moves below
// the head selects (which then all read the same position of the
// einsum), and into the einsum, so one position of every head is computed.
func TestPushdownSelectBelowHeadSelects(t *testing.T) {
	p := parseIR(t, `
%0 = input "z" : f64[5,3,8,4]
%1 = input "w" : f64[3,4,6]
%2 = einsum "abcd,bde->abce" %0 %1 : f64[5,3,8,6]
%3 = select 1 0 %2 : f64[5,8,6]
%4 = select 1 1 %2 : f64[5,8,6]
%5 = select 1 2 %2 : f64[5,8,6]
%6 = add %3 %4 %5 : f64[5,8,6]
%7 = select 1 7 %6 : f64[5,6]
output "y" %7
`)
	q := runPass(t, pushdown, p)
	for _, v := range q.Values {
		if v.Op == ir.OpEinsum && v.Type.NumElements() > 5*3*6 {
			t.Fatalf("%v is computed at every position:\n%s", v, q)
		}
	}
	wantStable(t, pushdown, q)
}

// Swapping selects only helps when they split one value by index: a
// value read by one select, or by selects on different axes, keeps its
// selects in place.
func TestPushdownKeepsUnsplitSelects(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[4,5,6]
%1 = exp %0 : f64[4,5,6]
%2 = select 1 0 %1 : f64[4,6]
%3 = select 2 1 %1 : f64[4,5]
%4 = select 1 3 %2 : f64[4]
%5 = select 0 2 %3 : f64[5]
output "a" %4
output "b" %5
`)
	q := runPass(t, pushdown, p)
	if q.String() != p.String() {
		t.Fatalf("selects moved:\n%s", q)
	}
}
