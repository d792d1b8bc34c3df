package tensor

import (
	"fmt"
	"math"
)

// reduceAxes normalises axes (negative counts from the end) and returns a
// mask of the reduced axes; duplicates and out-of-range axes are errors.
func reduceAxes(op string, axes []int, rank int) ([]bool, error) {
	mask := make([]bool, rank)
	for _, a := range axes {
		n, ok := normAxis(a, rank)
		if !ok {
			return nil, fmt.Errorf("%s: axis %d out of range for rank %d", op, a, rank)
		}
		if mask[n] {
			return nil, fmt.Errorf("%s: axis %d given twice in %v", op, a, axes)
		}
		mask[n] = true
	}
	return mask, nil
}

// reducedShape returns the output shape and, for walking the input, the
// output strides with zeros on reduced axes.
func reducedShape(shape []int, mask []bool, keepDims bool) (out []int, accStrides []int) {
	kept := make([]int, len(shape))
	for i, d := range shape {
		kept[i] = d
		if mask[i] {
			kept[i] = 1
		}
	}
	accStrides = ContiguousStrides(kept)
	for i := range shape {
		switch {
		case !mask[i]:
			out = append(out, shape[i])
		case keepDims:
			accStrides[i] = 0
			out = append(out, 1)
		default:
			accStrides[i] = 0
		}
	}
	if out == nil {
		out = []int{}
	}
	return out, accStrides
}

// Sum adds over axes (negative axes count from the end; an empty list is a
// plain copy). keepDims leaves reduced axes in place with size 1. Float
// tensors accumulate in float64 whatever their dtype.
func Sum(t *Tensor, axes []int, keepDims bool) (*Tensor, error) {
	return sumMean("sum", t, axes, keepDims, false)
}

// Mean is Sum divided by the number of reduced elements (NaN for floats
// when that number is 0; an int64 mean truncates).
func Mean(t *Tensor, axes []int, keepDims bool) (*Tensor, error) {
	return sumMean("mean", t, axes, keepDims, true)
}

func sumMean(op string, t *Tensor, axes []int, keepDims, mean bool) (*Tensor, error) {
	mask, err := reduceAxes(op, axes, len(t.shape))
	if err != nil {
		return nil, err
	}
	if len(axes) == 0 {
		return t.Clone(), nil
	}
	shape, accStrides := reducedShape(t.shape, mask, keepDims)
	out := mustZeros(t.dtype, shape)
	count := 1
	for i, d := range t.shape {
		if mask[i] {
			count *= d
		}
	}
	l := newRowLoop(t.shape, accStrides, t.strides)
	n, sa, st := l.RowLen(), l.Stride(0), l.Stride(1)
	base := []int{0, t.offset}
	if t.dtype == Int64 {
		acc := out.i64
		l.Each(0, l.Rows(), base, func(p []int) { sumRow(acc, p[0], sa, t.i64, p[1], st, n) })
		if mean {
			for i := range acc {
				if count == 0 {
					acc[i] = 0
				} else {
					acc[i] /= int64(count)
				}
			}
		}
		return out, nil
	}
	acc := make([]float64, out.Size())
	if t.dtype == Float64 {
		l.Each(0, l.Rows(), base, func(p []int) { sumRow(acc, p[0], sa, t.f64, p[1], st, n) })
	} else {
		l.Each(0, l.Rows(), base, func(p []int) {
			pa, pt := p[0], p[1]
			for j := 0; j < n; j++ {
				acc[pa] += float64(t.f32[pt])
				pa += sa
				pt += st
			}
		})
	}
	for i, v := range acc {
		if mean {
			v /= float64(count)
		}
		out.setFlat(i, v)
	}
	return out, nil
}

func sumRow[A float64 | int64](acc []A, pa, sa int, x []A, px, sx, n int) {
	if sa == 0 {
		// the row runs along a reduced axis: keep the partial sum in a register
		s := acc[pa]
		for j := 0; j < n; j++ {
			s += x[px]
			px += sx
		}
		acc[pa] = s
		return
	}
	for j := 0; j < n; j++ {
		acc[pa] += x[px]
		pa += sa
		px += sx
	}
}

// ReduceMax is the maximum over one axis (negative counts from the end).
// NaN propagates. Reducing an axis of size 0 is an error (no identity).
func ReduceMax(t *Tensor, axis int, keepDims bool) (*Tensor, error) {
	return reduceExtreme("ReduceMax", t, axis, keepDims, OpMax)
}

// ReduceMin is ReduceMax for the minimum.
func ReduceMin(t *Tensor, axis int, keepDims bool) (*Tensor, error) {
	return reduceExtreme("ReduceMin", t, axis, keepDims, OpMin)
}

func reduceExtreme(name string, t *Tensor, axis int, keepDims bool, op BinaryOp) (*Tensor, error) {
	ax, ok := normAxis(axis, len(t.shape))
	if !ok {
		return nil, fmt.Errorf("%s: axis %d out of range for rank %d", name, axis, len(t.shape))
	}
	d := t.shape[ax]
	if d == 0 {
		return nil, fmt.Errorf("%s: axis %d has size 0", name, axis)
	}
	first, err := t.Select(ax, 0)
	if err != nil {
		return nil, err
	}
	// Seed with the first slice, then fold in every element in one pass over
	// t in its own order, the output having stride 0 along ax (re-visiting
	// the seed is harmless for max and min).
	out := first.Clone()
	mask := make([]bool, len(t.shape))
	mask[ax] = true
	_, accStrides := reducedShape(t.shape, mask, false)
	l := newRowLoop(t.shape, accStrides, t.strides)
	n, so, st := l.RowLen(), l.Stride(0), l.Stride(1)
	base := []int{0, t.offset}
	switch t.dtype {
	case Float64:
		l.Each(0, l.Rows(), base, func(p []int) { extremeRow(op, out.f64, p[0], so, t.f64, p[1], st, n) })
	case Float32:
		l.Each(0, l.Rows(), base, func(p []int) { extremeRow(op, out.f32, p[0], so, t.f32, p[1], st, n) })
	case Int64:
		l.Each(0, l.Rows(), base, func(p []int) { extremeRow(op, out.i64, p[0], so, t.i64, p[1], st, n) })
	}
	if keepDims {
		return out.Unsqueeze(ax)
	}
	return out, nil
}

func extremeRow[T float32 | float64 | int64](op BinaryOp, o []T, po, so int, x []T, px, sx, n int) {
	for j := 0; j < n; j++ {
		v := x[px]
		// v != v is NaN: once a NaN is seen it stays
		if v != v || (op == OpMax && v > o[po]) || (op == OpMin && v < o[po]) {
			o[po] = v
		}
		po += so
		px += sx
	}
}

// Softmax is exp(x - max) / sum(exp(x - max)) along axis (negative counts
// from the end); subtracting the max keeps exp from overflowing.
func Softmax(t *Tensor, axis int) (*Tensor, error) {
	return softmax("Softmax", t, axis, false)
}

// LogSoftmax is x - max - log(sum(exp(x - max))) along axis.
func LogSoftmax(t *Tensor, axis int) (*Tensor, error) {
	return softmax("LogSoftmax", t, axis, true)
}

func softmax(name string, t *Tensor, axis int, log bool) (*Tensor, error) {
	if !t.dtype.IsFloat() {
		return nil, fmt.Errorf("%s: needs a float tensor, got %v", name, t.dtype)
	}
	ax, ok := normAxis(axis, len(t.shape))
	if !ok {
		return nil, fmt.Errorf("%s: axis %d out of range for rank %d", name, axis, len(t.shape))
	}
	// Work in place on a fresh contiguous copy: a line along ax is then
	// d elements spaced inner apart.
	out := t.Clone()
	d := t.shape[ax]
	inner := 1
	for _, s := range t.shape[ax+1:] {
		inner *= s
	}
	outer := 1
	for _, s := range t.shape[:ax] {
		outer *= s
	}
	if t.dtype == Float64 {
		softmaxLines(out.f64, outer, d, inner, log)
	} else {
		softmaxLines(out.f32, outer, d, inner, log)
	}
	return out, nil
}

func softmaxLines[T float32 | float64](x []T, outer, d, inner int, log bool) {
	if d == 0 {
		return
	}
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*d*inner + i
			m := math.Inf(-1)
			for k := 0; k < d; k++ {
				m = math.Max(m, float64(x[base+k*inner]))
			}
			if math.IsInf(m, -1) {
				// every entry is -Inf: shifting by 0 gives 0/0 = NaN, as torch does
				m = 0
			}
			var s float64
			for k := 0; k < d; k++ {
				s += math.Exp(float64(x[base+k*inner]) - m)
			}
			if log {
				ls := m + math.Log(s)
				for k := 0; k < d; k++ {
					p := base + k*inner
					x[p] = T(float64(x[p]) - ls)
				}
				continue
			}
			for k := 0; k < d; k++ {
				p := base + k*inner
				x[p] = T(math.Exp(float64(x[p])-m) / s)
			}
		}
	}
}
