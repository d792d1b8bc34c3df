package tensor

import "github.com/circopt/circopt/internal/rowloop"

// rowLoop is the shared row walker (internal/rowloop) under the name this
// package's kernels use.
type rowLoop = rowloop.Loop

func newRowLoop(shape []int, strides ...[]int) *rowLoop { return rowloop.New(shape, strides...) }

// copyInto writes src into dst element by element (same shape), converting
// dtypes. dst must be a tensor (or a view of one) this package allocated.
func copyInto(dst, src *Tensor) {
	l := newRowLoop(dst.shape, dst.strides, src.strides)
	n, sd, ss := l.RowLen(), l.Stride(0), l.Stride(1)
	switch {
	case dst.dtype == Float64 && src.dtype == Float64:
		l.Each(0, l.Rows(), []int{dst.offset, src.offset}, func(p []int) {
			copyRow(dst.f64, p[0], sd, src.f64, p[1], ss, n)
		})
	case dst.dtype == Float32 && src.dtype == Float32:
		l.Each(0, l.Rows(), []int{dst.offset, src.offset}, func(p []int) {
			copyRow(dst.f32, p[0], sd, src.f32, p[1], ss, n)
		})
	case dst.dtype == Int64 && src.dtype == Int64:
		l.Each(0, l.Rows(), []int{dst.offset, src.offset}, func(p []int) {
			copyRow(dst.i64, p[0], sd, src.i64, p[1], ss, n)
		})
	default:
		l.Each(0, l.Rows(), []int{dst.offset, src.offset}, func(p []int) {
			pd, ps := p[0], p[1]
			for j := 0; j < n; j++ {
				dst.setFlat(pd, src.getFlat(ps))
				pd += sd
				ps += ss
			}
		})
	}
}

func copyRow[T float32 | float64 | int64](d []T, pd, sd int, s []T, ps, ss, n int) {
	if sd == 1 && ss == 1 {
		copy(d[pd:pd+n], s[ps:ps+n])
		return
	}
	for j := 0; j < n; j++ {
		d[pd] = s[ps]
		pd += sd
		ps += ss
	}
}

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(axis, rank int) (int, bool) {
	if axis < 0 {
		axis += rank
	}
	return axis, axis >= 0 && axis < rank
}
