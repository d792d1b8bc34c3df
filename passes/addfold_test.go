package passes

import "testing"

func TestAddfoldFlattensMergesAndScales(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[2,3]
%1 = input "y" : f64[2,3]
%2 = add %0 %1 : f64[2,3]
%3 = scalar 2 : f64[]
%4 = scalar -2 : f64[3]
%5 = add %2 %0 %3 %4 %0 : f64[2,3]
output "z" %5
`)
	q := runPass(t, addfold, p)
	// (x+y) + x + 2 - 2 + x = 3x + y: the inner sum is flattened, the
	// scalars cancel and are dropped, three x's become one scale.
	wantIR(t, q, `
%0 = input "x" : f64[2,3]
%1 = input "y" : f64[2,3]
%2 = scale 3 %0 : f64[2,3]
%3 = add %1 %2 : f64[2,3]
output "z" %3
`)
}

func TestAddfoldKeepsSharedInnerSums(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[3]
%1 = input "y" : f64[3]
%2 = add %0 %1 : f64[3]
%3 = add %2 %0 : f64[3]
output "inner" %2
output "outer" %3
`)
	q := runPass(t, addfold, p)
	// Not flattened (x+y is computed anyway); terms in id order.
	wantIR(t, q, `
%0 = input "x" : f64[3]
%1 = input "y" : f64[3]
%2 = add %0 %1 : f64[3]
%3 = add %0 %2 : f64[3]
output "inner" %2
output "outer" %3
`)
}

func TestAddfoldZeroKeepsBroadcastShape(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[3]
%1 = scalar 0 : f64[2,3]
%2 = add %0 %1 : f64[2,3]
output "z" %2
`)
	q := runPass(t, addfold, p)
	wantIR(t, q, `
%0 = input "x" : f64[3]
%1 = broadcast %0 : f64[2,3]
output "z" %1
`)
}

func TestAddfoldScalarTermsMergeIntoOne(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[2]
%1 = scalar 1.5 : f64[]
%2 = scalar 2 : f64[2]
%3 = add %1 %0 %2 : f64[2]
%4 = scale 2 %0 : f64[2]
%5 = add %3 %4 : f64[2]
output "z" %5
`)
	q := runPass(t, addfold, p)
	wantIR(t, q, `
%0 = input "x" : f64[2]
%1 = scale 3 %0 : f64[2]
%2 = scalar 3.5 : f64[2]
%3 = add %1 %2 : f64[2]
output "z" %3
`)
}

func TestAddfoldCancellingTermsLeaveZero(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[2]
%1 = scale -1 %0 : f64[2]
%2 = add %0 %1 : f64[2]
output "z" %2
`)
	q := runPass(t, addfold, p)
	wantIR(t, q, `
%0 = scalar 0 : f64[2]
output "z" %0
`)
}
