package passes

import "testing"

func TestRearrangeFusesChains(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[2,3,4]
%1 = permute [1,2,0] %0 : f64[3,4,2]
%2 = permute [2,0,1] %1 : f64[2,3,4]
%3 = permute [0,2,1] %2 : f64[2,4,3]
%4 = reshape %3 : f64[8,3]
%5 = reshape %4 : f64[24]
%6 = reshape %5 : f64[2,4,3]
%7 = broadcast %6 : f64[1,2,4,3]
%8 = broadcast %7 : f64[5,2,4,3]
output "y" %8
`)
	q := runPass(t, rearrange, p)
	// [1,2,0]∘[2,0,1] is the identity; the reshapes return to the
	// permute's own shape; two broadcasts are one.
	wantIR(t, q, `
%0 = input "x" : f64[2,3,4]
%1 = permute [0,2,1] %0 : f64[2,4,3]
%2 = broadcast %1 : f64[5,2,4,3]
output "y" %2
`)
}

func TestRearrangeComposesPermutes(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[2,3,4]
%1 = permute [1,0,2] %0 : f64[3,2,4]
%2 = permute [2,0,1] %1 : f64[4,3,2]
output "y" %2
`)
	q := runPass(t, rearrange, p)
	wantIR(t, q, `
%0 = input "x" : f64[2,3,4]
%1 = permute [2,1,0] %0 : f64[4,3,2]
output "y" %1
`)
}
