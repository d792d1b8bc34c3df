package tensor

import (
	"slices"
	"testing"
)

func TestViewsShareBacking(t *testing.T) {
	must := mk(t)
	data := []float64{0, 1, 2, 3, 4, 5}
	x := f64(t, []int{2, 3}, data...)
	if &x.Float64Data()[0] != &data[0] {
		t.Fatal("FromFloat64 copied its data")
	}
	p := must(x.Permute([]int{1, 0}))
	s := must(x.Slice(1, 1, 3))
	sel := must(x.Select(0, 1))
	b := must(x.BroadcastTo([]int{4, 2, 3}))
	r := must(x.Reshape([]int{3, 2}))
	u := must(x.Unsqueeze(1))
	// Writing to the shared slice (test-only) must show through every view.
	data[5] = 50
	expect(t, p, Float64, []int{3, 2}, 0, 3, 1, 4, 2, 50)
	expect(t, s, Float64, []int{2, 2}, 1, 2, 4, 50)
	expect(t, sel, Float64, []int{3}, 3, 4, 50)
	if v, _ := b.At(3, 1, 2); v != 50 {
		t.Fatalf("broadcast view At = %v", v)
	}
	expect(t, r, Float64, []int{3, 2}, 0, 1, 2, 3, 4, 50)
	expect(t, u, Float64, []int{2, 1, 3}, 0, 1, 2, 3, 4, 50)
	if &r.Float64Data()[0] != &data[0] || &sel.Float64Data()[0] != &data[3] {
		t.Fatal("contiguous views do not share the backing slice")
	}
	if p.IsContiguous() || s.IsContiguous() || b.IsContiguous() {
		t.Fatal("strided views claim to be contiguous")
	}
}

func TestDiagonalView(t *testing.T) {
	x := arange(t, 3, 3)
	d, order, err := x.Diagonal([]int{7, 7})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order, []int{7}) {
		t.Fatalf("order %v", order)
	}
	expect(t, d, Float64, []int{3}, 0, 4, 8)
	y := arange(t, 2, 3, 2, 3)
	d2, order2, err := y.Diagonal([]int{1, 2, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order2, []int{1, 2}) {
		t.Fatalf("order %v", order2)
	}
	// element [i,j] = y[i,j,i,j] = i*18 + j*6 + i*3 + j
	expect(t, d2, Float64, []int{2, 3}, 0, 7, 14, 21, 28, 35)
	_, _, err = arange(t, 2, 3).Diagonal([]int{0, 0})
	wantErr(t, err, "diagonal of unequal sizes")
	_, _, err = arange(t, 2, 3).Diagonal([]int{0})
	wantErr(t, err, "diagonal label count")
}

func TestViewErrors(t *testing.T) {
	x := arange(t, 2, 3)
	_, err := x.Permute([]int{0, 0})
	wantErr(t, err, "permute duplicate")
	_, err = x.Slice(1, 2, 4)
	wantErr(t, err, "slice past end")
	_, err = x.Slice(2, 0, 1)
	wantErr(t, err, "slice axis")
	_, err = x.Select(0, 2)
	wantErr(t, err, "select index")
	_, err = x.BroadcastTo([]int{3, 3})
	wantErr(t, err, "broadcast")
	_, err = x.BroadcastTo([]int{3})
	wantErr(t, err, "broadcast to lower rank")
	_, err = x.Reshape([]int{4})
	wantErr(t, err, "reshape size")
	_, err = x.Unsqueeze(3)
	wantErr(t, err, "unsqueeze")
	_, err = Full(DType(9), []int{2}, 1)
	wantErr(t, err, "Full of unknown dtype")
	_, err = Zeros(Float64, []int{-1})
	wantErr(t, err, "negative dim")
	_, err = FromFloat64([]int{2, 2}, []float64{1})
	wantErr(t, err, "short data")
}

func TestBroadcastShapes(t *testing.T) {
	must := mk(t)
	s, err := BroadcastShapes([]int{3, 1, 5}, []int{4, 1}, []int{})
	if err != nil || !slices.Equal(s, []int{3, 4, 5}) {
		t.Fatalf("got %v, %v", s, err)
	}
	_, err = BroadcastShapes([]int{2, 3}, []int{4, 3})
	wantErr(t, err, "incompatible shapes")
	x := f64(t, []int{3, 1}, 1, 2, 3)
	b := must(x.BroadcastTo([]int{2, 3, 2}))
	expect(t, b, Float64, []int{2, 3, 2}, 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3)
}

func TestFullAndScalar(t *testing.T) {
	must := mk(t)
	x := must(Full(Float32, []int{2, 2}, 2.5))
	expect(t, x, Float32, []int{2, 2}, 2.5, 2.5, 2.5, 2.5)
	s := ScalarOf(Int64, 7)
	if v, err := s.Item(); err != nil || v != 7 || s.Rank() != 0 {
		t.Fatalf("scalar %v %v", v, err)
	}
	r1 := must(RandN(Float64, []int{3}, 1))
	r2 := must(RandN(Float64, []int{3}, 1))
	if !slices.Equal(r1.Float64s(), r2.Float64s()) {
		t.Fatal("RandN not deterministic")
	}
}
