package passes

import (
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

func TestCSEMergesStructurallyEqualValues(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[2,3]
%1 = input "y" : f64[2,3]
%2 = exp %0 : f64[2,3]
%3 = exp %0 : f64[2,3]
%4 = add %2 %1 : f64[2,3]
%5 = add %1 %3 : f64[2,3]
%6 = mul %4 %5 : f64[2,3]
output "z" %6
`)
	q := runPass(t, cse, p)
	// exp x twice is one value; y+e and e+y meet once operands are sorted.
	wantIR(t, q, `
%0 = input "x" : f64[2,3]
%1 = input "y" : f64[2,3]
%2 = exp %0 : f64[2,3]
%3 = add %1 %2 : f64[2,3]
%4 = mul %3 %3 : f64[2,3]
output "z" %4
`)
}

func TestCSEKeepsDifferentAttributesAndTypes(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[4]
%1 = scale 2 %0 : f64[4]
%2 = scale 3 %0 : f64[4]
%3 = slice [0] [2] %0 : f64[2]
%4 = slice [2] [4] %0 : f64[2]
%5 = add %3 %4 : f64[2]
%6 = add %1 %2 : f64[4]
output "a" %5
output "b" %6
`)
	q := runPass(t, cse, p)
	if len(q.Values) != len(p.Values) {
		t.Fatalf("cse merged values with different attributes:\n%s", q)
	}
}

func TestCSEMergesConstantsByContent(t *testing.T) {
	// Two table keys, one content: the const values must merge.
	data, _ := tensor.FromFloat64([]int{2}, []float64{1, 2})
	b := ir.NewBuilder()
	b.AddConstTensor("k1", data)
	b.AddConstTensor("k2", data.Clone())
	ty := ir.Type{DType: tensor.Float64, Shape: []int{2}}
	c1, _ := b.AddTyped(ir.OpConst, ir.Attrs{"hash": "k1"}, ty)
	c2, _ := b.AddTyped(ir.OpConst, ir.Attrs{"hash": "k2"}, ty)
	x, _ := b.Input("x", ty)
	m1, _ := b.Add(ir.OpMul, nil, x, c1)
	m2, _ := b.Add(ir.OpMul, nil, c2, x)
	s, _ := b.Add(ir.OpAdd, nil, m1, m2)
	b.Output("s", s)
	q := runPass(t, cse, b.Build())
	if n := countOps(q, ir.OpConst); n != 1 {
		t.Fatalf("want 1 const, got %d:\n%s", n, q)
	}
	if n := countOps(q, ir.OpMul); n != 1 {
		t.Fatalf("want 1 mul after merging consts, got %d:\n%s", n, q)
	}
}

func TestCSEIgnoresNamesOfOutputsButKeepsInputsApart(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[3]
%1 = input "y" : f64[3]
%2 = relu %0 : f64[3]
%3 = relu %1 : f64[3]
%4 = relu %0 : f64[3]
output "a" %2
output "b" %3
output "c" %4
`)
	q := runPass(t, cse, p)
	wantIR(t, q, `
%0 = input "x" : f64[3]
%1 = input "y" : f64[3]
%2 = relu %0 : f64[3]
%3 = relu %1 : f64[3]
output "a" %2
output "b" %3
output "c" %2
`)
}

// The content-hash length cse trusts as "already a full hash" is the one
// tensor.ContentHashHex produces, and lower's pre-hashed Arrays meet
// Consts built from the same tensor.
func TestCSEFullHashLength(t *testing.T) {
	x, err := tensor.RandN(tensor.Float32, []int{3, 4}, 7)
	if err != nil {
		t.Fatal(err)
	}
	h := tensor.ContentHashHex(x)
	if len(h) != fullHashHex {
		t.Fatalf("ContentHashHex has %d digits, cse assumes %d", len(h), fullHashHex)
	}
	b := ir.NewBuilder()
	a, _ := b.Const(x)
	c, _ := b.ConstHashed(x, h)
	s, _ := b.Add(ir.OpAdd, nil, a, c)
	b.Output("s", s)
	q, _, err := Run(b.Build(), Options{Disable: []string{"constfold", "late constfold"}})
	if err != nil {
		t.Fatal(err)
	}
	consts := 0
	for _, v := range q.Values {
		if v.Op == ir.OpConst {
			consts++
		}
	}
	if consts != 1 {
		t.Fatalf("%d consts after cse, want 1:\n%s", consts, q)
	}
}
