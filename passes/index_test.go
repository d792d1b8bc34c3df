package passes

import "testing"

func TestIndexFusesSliceChains(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[10,8]
%1 = slice [2,0] [9,8] %0 : f64[7,8]
%2 = slice [1,3] [5,7] %1 : f64[4,4]
%3 = slice [0,0] [4,4] %2 : f64[4,4]
%4 = select 1 2 %3 : f64[4]
output "y" %4
`)
	q := runPass(t, indexFusion, p)
	// rows 2+1..2+5 = 3..7, columns 3..7; the identity slice goes; the
	// select of column 2 of the slice is column 5 of x.
	wantIR(t, q, `
%0 = input "x" : f64[10,8]
%1 = select 1 5 %0 : f64[10]
%2 = slice [3] [7] %1 : f64[4]
output "y" %2
`)
}

func TestIndexReadsOnePieceOfAConcat(t *testing.T) {
	p := parseIR(t, `
%0 = input "a" : f64[3,2]
%1 = input "b" : f64[4,2]
%2 = concat 0 %0 %1 : f64[7,2]
%3 = slice [4,0] [6,2] %2 : f64[2,2]
%4 = select 0 1 %2 : f64[2]
output "y" %3
output "z" %4
`)
	q := runPass(t, indexFusion, p)
	wantIR(t, q, `
%0 = input "a" : f64[3,2]
%1 = input "b" : f64[4,2]
%2 = slice [1,0] [3,2] %1 : f64[2,2]
%3 = select 0 1 %0 : f64[2]
output "y" %2
output "z" %3
`)
}
