package passes

import (
	"math"
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

func TestConstfoldScalarArithmeticStaysScalar(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[2,3]
%1 = scalar 2 : f64[2,3]
%2 = scalar 3 : f64[3]
%3 = add %1 %2 : f64[2,3]
%4 = scalar 0 : f64[]
%5 = exp %4 : f64[]
%6 = broadcast %5 : f64[2,3]
%7 = mul %3 %6 : f64[2,3]
%8 = mul %0 %7 : f64[2,3]
output "y" %8
`)
	q := runPass(t, constfold, p)
	// 2+3 = 5, exp 0 = 1, broadcast of a fill is a fill, 5·1 = 5.
	wantIR(t, q, `
%0 = input "x" : f64[2,3]
%1 = scalar 5 : f64[2,3]
%2 = mul %0 %1 : f64[2,3]
output "y" %2
`)
}

func TestConstfoldComputesConstTensors(t *testing.T) {
	b := ir.NewBuilder()
	ct, _ := tensor.FromFloat64([]int{2, 2}, []float64{1, 2, 3, 4})
	c, _ := b.Const(ct)
	s, _ := b.Add(ir.OpScale, ir.Attrs{"factor": 2.0}, c)
	tr, _ := b.Add(ir.OpPermute, ir.Attrs{"perm": []int{1, 0}}, s)
	x, _ := b.Input("x", ir.Type{DType: tensor.Float64, Shape: []int{2, 2}})
	y, _ := b.Add(ir.OpEinsum, ir.Attrs{"spec": "ab,bc->ac"}, x, tr)
	b.Output("y", y)
	q := runPass(t, constfold, b.Build())
	if n := countOps(q, ir.OpConst); n != 1 || countOps(q, ir.OpScale) != 0 || countOps(q, ir.OpPermute) != 0 {
		t.Fatalf("scale and permute of a const should fold into one const:\n%s", q)
	}
	var got *tensor.Tensor
	for _, v := range q.Values {
		if v.Op == ir.OpConst {
			got = q.Consts[v.Attrs.String("hash")]
		}
	}
	want, _ := tensor.FromFloat64([]int{2, 2}, []float64{2, 6, 4, 8}) // (2·c)ᵀ
	if !tensor.AllClose(got, want, 0, 0) {
		t.Fatalf("folded const %v, want %v", got.Float64s(), want.Float64s())
	}
}

func TestConstfoldKeepsLargeResultsLazy(t *testing.T) {
	b := ir.NewBuilder()
	ct, _ := tensor.FromFloat64([]int{3}, []float64{1, 2, 3})
	c, _ := b.Const(ct)
	big, _ := b.AddTyped(ir.OpBroadcast, nil, ir.Type{DType: tensor.Float64, Shape: []int{1000, 3}}, c)
	x, _ := b.Input("x", ir.Type{DType: tensor.Float64, Shape: []int{1000, 3}})
	y, _ := b.Add(ir.OpAdd, nil, x, big)
	b.Output("y", y)
	q := runPass(t, constfold, b.Build())
	if countOps(q, ir.OpBroadcast) != 1 {
		t.Fatalf("a broadcast of a small const must stay lazy:\n%s", q)
	}
	for _, c := range q.Consts {
		if c.Size() > 3 {
			t.Fatalf("materialised a %v constant", c.Shape())
		}
	}
}

func TestConstfoldReductionsOfFills(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[4]
%1 = scalar 2 : f64[3,4]
%2 = sum [0] %1 : f64[4]
%3 = softmax %1 : f64[3,4]
%4 = select 0 1 %3 : f64[4]
%5 = last_dim_size %0 : f64[]
%6 = add %0 %2 %4 %5 : f64[4]
output "y" %6
`)
	q := runPass(t, constfold, p)
	var vals []float64
	for _, v := range q.Values {
		if v.Op == ir.OpScalar {
			vals = append(vals, v.Attrs.Float("value"))
		}
	}
	// sum of three 2s = 6; softmax of equal values = 1/4; last dim = 4.
	want := []float64{6, 0.25, 4}
	if len(vals) != 3 || vals[0] != want[0] || vals[1] != want[1] || vals[2] != want[2] {
		t.Fatalf("fills %v, want %v\n%s", vals, want, q)
	}
}

func TestConstfoldUnaryOfFillMatchesKernel(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[2]
%1 = scalar 0.3 : f64[2]
%2 = gaussian_cdf %1 : f64[2]
%3 = mul %0 %2 : f64[2]
output "y" %3
`)
	q := runPass(t, constfold, p)
	got := q.Values[1].Attrs.Float("value")
	want := 0.5 * math.Erfc(-0.3/math.Sqrt2)
	if q.Values[1].Op != ir.OpScalar || math.Abs(got-want) > 1e-15 {
		t.Fatalf("got %v, want Φ(0.3) = %v\n%s", got, want, q)
	}
}

func TestConstfoldEinsumOfFills(t *testing.T) {
	p := parseIR(t, `
%0 = scalar 1 : f64[6,8]
%1 = scalar 3 : f64[]
%2 = einsum "ab,->ab" %0 %1 : f64[6,8]
%3 = scalar 2 : f64[3,4]
%4 = scalar 0.5 : f64[4]
%5 = einsum "ab,b->a" %3 %4 : f64[3]
%6 = scalar 2 : f64[4,4]
%7 = einsum "aa->" %6 : f64[]
%8 = einsum "a->ab" %4 : f64[4,2]
%9 = einsum "a->aa" %4 : f64[4,4]
%10 = scalar 5 : f64[0,3]
%11 = einsum "ab->b" %10 : f64[3]
output "scaled" %2
output "matvec" %5
output "trace" %7
output "bcast" %8
output "embed" %9
output "empty" %11
`)
	q := runPass(t, constfold, p)
	// 1·3; 2·0.5 summed over 4 terms; a trace of 4 twos; a broadcast label
	// changes nothing; an empty sum is 0. The embedding is zero off the
	// diagonal: not a fill (and as a const it would be bigger than its
	// input, so it stays lazy).
	wantIR(t, q, `
%0 = scalar 3 : f64[6,8]
%1 = scalar 0.5 : f64[4]
%2 = scalar 4 : f64[3]
%3 = scalar 8 : f64[]
%4 = scalar 0.5 : f64[4,2]
%5 = einsum "a->aa" %1 : f64[4,4]
%6 = scalar 0 : f64[3]
output "scaled" %0
output "matvec" %2
output "trace" %3
output "bcast" %4
output "embed" %5
output "empty" %6
`)
}
