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
