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
