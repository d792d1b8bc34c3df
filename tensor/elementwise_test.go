package tensor

import (
	"math"
	"testing"
)

func TestMap(t *testing.T) {
	must := mk(t)
	sq := func(v float64) float64 { return v * v }
	x := f64(t, []int{2, 2}, 1, 2, 3, 4)
	expect(t, Map(x, sq), Float64, []int{2, 2}, 1, 4, 9, 16)
	// strided (transposed) input takes the row path
	xt := must(x.Permute([]int{1, 0}))
	expect(t, Map(xt, sq), Float64, []int{2, 2}, 1, 9, 4, 16)
	y := f32(t, []int{3}, -1, 0, 2)
	expect(t, Map(y, math.Exp), Float32, []int{3}, math.Exp(-1), 1, math.Exp(2))
	yb := must(f32(t, []int{1}, 3).BroadcastTo([]int{2, 2}))
	expect(t, Map(yb, sq), Float32, []int{2, 2}, 9, 9, 9, 9)
	z := i64(t, []int{2}, 3, -7)
	expect(t, Map(z, func(v float64) float64 { return v / 2 }), Int64, []int{2}, 1, -3)
	// inputs are untouched
	expect(t, x, Float64, []int{2, 2}, 1, 2, 3, 4)
}

func TestBinaryOps(t *testing.T) {
	a := f64(t, []int{4}, 1, -2, 3, 4)
	b := f64(t, []int{4}, 2, 2, -1, 0.5)
	cases := []struct {
		op   BinaryOp
		want []float64
	}{
		{OpAdd, []float64{3, 0, 2, 4.5}},
		{OpSub, []float64{-1, -4, 4, 3.5}},
		{OpMul, []float64{2, -4, -3, 2}},
		{OpDiv, []float64{0.5, -1, -3, 8}},
		{OpPow, []float64{1, 4, 1.0 / 3, 2}},
		{OpMax, []float64{2, 2, 3, 4}},
		{OpMin, []float64{1, -2, -1, 0.5}},
	}
	for _, c := range cases {
		got, err := Binary(c.op, a, b)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, got, Float64, []int{4}, c.want...)
		got32, err := Binary(c.op, a.Cast(Float32), b.Cast(Float32))
		if err != nil {
			t.Fatal(err)
		}
		expect(t, got32, Float32, []int{4}, c.want...)
	}
	_, err := Binary(BinaryOp(0), a, b)
	wantErr(t, err, "unknown op")
	_, err = Binary(OpAdd, a, f64(t, []int{3}, 1, 2, 3))
	wantErr(t, err, "unbroadcastable")
}

func TestBinaryBroadcastAndDTypes(t *testing.T) {
	must := mk(t)
	a := arange(t, 2, 3)               // [[0 1 2] [3 4 5]]
	col := f32(t, []int{2, 1}, 10, 20) // widened to float64
	row := i64(t, []int{3}, 1, 2, 3)   // widened to float64
	got := must(Binary(OpAdd, a, col))
	expect(t, got, Float64, []int{2, 3}, 10, 11, 12, 23, 24, 25)
	got = must(Binary(OpMul, row, a))
	expect(t, got, Float64, []int{2, 3}, 0, 2, 6, 3, 8, 15)
	// float32 x int64 -> float32; outer product by broadcasting
	got = must(Binary(OpSub, col, row))
	expect(t, got, Float32, []int{2, 3}, 9, 8, 7, 19, 18, 17)
	// transposed operand against a contiguous one
	at := must(arange(t, 3, 2).Permute([]int{1, 0})) // [[0 2 4] [1 3 5]]
	got = must(Binary(OpSub, a, at))
	expect(t, got, Float64, []int{2, 3}, 0, -1, -2, 2, 1, 0)
	// scalar with a zero-size tensor
	got = must(Binary(OpAdd, ScalarOf(Float64, 1), must(Zeros(Float64, []int{0, 3}))))
	expect(t, got, Float64, []int{0, 3})
	// NaN propagates through max/min
	got = must(Binary(OpMax, f64(t, []int{2}, math.NaN(), 1), f64(t, []int{2}, 0, math.NaN())))
	expect(t, got, Float64, []int{2}, math.NaN(), math.NaN())
}

func TestBinaryInt(t *testing.T) {
	must := mk(t)
	a := i64(t, []int{5}, 7, -7, 2, 5, 3)
	b := i64(t, []int{5}, 2, 2, 10, 0, -1)
	expect(t, must(Binary(OpDiv, a, b)), Int64, []int{5}, 3, -3, 0, 0, -3)
	expect(t, must(Binary(OpPow, a, b)), Int64, []int{5}, 49, 49, 1024, 1, 0)
	expect(t, must(Binary(OpMax, a, b)), Int64, []int{5}, 7, 2, 10, 5, 3)
	expect(t, must(Binary(OpMul, a, b)), Int64, []int{5}, 14, -14, 20, 0, -3)
}

func TestAddNAndScale(t *testing.T) {
	must := mk(t)
	got := must(AddN([]*Tensor{arange(t, 2, 2), f64(t, []int{2}, 10, 20), ScalarOf(Float32, 100)}))
	expect(t, got, Float64, []int{2, 2}, 110, 121, 112, 123)
	got = must(AddN([]*Tensor{i64(t, []int{2}, 1, 2)}))
	expect(t, got, Int64, []int{2}, 1, 2)
	_, err := AddN(nil)
	wantErr(t, err, "AddN of nothing")
	_, err = AddN([]*Tensor{arange(t, 2), arange(t, 3)})
	wantErr(t, err, "AddN unbroadcastable")
	expect(t, Scale(arange(t, 3), -2), Float64, []int{3}, 0, -2, -4)
	expect(t, Scale(f32(t, []int{2}, 1, 2), 0.5), Float32, []int{2}, 0.5, 1)
	expect(t, Scale(i64(t, []int{2}, 3, 4), 1.5), Int64, []int{2}, 4, 6)
}

func TestReduceSumMean(t *testing.T) {
	must := mk(t)
	x := arange(t, 2, 3, 4)
	// Sum over axis 1: out[i,k] = sum_j (12i + 4j + k) = 36i + 12 + 3k
	expect(t, must(Sum(x, []int{1}, false)), Float64, []int{2, 4}, 12, 15, 18, 21, 48, 51, 54, 57)
	expect(t, must(Sum(x, []int{-2}, true)), Float64, []int{2, 1, 4}, 12, 15, 18, 21, 48, 51, 54, 57)
	// over axes 0 and 2: out[j] = sum_i sum_k = 4*12*... computed by hand: 2*(4*4j+6) + 4*12 = 32j+60
	expect(t, must(Sum(x, []int{2, 0}, false)), Float64, []int{3}, 60, 92, 124)
	expect(t, must(Sum(x, []int{0, 1, 2}, false)), Float64, []int{}, 276)
	expect(t, must(Mean(x, []int{0, 1, 2}, true)), Float64, []int{1, 1, 1}, 11.5)
	expect(t, must(Mean(x.Cast(Float32), []int{1}, false)), Float32, []int{2, 4}, 4, 5, 6, 7, 16, 17, 18, 19)
	expect(t, must(Sum(x.Cast(Int64), []int{2}, false)), Int64, []int{2, 3}, 6, 22, 38, 54, 70, 86)
	expect(t, must(Mean(i64(t, []int{3}, 1, 2, 4), []int{0}, false)), Int64, []int{}, 2)
	// strided input
	xt := must(x.Permute([]int{2, 0, 1}))
	expect(t, must(Sum(xt, []int{2}, false)), Float64, []int{4, 2}, 12, 48, 15, 51, 18, 54, 21, 57)
	// empty axes: a copy
	c := must(Sum(xt, nil, false))
	expect(t, c, Float64, []int{4, 2, 3}, xt.Float64s()...)
	// mean over an empty axis is NaN
	expect(t, must(Mean(must(Zeros(Float64, []int{2, 0})), []int{1}, false)), Float64, []int{2}, math.NaN(), math.NaN())
	_, err := Sum(x, []int{1, -2}, false)
	wantErr(t, err, "duplicate axis")
	_, err = Sum(x, []int{3}, false)
	wantErr(t, err, "axis out of range")
	_, err = Mean(x, []int{-4}, false)
	wantErr(t, err, "negative axis out of range")
}

func TestReduceMaxMin(t *testing.T) {
	must := mk(t)
	x := f64(t, []int{2, 3}, 3, -1, 7, 0, 9, 2)
	expect(t, must(ReduceMax(x, 1, false)), Float64, []int{2}, 7, 9)
	expect(t, must(ReduceMax(x, 0, true)), Float64, []int{1, 3}, 3, 9, 7)
	expect(t, must(ReduceMin(x, -1, true)), Float64, []int{2, 1}, -1, 0)
	expect(t, must(ReduceMin(x.Cast(Int64), 0, false)), Int64, []int{3}, 0, -1, 2)
	expect(t, must(ReduceMax(x.Cast(Float32), 1, false)), Float32, []int{2}, 7, 9)
	y := f64(t, []int{3}, 1, math.NaN(), 2)
	expect(t, must(ReduceMax(y, 0, false)), Float64, []int{}, math.NaN())
	_, err := ReduceMax(must(Zeros(Float64, []int{0, 2})), 0, false)
	wantErr(t, err, "max over empty axis")
	_, err = ReduceMin(x, 2, false)
	wantErr(t, err, "axis out of range")
}

func TestSoftmax(t *testing.T) {
	must := mk(t)
	x := f64(t, []int{2, 3}, 1, 2, 3, 1000, 1000, 1000)
	e := []float64{math.Exp(1), math.Exp(2), math.Exp(3)}
	s := e[0] + e[1] + e[2]
	expect(t, must(Softmax(x, -1)), Float64, []int{2, 3}, e[0]/s, e[1]/s, e[2]/s, 1.0/3, 1.0/3, 1.0/3)
	ls := math.Log(s)
	expect(t, must(LogSoftmax(x, 1)), Float64, []int{2, 3}, 1-ls, 2-ls, 3-ls, -math.Log(3), -math.Log(3), -math.Log(3))
	// along axis 0 of a 2x2: columns
	y := f32(t, []int{2, 2}, 0, 1, 0, 3)
	a := 1 / (1 + math.Exp(2))
	expect(t, must(Softmax(y, 0)), Float32, []int{2, 2}, 0.5, a, 0.5, 1-a)
	// a transposed view gives the transposed answer
	yt := must(y.Permute([]int{1, 0}))
	expect(t, must(Softmax(yt, 1)), Float32, []int{2, 2}, 0.5, 0.5, a, 1-a)
	_, err := Softmax(i64(t, []int{2}, 1, 2), 0)
	wantErr(t, err, "softmax of int")
	_, err = LogSoftmax(x, 2)
	wantErr(t, err, "softmax axis")
}
