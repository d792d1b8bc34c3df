package passes

import (
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

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

// TestIndexComposesConstGathers: a const gather of a slice on the sliced
// axis gathers the source at shifted positions, and a select of a const
// gather selects the source row it took (on another axis, the select goes
// below the gather).
func TestIndexComposesConstGathers(t *testing.T) {
	b := ir.NewBuilder()
	x, _ := b.Input("x", ir.Type{DType: tensor.Float64, Shape: []int{8, 5}})
	s, _ := b.Add(ir.OpSlice, ir.Attrs{"starts": []int{0, 1}, "stops": []int{8, 5}}, x)
	i1, _ := b.Const(mustInt64(t, 2, -4))
	g1, _ := b.Add(ir.OpGather, ir.Attrs{"axis": 1}, s, i1)
	i2, _ := b.Const(mustInt64(t, 7, 1, 4, -3))
	g2, _ := b.Add(ir.OpGather, ir.Attrs{"axis": 0}, x, i2)
	c, _ := b.Add(ir.OpSelect, ir.Attrs{"axis": 1, "index": 2}, g2)
	r, err := b.Add(ir.OpSelect, ir.Attrs{"axis": 0, "index": 3}, c)
	if err != nil {
		t.Fatal(err)
	}
	b.Output("gs", g1)
	b.Output("ig", r)
	q := runPass(t, indexFusion, b.Build())
	if countOps(q, ir.OpSlice) != 0 || countOps(q, ir.OpGather) != 1 || countOps(q, ir.OpSelect) != 2 {
		t.Fatalf("index chains not composed:\n%s", q)
	}
	for _, v := range q.Values {
		if v.Op == ir.OpSelect && v.Attrs.Int("axis") == 0 && v.Attrs.Int("index") != 5 { // -3 of 8 rows
			t.Errorf("select of the gathered row: %v", v)
		}
	}
}

func mustInt64(t *testing.T, xs ...int64) *tensor.Tensor {
	t.Helper()
	c, err := tensor.FromInt64([]int{len(xs)}, xs)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
