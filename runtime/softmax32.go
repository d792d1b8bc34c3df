package runtime

import (
	"math"

	"github.com/circopt/circopt/internal/vec32"
	"github.com/circopt/circopt/ir"
)

// softmaxRow32 writes softmax (op OpSoftmax) or log_softmax of one float32
// row — d elements of a from p at stride sd — into dst, computing e^(x-max)
// with vec32's Exp64 instead of math.Exp; contiguous rows go through vec32's
// row kernels (Max, ExpSum or ExpStore, MulF64 or SubF64: vectorized,
// ExpSum adding in a fixed order of four partial sums), strided rows one
// element at a time. Everything else is lastAxisT's float64 arithmetic:
// the max, the float64 sum, one math.Log per row, the same roundings.
// Exp64 is within 5.3e-9 relative and exact at 0 (the row's max), so the
// sum is off by at most that fraction of its non-max part and every output
// stays within 1 float32 ulp of the float64 kernel's (softmax32_test.go).
// x-max is clamped at -150 (e^-150 rounds to float32 0 and is ~1e-65 of a
// sum that is at least 1); NaN passes through the clamp, so rows holding
// NaN or +Inf, and all -Inf (masked) rows, give NaN as before. lastAxisT
// sends contiguous rows of up to vec32.RowsMaxD to softmaxRows32 instead
// (on CPUs with its kernel), which gives these bits (softmaxrows_test.go).
func softmaxRow32(op ir.Op, a []float32, p, d, sd int, dst []float32) {
	m := float32(math.Inf(-1))
	if sd == 1 {
		m = vec32.Max(a[p : p+d])
	} else {
		for i := 0; i < d; i++ {
			m = max(m, a[p+i*sd])
		}
	}
	mf := float64(m)
	s := 0.0
	if op == ir.OpSoftmax {
		if sd == 1 {
			s = vec32.ExpStore(dst, a[p:p+d], mf)
		} else {
			for i := range dst {
				e := vec32.Exp64(max(float64(a[p+i*sd])-mf, -150))
				s += e
				dst[i] = float32(e)
			}
		}
		vec32.MulF64(dst, dst, 1/s)
		return
	}
	if sd == 1 {
		s = vec32.ExpSum(a[p:p+d], mf)
	} else {
		for i := 0; i < d; i++ {
			s += vec32.Exp64(max(float64(a[p+i*sd])-mf, -150))
		}
	}
	ls := mf + math.Log(s)
	if sd == 1 {
		vec32.SubF64(dst, a[p:p+d], ls)
		return
	}
	for i := range dst {
		dst[i] = float32(float64(a[p+i*sd]) - ls)
	}
}

// softmaxRows32 is lastAxisT for float32 softmax or log_softmax over
// contiguous rows of d ≤ vec32.RowsMaxD (row r at a[offs[r]:], its result
// at o[r*d:]): vec32.SoftmaxRows, which gives softmaxRow32's bits without
// its three kernel calls a row, over whole blocks of rows split across
// goroutines (each row's result depends on nothing else, so neither the
// split nor the blocking changes a bit).
func softmaxRows32(op ir.Op, offs []int, d int, a, o []float32) {
	per := vec32.RowsPerBlock(d)
	blocks := (len(offs) + per - 1) / per
	parFor(blocks, per*d*8, func(lo, hi int) {
		r0, r1 := lo*per, min(hi*per, len(offs))
		vec32.SoftmaxRows(o[r0*d:r1*d], a, offs[r0:r1], d, op == ir.OpLogSoftmax)
	})
}

// softmaxBlock32 writes the row op (softmax or log_softmax) of the
// contiguous rows of d in src into dst, as lastAxisT computes them: the
// block kernel for rows it takes, else softmaxRow32 row by row (the same
// bits either way). offs is 0, d, 2d, ... for as many rows as the block
// kernel takes a call (rowOffsets).
func softmaxBlock32(op ir.Op, dst, src []float32, d int, offs []int) {
	rows := len(src) / d
	if len(offs) > 0 {
		for r0 := 0; r0 < rows; r0 += len(offs) {
			n := min(len(offs), rows-r0)
			vec32.SoftmaxRows(dst[r0*d:(r0+n)*d], src[r0*d:], offs[:n], d, op == ir.OpLogSoftmax)
		}
		return
	}
	for r := 0; r < rows; r++ {
		softmaxRow32(op, src, r*d, d, 1, dst[r*d:(r+1)*d])
	}
}

// rowOffsets is softmaxBlock32's offs for rows of d, or nil when rows of
// d do not go through the block kernel here.
func rowOffsets(d int) []int {
	if d > vec32.RowsMaxD || !vec32.RowsFast() {
		return nil
	}
	offs := make([]int, vec32.RowsPerBlock(d))
	for r := range offs {
		offs[r] = r * d
	}
	return offs
}
