package tensor

// rowLoop walks one shape for several operands at once (each with its own
// strides into its own backing slice) and hands the kernels whole innermost
// rows, so the per-element work is a plain indexed loop instead of a closure
// call. Axes are coalesced first: size-1 axes are dropped and neighbouring
// axes that are contiguous with each other in every operand are merged, so a
// contiguous elementwise kernel becomes a single row.
type rowLoop struct {
	outer   []int   // sizes of the non-innermost axes, after coalescing
	ostr    [][]int // ostr[k][i] is operand k's stride along outer axis i
	n       int     // length of each innermost row
	inner   []int   // inner[k] is operand k's stride along the row
	empty   bool    // the shape has a zero dimension: no rows at all
	nOpers  int
	scratch []int
}

// newRowLoop prepares a walk of shape; strides[k] are operand k's strides
// (len(shape) entries each).
func newRowLoop(shape []int, strides ...[]int) *rowLoop {
	l := &rowLoop{nOpers: len(strides)}
	var dims []int
	st := make([][]int, len(strides))
	for i, d := range shape {
		if d == 0 {
			l.empty = true
		}
		if d == 1 {
			continue
		}
		// merge axis i into the previous kept axis when, for every operand,
		// stepping the previous axis once equals stepping axis i d times.
		if m := len(dims); m > 0 {
			ok := true
			for k := range strides {
				if st[k][m-1] != strides[k][i]*d {
					ok = false
					break
				}
			}
			if ok {
				dims[m-1] *= d
				for k := range strides {
					st[k][m-1] = strides[k][i]
				}
				continue
			}
		}
		dims = append(dims, d)
		for k := range strides {
			st[k] = append(st[k], strides[k][i])
		}
	}
	l.inner = make([]int, len(strides))
	l.ostr = make([][]int, len(strides))
	if len(dims) == 0 {
		l.n = 1
		return l
	}
	last := len(dims) - 1
	l.n = dims[last]
	l.outer = dims[:last]
	for k := range strides {
		l.inner[k] = st[k][last]
		l.ostr[k] = st[k][:last]
	}
	return l
}

// each calls f with the starting backing index of every operand for each row,
// in C order of the (coalesced) outer axes. f must not modify or keep pos.
func (l *rowLoop) each(base []int, f func(pos []int)) {
	if l.empty {
		return
	}
	pos := make([]int, len(base))
	copy(pos, base)
	r := len(l.outer)
	if r == 0 {
		f(pos)
		return
	}
	idx := make([]int, r)
	for {
		f(pos)
		ax := r - 1
		for ; ax >= 0; ax-- {
			idx[ax]++
			for k := range pos {
				pos[k] += l.ostr[k][ax]
			}
			if idx[ax] < l.outer[ax] {
				break
			}
			for k := range pos {
				pos[k] -= l.ostr[k][ax] * l.outer[ax]
			}
			idx[ax] = 0
		}
		if ax < 0 {
			return
		}
	}
}

// copyInto writes src into dst element by element (same shape), converting
// dtypes. dst must be a tensor (or a view of one) this package allocated.
func copyInto(dst, src *Tensor) {
	l := newRowLoop(dst.shape, dst.strides, src.strides)
	n, sd, ss := l.n, l.inner[0], l.inner[1]
	switch {
	case dst.dtype == Float64 && src.dtype == Float64:
		l.each([]int{dst.offset, src.offset}, func(p []int) {
			copyRow(dst.f64, p[0], sd, src.f64, p[1], ss, n)
		})
	case dst.dtype == Float32 && src.dtype == Float32:
		l.each([]int{dst.offset, src.offset}, func(p []int) {
			copyRow(dst.f32, p[0], sd, src.f32, p[1], ss, n)
		})
	case dst.dtype == Int64 && src.dtype == Int64:
		l.each([]int{dst.offset, src.offset}, func(p []int) {
			copyRow(dst.i64, p[0], sd, src.i64, p[1], ss, n)
		})
	default:
		l.each([]int{dst.offset, src.offset}, func(p []int) {
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
