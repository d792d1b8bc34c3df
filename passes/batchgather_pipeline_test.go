package passes

import (
	"testing"

	"github.com/circopt/circopt/ir"
)

// Pipeline-level checks of batchGather (batchgather.go): it fires when the
// whole batch is computed anyway and never adds work.
func TestBatchgatherReusesTheWholeBatch(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[6,4]
%1 = input "perm" : i64[6]
%2 = softmax %0 : f64[6,4]
%3 = gather 0 %0 %1 : f64[6,4]
%4 = softmax %3 : f64[6,4]
output "clean" %2
output "resampled" %4
`)
	q := runPass(t, batchGather, p)
	// softmax(x[perm]) = softmax(x)[perm]
	wantIR(t, q, `
%0 = input "x" : f64[6,4]
%1 = input "perm" : i64[6]
%2 = softmax %0 : f64[6,4]
%3 = gather 0 %2 %1 : f64[6,4]
output "clean" %2
output "resampled" %3
`)
}

func TestBatchgatherNeedsTheWholeBatch(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[6,4]
%1 = input "perm" : i64[6]
%2 = gather 0 %0 %1 : f64[6,4]
%3 = softmax %2 : f64[6,4]
%4 = softmax %0 : f64[6,4]
%5 = reduce_max %4 : f64[6]
output "resampled" %3
output "m" %5
`)
	q, _, err := Run(p, Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	checkEquivalent(t, p, q, 1)
	if countOps(q, ir.OpSoftmax) != 1 {
		t.Fatalf("softmax computed twice:\n%s", q)
	}
}

// A permute of einsum(x[perm], w) when einsum(x, w) exists: batchgather
// turns the einsum into a gather of the existing result, which needs the
// einsum's own output order, so fusion leaves the permute alone.
func TestEinsumLeavesPermuteForBatchgather(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[8,4]
%1 = input "w" : f64[5,4]
%2 = einsum "bi,oi->bo" %0 %1 : f64[8,5]
%3 = input "perm" : i64[8]
%4 = gather 0 %0 %3 : f64[8,4]
%5 = einsum "bi,oi->bo" %4 %1 : f64[8,5]
%6 = permute [1,0] %5 : f64[5,8]
%7 = softmax %6 : f64[5,8]
output "fx" %2
output "y" %7
`)
	q, _, err := Run(p, Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	checkEquivalent(t, p, q, 2)
	wantIR(t, q, `
%0 = input "x" : f64[8,4]
%1 = input "w" : f64[5,4]
%2 = einsum "bi,oi->bo" %0 %1 : f64[8,5]
%3 = input "perm" : i64[8]
%4 = gather 0 %2 %3 : f64[8,5]
%5 = permute [1,0] %4 : f64[5,8]
%6 = softmax %5 : f64[5,8]
output "fx" %2
output "y" %6
`)
}
