package tensor

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestDTypes(t *testing.T) {
	for _, c := range []struct {
		s  string
		dt DType
	}{{"float32", Float32}, {"f64", Float64}, {"int64", Int64}, {"i64", Int64}} {
		dt, err := ParseDType(c.s)
		if err != nil || dt != c.dt {
			t.Fatalf("%q: %v %v", c.s, dt, err)
		}
	}
	if _, err := ParseDType("bfloat16"); err == nil {
		t.Fatal("unknown dtype accepted")
	}
	if Float32.Size() != 4 || Int64.Size() != 8 || DType(0).Size() != 0 || Int64.IsFloat() {
		t.Fatal("dtype properties")
	}
	if WiderDType(Int64, Float32) != Float32 || WiderDType(Float64, Float32) != Float64 || WiderDType(Int64, Int64) != Int64 {
		t.Fatal("WiderDType")
	}
}

func TestAccessors(t *testing.T) {
	must := mk(t)
	x := i64(t, []int{2, 3}, 1, 2, 3, 4, 5, 6)
	if x.Rank() != 2 || x.Dim(1) != 3 || x.Size() != 6 || x.Bytes() != 48 || x.Offset() != 0 {
		t.Fatal("basic accessors")
	}
	if !slices.Equal(x.Int64Data(), []int64{1, 2, 3, 4, 5, 6}) || x.Float64Data() != nil {
		t.Fatal("typed data")
	}
	xt := must(x.Permute([]int{1, 0}))
	if xt.Int64Data() != nil || !slices.Equal(xt.Int64s(), []int64{1, 4, 2, 5, 3, 6}) {
		t.Fatal("strided Int64s")
	}
	if !slices.Equal(xt.Strides(), []int{1, 3}) {
		t.Fatalf("strides %v", xt.Strides())
	}
	if !slices.Equal(f64(t, []int{2}, 1.7, -1.7).Int64s(), []int64{1, -1}) {
		t.Fatal("float Int64s truncates")
	}
	s := must(x.Select(0, -1))
	if s.Offset() != 3 {
		t.Fatalf("offset %d", s.Offset())
	}
	if _, err := x.At(2, 0); err == nil {
		t.Fatal("At out of range")
	}
	if _, err := x.At(0); err == nil {
		t.Fatal("At with too few indices")
	}
	if _, err := x.Item(); err == nil {
		t.Fatal("Item of 6 elements")
	}
	if !f32(t, []int{2}, 1, float32(math.NaN())).HasNaN() || x.HasNaN() || arange(t, 3).HasNaN() {
		t.Fatal("HasNaN")
	}
	if str := arange(t, 3, 3).String(); !strings.Contains(str, "float64 [3 3]") || !strings.HasSuffix(str, "...)") {
		t.Fatalf("String %q", str)
	}
	c := xt.Contiguous()
	if c == xt || !c.IsContiguous() || x.Contiguous() != x {
		t.Fatal("Contiguous copies only when needed")
	}
	if OpPow.String() != "pow" || BinaryOp(99).String() != "op(99)" {
		t.Fatal("op names")
	}
}

func TestReduceMaxStrided(t *testing.T) {
	must := mk(t)
	x := f64(t, []int{2, 3}, 3, -1, 7, 0, 9, 2)
	xt := must(x.Permute([]int{1, 0})) // [[3 0] [-1 9] [7 2]]
	expect(t, must(ReduceMax(xt, 1, false)), Float64, []int{3}, 3, 9, 7)
	expect(t, must(ReduceMin(xt, 0, false)), Float64, []int{2}, -1, 0)
	b := must(f64(t, []int{3}, 1, 5, 2).BroadcastTo([]int{4, 3}))
	expect(t, must(ReduceMax(b, 0, false)), Float64, []int{3}, 1, 5, 2)
	expect(t, must(ReduceMax(b, 1, true)), Float64, []int{4, 1}, 5, 5, 5, 5)
}
