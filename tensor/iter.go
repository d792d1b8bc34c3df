package tensor

// RowLoop walks one shape for several operands at once (operand k with its
// own strides into its own backing slice) and hands kernels whole innermost
// rows, so the per-element work is a plain indexed loop instead of a
// closure call per element. Axes are coalesced first: size-1 axes are
// dropped and neighbouring axes that are contiguous with each other in every
// operand are merged, so a contiguous elementwise kernel becomes one row.
//
// Rows are numbered 0..Rows()-1 in C order of the coalesced outer axes.
// Each can walk any sub-range [lo, hi) of them, so parallel callers split
// the range (SplitRange) and walk the pieces on separate goroutines; a
// RowLoop is read-only after NewRowLoop and safe for concurrent Each calls.
// Both this package's kernels and the runtime's parallel kernels use it.
type RowLoop struct {
	outer []int   // sizes of the non-innermost axes, after coalescing
	ostr  [][]int // ostr[k][i] is operand k's stride along outer axis i
	n     int     // length of each innermost row
	inner []int   // inner[k] is operand k's stride along the row
	rows  int     // number of rows: the product of outer (0 when empty)
}

// rowLoop is the name this package's kernels use.
type rowLoop = RowLoop

// NewRowLoop prepares a walk of shape; strides[k] are operand k's strides
// (len(shape) entries each, in elements; 0 for broadcast axes). A shape
// with a zero dimension has no rows.
func NewRowLoop(shape []int, strides ...[]int) *RowLoop {
	l := &RowLoop{inner: make([]int, len(strides)), ostr: make([][]int, len(strides))}
	var dims []int
	st := make([][]int, len(strides))
	for i, d := range shape {
		if d == 0 {
			l.n, l.rows = 0, 0
			return l
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
	l.rows = 1
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
	for _, d := range l.outer {
		l.rows *= d
	}
	return l
}

func newRowLoop(shape []int, strides ...[]int) *RowLoop { return NewRowLoop(shape, strides...) }

// Rows is the number of rows (0 for an empty shape).
func (l *RowLoop) Rows() int { return l.rows }

// RowLen is the number of elements in each row.
func (l *RowLoop) RowLen() int { return l.n }

// Stride is operand k's stride between neighbouring elements of a row.
func (l *RowLoop) Stride(k int) int { return l.inner[k] }

// Outer returns the coalesced outer axis sizes (their product is Rows);
// the caller must not modify it.
func (l *RowLoop) Outer() []int { return l.outer }

// OuterStride is operand k's stride along coalesced outer axis i.
func (l *RowLoop) OuterStride(k, i int) int { return l.ostr[k][i] }

// Offsets sets offs[k] to base[k] plus operand k's offset of the start of
// row (0 <= row < Rows()).
func (l *RowLoop) Offsets(row int, base, offs []int) {
	copy(offs, base)
	for i := len(l.outer) - 1; i >= 0; i-- {
		d := l.outer[i]
		j := row % d
		row /= d
		for k := range offs {
			offs[k] += j * l.ostr[k][i]
		}
	}
}

// Each calls f for rows lo..hi-1 in order with offs[k] the backing index
// (base[k] added) of the first element of operand k's row. offs is reused
// between calls: f must not modify or keep it.
func (l *RowLoop) Each(lo, hi int, base []int, f func(offs []int)) {
	hi = min(hi, l.rows)
	if lo >= hi {
		return
	}
	r := len(l.outer)
	offs := make([]int, len(base))
	l.Offsets(lo, base, offs)
	if r == 0 {
		f(offs)
		return
	}
	idx := make([]int, r)
	for i, row := r-1, lo; i >= 0; i-- {
		idx[i] = row % l.outer[i]
		row /= l.outer[i]
	}
	for row := lo; ; {
		f(offs)
		if row++; row >= hi {
			return
		}
		// odometer step: bump the innermost outer axis, carrying outward.
		for i := r - 1; i >= 0; i-- {
			idx[i]++
			for k := range offs {
				offs[k] += l.ostr[k][i]
			}
			if idx[i] < l.outer[i] {
				break
			}
			for k := range offs {
				offs[k] -= l.ostr[k][i] * l.outer[i]
			}
			idx[i] = 0
		}
	}
}

// each walks every row (Each over [0, Rows())).
func (l *RowLoop) each(base []int, f func(pos []int)) { l.Each(0, l.rows, base, f) }

// SplitRange returns piece c (0 <= c < parts) of [lo, hi) cut into parts
// contiguous pieces whose sizes differ by at most one. The cut depends only
// on its arguments, so parallel kernels stay deterministic.
func SplitRange(lo, hi, parts, c int) (clo, chi int) {
	n := hi - lo
	return lo + n*c/parts, lo + n*(c+1)/parts
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
