package passes

import "testing"

func TestDeadcodeDropsUnreachableAndRenumbers(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[3]
%1 = input "unused" : f64[3]
%2 = exp %0 : f64[3]
%3 = tanh %2 : f64[3]
%4 = relu %0 : f64[3]
output "y" %4
`)
	q := runPass(t, deadcode, p)
	wantIR(t, q, `
%0 = input "x" : f64[3]
%1 = relu %0 : f64[3]
output "y" %1
`)
}

func TestDeadcodeKeepsEverythingLive(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[3]
%1 = exp %0 : f64[3]
output "y" %1
output "x" %0
`)
	q := runPass(t, deadcode, p)
	if q.String() != p.String() {
		t.Fatalf("changed a program without dead values:\n%s", q)
	}
}
