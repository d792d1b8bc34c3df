package passes

import (
	"strings"
	"testing"

	"github.com/circopt/circopt/ir"
)

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

// Per-head outputs added into a residual stream: the selects of every head
// become the projection summed over heads, which einsum fusion then folds
// into one contraction over heads and their dimensions.
func TestAddfoldSumsSelectsOfEveryHead(t *testing.T) {
	src := `
%0 = input "z" : f64[5,4,3,2]
%1 = input "w" : f64[4,6,2]
%2 = einsum "abcd,bed->abce" %0 %1 : f64[5,4,3,6]
%3 = select 1 0 %2 : f64[5,3,6]
%4 = select 1 1 %2 : f64[5,3,6]
%5 = select 1 2 %2 : f64[5,3,6]
%6 = select 1 3 %2 : f64[5,3,6]
%7 = add %3 %4 : f64[5,3,6]
%8 = add %7 %5 %6 : f64[5,3,6]
%9 = input "r" : f64[5,3,6]
%10 = add %8 %9 : f64[5,3,6]
%11 = exp %10 : f64[5,3,6]
output "y" %11
output "r2" %10
`
	q := runPass(t, addfold, parseIR(t, src))
	wantIR(t, q, `
%0 = input "z" : f64[5,4,3,2]
%1 = input "w" : f64[4,6,2]
%2 = einsum "abcd,bed->abce" %0 %1 : f64[5,4,3,6]
%3 = input "r" : f64[5,3,6]
%4 = einsum "abcd->acd" %2 : f64[5,3,6]
%5 = add %3 %4 : f64[5,3,6]
%6 = exp %5 : f64[5,3,6]
output "y" %6
output "r2" %5
`)
	// Not every head, a head read elsewhere, or selects of an input (views
	// a fused add reads in one pass): the sum stays.
	for _, c := range []struct{ why, from, to string }{
		{"a head missing", "%8 = add %7 %5 %6", "%8 = add %7 %5 %5"},
		{"a head twice", "%6 = select 1 3 %2", "%6 = select 1 2 %2"},
		{"a head read elsewhere", `output "r2" %10`, `output "r2" %6`},
		{"an input's selects", `%2 = einsum "abcd,bed->abce" %0 %1 : f64[5,4,3,6]`, `%2 = input "x" : f64[5,4,3,6]`},
	} {
		p := parseIR(t, strings.Replace(src, c.from, c.to, 1))
		q := runPass(t, addfold, p)
		for _, v := range q.Values {
			if v.Op == ir.OpEinsum && strings.HasSuffix(v.Attrs.String("spec"), "->acd") {
				t.Errorf("%s: the selects were summed:\n%s", c.why, q)
			}
		}
	}
}
