package tensor

import (
	"math"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// drawBroadcastPair draws two shapes that broadcast together: each axis of
// the right-aligned result is kept, set to 1, or dropped (leading axes only).
func drawBroadcastPair(rt *rapid.T) (full, a, b []int) {
	r := rapid.IntRange(0, 4).Draw(rt, "rank")
	full = make([]int, r)
	for i := range full {
		full[i] = rapid.IntRange(1, 4).Draw(rt, "dim")
	}
	sub := func(name string) []int {
		lead := rapid.IntRange(0, r).Draw(rt, name+"lead")
		s := make([]int, 0, r-lead)
		for _, d := range full[lead:] {
			if rapid.Bool().Draw(rt, name+"one") {
				d = 1
			}
			s = append(s, d)
		}
		return s
	}
	return full, sub("a"), sub("b")
}

// atBroadcast reads x at a full-rank index by numpy's right-aligned rules.
func atBroadcast(t *testing.T, x *Tensor, idx []int) float64 {
	lead := len(idx) - x.Rank()
	own := make([]int, x.Rank())
	for i := range own {
		if x.Dim(i) != 1 {
			own[i] = idx[lead+i]
		}
	}
	return at(t, x, own...)
}

func TestBinaryMatchesNaive(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		_, sa, sb := drawBroadcastPair(rt)
		op := rapid.SampledFrom([]BinaryOp{OpAdd, OpSub, OpMul, OpDiv, OpMax, OpMin}).Draw(rt, "op")
		a, _ := RandN(Float64, sa, 1)
		b, _ := RandN(Float64, sb, 2)
		if len(sa) > 1 && rapid.Bool().Draw(rt, "transposeA") {
			// same logical shape, transposed storage
			perm := []int{1, 0}
			for i := 2; i < len(sa); i++ {
				perm = append(perm, i)
			}
			raw, _ := RandN(Float64, permuted(sa, perm), 3)
			a, _ = raw.Permute(perm)
		}
		got, err := Binary(op, a, b)
		if err != nil {
			rt.Fatal(err)
		}
		shape := got.Shape()
		i := 0
		vals := got.Float64s()
		forEachIndex(shape, func(idx []int) {
			x, y := atBroadcast(t, a, idx), atBroadcast(t, b, idx)
			var w float64
			switch op {
			case OpAdd:
				w = x + y
			case OpSub:
				w = x - y
			case OpMul:
				w = x * y
			case OpDiv:
				w = x / y
			case OpMax:
				w = math.Max(x, y)
			case OpMin:
				w = math.Min(x, y)
			}
			if vals[i] != w {
				rt.Fatalf("%v %v %v at %v: %v, want %v", sa, op, sb, idx, vals[i], w)
			}
			i++
		})
	})
}

func TestSumMatchesNaive(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		shape, _, _ := drawBroadcastPair(rt)
		x, _ := RandN(Float64, shape, 4)
		var axes []int
		for i := range shape {
			if rapid.Bool().Draw(rt, "reduce") {
				axes = append(axes, i-len(shape)*rapid.IntRange(0, 1).Draw(rt, "neg"))
			}
		}
		keep := rapid.Bool().Draw(rt, "keep")
		got, err := Sum(x, axes, keep)
		if err != nil {
			rt.Fatal(err)
		}
		red := make([]bool, len(shape))
		for _, a := range axes {
			red[(a+len(shape))%len(shape)] = true
		}
		want := map[int]float64{}
		var outShape []int
		for i, d := range shape {
			if !red[i] || len(axes) == 0 {
				outShape = append(outShape, d)
			} else if keep {
				outShape = append(outShape, 1)
			}
		}
		outStr := ContiguousStrides(outShape)
		forEachIndex(shape, func(idx []int) {
			o, j := 0, 0
			for i, v := range idx {
				if red[i] && len(axes) > 0 {
					if keep {
						j++
					}
					continue
				}
				o += v * outStr[j]
				j++
			}
			want[o] += at(t, x, idx...)
		})
		if !slices.Equal(got.Shape(), outShape) {
			rt.Fatalf("shape %v, want %v", got.Shape(), outShape)
		}
		for i, v := range got.Float64s() {
			if math.Abs(v-want[i]) > 1e-12*(1+math.Abs(want[i])) {
				rt.Fatalf("sum %v over %v: element %d = %v, want %v", shape, axes, i, v, want[i])
			}
		}
	})
}

// forEachIndex calls f with every index of shape in C order.
func forEachIndex(shape []int, f func(idx []int)) {
	n, _ := NumElements(shape)
	idx := make([]int, len(shape))
	for k := 0; k < n; k++ {
		f(idx)
		for ax := len(shape) - 1; ax >= 0; ax-- {
			idx[ax]++
			if idx[ax] < shape[ax] {
				break
			}
			idx[ax] = 0
		}
	}
}
