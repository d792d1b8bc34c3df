package tensor

import (
	"fmt"
	"math"
	"slices"
)

// Compare returns the largest absolute difference |a-b| and the largest
// relative difference |a-b|/|b| (b is the reference) over all elements of
// two tensors of the same shape (dtypes may differ). NaN against NaN and
// equal infinities count as equal (difference 0); NaN against a number, or
// a nonzero difference where b is 0, counts as +Inf.
func Compare(a, b *Tensor) (maxAbs, maxRel float64, err error) {
	if !slices.Equal(a.shape, b.shape) {
		return 0, 0, fmt.Errorf("compare: shapes %v and %v differ", a.shape, b.shape)
	}
	bv := b.Float64s()
	i := 0
	a.forEachOffset(func(p int) {
		x, y := a.getFlat(p), bv[i]
		i++
		abs, rel := elemDiff(x, y)
		maxAbs = math.Max(maxAbs, abs)
		maxRel = math.Max(maxRel, rel)
	})
	return maxAbs, maxRel, nil
}

func elemDiff(x, y float64) (abs, rel float64) {
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn, x == y:
		return 0, 0
	case xn || yn:
		return math.Inf(1), math.Inf(1)
	}
	abs = math.Abs(x - y) // +Inf when an infinity meets anything else
	if y == 0 {
		return abs, math.Inf(1)
	}
	return abs, abs / math.Abs(y)
}

// AllClose reports whether a and b have the same shape and every element
// satisfies numpy's |a-b| <= atol + rtol*|b|. Equal infinities are close;
// NaN is close only to NaN (numpy's equal_nan=True), matching Compare.
func AllClose(a, b *Tensor, rtol, atol float64) bool {
	if !slices.Equal(a.shape, b.shape) {
		return false
	}
	bv := b.Float64s()
	i := 0
	ok := true
	a.forEachOffset(func(p int) {
		x, y := a.getFlat(p), bv[i]
		i++
		if !ok {
			return
		}
		xn, yn := math.IsNaN(x), math.IsNaN(y)
		switch {
		case xn && yn, x == y:
		case xn || yn || math.IsInf(x, 0) || math.IsInf(y, 0):
			ok = false
		case !(math.Abs(x-y) <= atol+rtol*math.Abs(y)):
			ok = false
		}
	})
	return ok
}
