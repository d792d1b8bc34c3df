package tensor

import "testing"

func TestGather(t *testing.T) {
	must := mk(t)
	x := arange(t, 3, 2) // [[0 1] [2 3] [4 5]]
	expect(t, must(Gather(x, 0, []int64{2, 0, -1, 2})), Float64, []int{4, 2}, 4, 5, 0, 1, 4, 5, 4, 5)
	expect(t, must(Gather(x, -1, []int64{1})), Float64, []int{3, 1}, 1, 3, 5)
	expect(t, must(Gather(x, 1, nil)), Float64, []int{3, 0})
	xt := must(x.Permute([]int{1, 0})) // [[0 2 4] [1 3 5]]
	expect(t, must(Gather(xt, 1, []int64{-3, 1})), Float64, []int{2, 2}, 0, 2, 1, 3)
	expect(t, must(Gather(x.Cast(Int64), 0, []int64{1})), Int64, []int{1, 2}, 2, 3)
	_, err := Gather(x, 0, []int64{3})
	wantErr(t, err, "index past end")
	_, err = Gather(x, 0, []int64{-4})
	wantErr(t, err, "negative index wrapping twice")
	_, err = Gather(x, 2, []int64{0})
	wantErr(t, err, "axis out of range")
}

func TestConcat(t *testing.T) {
	must := mk(t)
	a := arange(t, 2, 2)
	b := f32(t, []int{2, 1}, 10, 20)
	expect(t, must(Concat([]*Tensor{a, b}, 1)), Float64, []int{2, 3}, 0, 1, 10, 2, 3, 20)
	bt := must(f64(t, []int{2, 1}, 7, 8).Permute([]int{1, 0})) // [1,2]
	expect(t, must(Concat([]*Tensor{a, bt, a}, -2)), Float64, []int{5, 2}, 0, 1, 2, 3, 7, 8, 0, 1, 2, 3)
	expect(t, must(Concat([]*Tensor{b, a}, 1)), Float32, []int{2, 3}, 10, 0, 1, 20, 2, 3)
	_, err := Concat(nil, 0)
	wantErr(t, err, "no tensors")
	_, err = Concat([]*Tensor{a, b}, 0)
	wantErr(t, err, "other dims differ")
	_, err = Concat([]*Tensor{a, arange(t, 2)}, 0)
	wantErr(t, err, "rank differs")
	_, err = Concat([]*Tensor{a}, 2)
	wantErr(t, err, "axis out of range")
}

func TestPadInto(t *testing.T) {
	must := mk(t)
	x := f64(t, []int{2, 2}, 1, 2, 3, 4)
	expect(t, must(PadInto(x, []int{3, 4}, []int{1, 1})), Float64, []int{3, 4},
		0, 0, 0, 0,
		0, 1, 2, 0,
		0, 3, 4, 0)
	xt := must(x.Permute([]int{1, 0}))
	expect(t, must(PadInto(xt, []int{2, 3}, []int{0, 1})), Float64, []int{2, 3}, 0, 1, 3, 0, 2, 4)
	expect(t, must(PadInto(ScalarOf(Int64, 5), []int{}, []int{})), Int64, []int{}, 5)
	_, err := PadInto(x, []int{3, 3}, []int{2, 0})
	wantErr(t, err, "does not fit")
	_, err = PadInto(x, []int{3, 3}, []int{-1, 0})
	wantErr(t, err, "negative start")
	_, err = PadInto(x, []int{3}, []int{0})
	wantErr(t, err, "rank mismatch")
}
