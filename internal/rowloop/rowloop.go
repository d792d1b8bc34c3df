// Package rowloop walks a shape for several strided operands at once and
// hands kernels whole innermost rows; the tensor package's kernels and the
// runtime's parallel kernels share it, and nothing outside circopt needs it.
//
// Invariants: a Loop is read-only after New, so concurrent Each calls over
// disjoint row ranges are safe; SplitRange's cut depends only on its
// arguments, so parallel kernels stay deterministic.
package rowloop

// Loop walks one shape for several operands at once (operand k with its
// own strides into its own backing slice) and hands kernels whole innermost
// rows, so the per-element work is a plain indexed loop instead of a
// closure call per element. Axes are coalesced first: size-1 axes are
// dropped and neighbouring axes that are contiguous with each other in every
// operand are merged, so a contiguous elementwise kernel becomes one row.
//
// Rows are numbered 0..Rows()-1 in C order of the coalesced outer axes.
// Each can walk any sub-range [lo, hi) of them, so parallel callers split
// the range (SplitRange) and walk the pieces on separate goroutines; a
// Loop is read-only after New and safe for concurrent Each calls.
// The tensor package's kernels and the runtime's parallel kernels share it.
type Loop struct {
	outer []int   // sizes of the non-innermost axes, after coalescing
	ostr  [][]int // ostr[k][i] is operand k's stride along outer axis i
	n     int     // length of each innermost row
	inner []int   // inner[k] is operand k's stride along the row
	rows  int     // number of rows: the product of outer (0 when empty)
}

// New prepares a walk of shape; strides[k] are operand k's strides
// (len(shape) entries each, in elements; 0 for broadcast axes). A shape
// with a zero dimension has no rows.
func New(shape []int, strides ...[]int) *Loop {
	l := &Loop{inner: make([]int, len(strides)), ostr: make([][]int, len(strides))}
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

// Rows is the number of rows (0 for an empty shape).
func (l *Loop) Rows() int { return l.rows }

// RowLen is the number of elements in each row.
func (l *Loop) RowLen() int { return l.n }

// Stride is operand k's stride between neighbouring elements of a row.
func (l *Loop) Stride(k int) int { return l.inner[k] }

// Outer returns the coalesced outer axis sizes (their product is Rows);
// the caller must not modify it.
func (l *Loop) Outer() []int { return l.outer }

// OuterStride is operand k's stride along coalesced outer axis i.
func (l *Loop) OuterStride(k, i int) int { return l.ostr[k][i] }

// Offsets sets offs[k] to base[k] plus operand k's offset of the start of
// row (0 <= row < Rows()).
func (l *Loop) Offsets(row int, base, offs []int) {
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
func (l *Loop) Each(lo, hi int, base []int, f func(offs []int)) {
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

// SplitRange returns piece c (0 <= c < parts) of [lo, hi) cut into parts
// contiguous pieces whose sizes differ by at most one. The cut depends only
// on its arguments, so parallel kernels stay deterministic.
func SplitRange(lo, hi, parts, c int) (clo, chi int) {
	n := hi - lo
	return lo + n*c/parts, lo + n*(c+1)/parts
}
