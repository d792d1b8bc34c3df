package runtime

import (
	"slices"

	"github.com/circopt/circopt/internal/rowloop"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// Fast paths for einsums that are not GEMMs.

// referenceHook, when set (tests), sees every value the fast executor
// leaves to the reference kernel.
var referenceHook func(v *ir.Value)

// productInto computes out = einsum(la,lb->lo)(a, b) for a contraction
// that sums no label (an outer or broadcast product, as a Mul lowers to):
// one elementwise pass, where GEMMs would run one tiny product per row.
func productInto(c *contraction, a, b, out *arr) {
	av, bv := onLabels(a, c.la, c.lo, out.shape), onLabels(b, c.lb, c.lo, out.shape)
	l := rowloop.New(out.shape, out.strides, av.strides, bv.strides)
	if out.dt == tensor.Float32 {
		binaryT(ir.OpMul, l, out.f32, av.f32, av.off, bv.f32, bv.off)
	} else {
		binaryT(ir.OpMul, l, out.f64, av.f64, av.off, bv.f64, bv.off)
	}
}

// dotInto computes out = einsum(la,lb->lo)(a, b) for a contraction whose
// operands share every kept label (batched dot products, as a squared norm
// lowers to): one strided pass, where GEMMs would run a 1×1 product per
// output element.
func dotInto(c *contraction, a, b, out *arr) {
	labels := append(slices.Clone(c.lo), c.k...)
	shape := slices.Clone(out.shape)
	for _, l := range c.k {
		shape = append(shape, a.shape[slices.Index(c.la, l)])
	}
	ostr := append(slices.Clone(out.strides), make([]int, len(c.k))...)
	av, bv := onLabels(a, c.la, labels, shape), onLabels(b, c.lb, labels, shape)
	if last := len(c.lo) - 1; last >= 0 && axpyOrder(av.strides, bv.strides, ostr, last, len(c.k)) {
		// The summed labels go just outside the output's last: each row
		// adds one product row into an output row (weights times values in
		// attention), where a row per output element would read strided.
		// Each element still sums in label order, from +0: the same bits.
		move := func(xs []int) []int {
			k := slices.Clone(xs[last+1:])
			return append(append(append([]int(nil), xs[:last]...), k...), xs[last])
		}
		labels, shape, ostr = move(labels), move(shape), move(ostr)
		av, bv = onLabels(a, c.la, labels, shape), onLabels(b, c.lb, labels, shape)
	}
	l := rowloop.New(shape, ostr, av.strides, bv.strides)
	if out.dt == tensor.Float32 {
		clear(out.f32[out.off : out.off+out.size()])
		dotRows(l, out.f32, av.f32, av.off, bv.f32, bv.off, out.size())
	} else {
		clear(out.f64[out.off : out.off+out.size()])
		dotRows(l, out.f64, av.f64, av.off, bv.f64, bv.off, out.size())
	}
}

// shortMatvec reports whether c is a batched matrix-vector product over a
// short sum (one operand keeps no label of its own, size-1 labels counting
// as none; at most dotMaxK summed elements): dotInto's row dots beat a GEMM
// per batch entry there, which is all call overhead at these sizes
// (attention of one query position over its keys).
func shortMatvec(c *contraction, a, b *arr) bool {
	if len(c.batch) == 0 {
		return false
	}
	size := func(ls, of []int, x *arr) int {
		n := 1
		for _, l := range ls {
			n *= x.shape[slices.Index(of, l)]
		}
		return n
	}
	if size(c.m, c.la, a) > 1 && size(c.n, c.lb, b) > 1 {
		return false
	}
	return size(c.k, c.la, a) <= dotMaxK
}

const dotMaxK = 64

// axpyOrder reports whether dotInto should walk output rows (the last
// output label innermost, after the summed ones): the output's last label
// is unit-stride in the output and in every operand that has it, while
// some operand reads the summed labels' innermost with a stride.
func axpyOrder(as, bs, os []int, last, nk int) bool {
	inner := len(as) - 1
	unit := func(s int) bool { return s == 0 || s == 1 }
	if os[last] != 1 || !unit(as[last]) || !unit(bs[last]) || as[last]+bs[last] == 0 || nk == 0 {
		return false
	}
	return as[inner] != 1 || bs[inner] != 1
}

// dotRows adds a·b row by row into o, which is 0-strided along the summed
// rows. Several rows may add into one element, so it runs on one
// goroutine, unless every row has its own element (a squared norm per
// position: the summed labels are the row), when rows split across
// goroutines (each still summed in order).
func dotRows[T float](l *rowloop.Loop, o, a []T, aoff int, b []T, boff int, outSize int) {
	if n, so := l.RowLen(), l.Stride(0); so == 0 && l.Rows() == outSize && rowsDistinct(l) {
		parFor(l.Rows(), 2*n, func(lo, hi int) { dotRowRange(l, lo, hi, o, a, aoff, b, boff) })
		return
	}
	dotRowRange(l, 0, l.Rows(), o, a, aoff, b, boff)
}

// rowsDistinct reports whether no outer axis of l is 0-strided in operand
// 0 (the output): then with as many rows as output elements, each row
// writes its own element.
func rowsDistinct(l *rowloop.Loop) bool {
	for i := range l.Outer() {
		if l.OuterStride(0, i) == 0 {
			return false
		}
	}
	return true
}

// dotRowRange is dotRows on rows [lo, hi).
func dotRowRange[T float](l *rowloop.Loop, lo, hi int, o, a []T, aoff int, b []T, boff int) {
	n, so, sa, sb := l.RowLen(), l.Stride(0), l.Stride(1), l.Stride(2)
	if so == 0 && sa == 1 && sb == 1 {
		if len(l.Outer()) == 1 {
			lo = dotRows4(l, lo, hi, o, a, aoff, b, boff)
		} else {
			lo = dotRows4Any(l, lo, hi, o, a, aoff, b, boff)
		}
	}
	l.Each(lo, hi, []int{0, aoff, boff}, func(p []int) {
		po, pa, pb := p[0], p[1], p[2]
		if so == 0 {
			var s T
			for i := range n {
				s += a[pa+i*sa] * b[pb+i*sb]
			}
			o[po] += s
			return
		}
		if so == 1 && (sa == 0 && sb == 1 || sa == 1 && sb == 0) {
			// a weight times a row (dotInto's axpyOrder)
			var w T
			var row []T
			if sa == 0 {
				w, row = a[pa], b[pb:pb+n]
			} else {
				w, row = b[pb], a[pa:pa+n]
			}
			for i, x := range row {
				o[po+i] += w * x
			}
			return
		}
		for i := range n {
			o[po+i*so] += a[pa+i*sa] * b[pb+i*sb]
		}
	})
}

// dotRows4 is dotRowRange for contiguous rows at one stride each (a
// squared norm over [batch·seq, d]), four rows at a time, each still summed
// in order in its own chain (four chains hide the latency that bounds
// short rows). It returns the first row it left.
func dotRows4[T float](l *rowloop.Loop, lo, hi int, o, a []T, aoff int, b []T, boff int) int {
	n, oo, oa, ob := l.RowLen(), l.OuterStride(0, 0), l.OuterStride(1, 0), l.OuterStride(2, 0)
	for ; lo+4 <= hi; lo += 4 {
		pa, pb, po := aoff+lo*oa, boff+lo*ob, lo*oo
		a0, a1, a2, a3 := a[pa:pa+n], a[pa+oa:pa+oa+n], a[pa+2*oa:pa+2*oa+n], a[pa+3*oa:pa+3*oa+n]
		b0, b1, b2, b3 := b[pb:pb+n], b[pb+ob:pb+ob+n], b[pb+2*ob:pb+2*ob+n], b[pb+3*ob:pb+3*ob+n]
		s0, s1, s2, s3 := dots4(a0, a1, a2, a3, b0, b1, b2, b3)
		o[po] += s0
		o[po+oo] += s1
		o[po+2*oo] += s2
		o[po+3*oo] += s3
	}
	return lo
}

// dotRows4Any is dotRows4 for rows on several outer axes (the keys of one
// query position, per head, read from a permuted block): the loop hands
// out row starts, gathered four at a time for the same four chains.
func dotRows4Any[T float](l *rowloop.Loop, lo, hi int, o, a []T, aoff int, b []T, boff int) int {
	n, hi := l.RowLen(), min(hi, l.Rows())
	var p [4][3]int
	j := 0
	l.Each(lo, lo+(hi-lo)&^3, []int{0, aoff, boff}, func(offs []int) {
		p[j] = [3]int{offs[0], offs[1], offs[2]}
		if j++; j < 4 {
			return
		}
		j = 0
		a0, a1, a2, a3 := a[p[0][1]:p[0][1]+n], a[p[1][1]:p[1][1]+n], a[p[2][1]:p[2][1]+n], a[p[3][1]:p[3][1]+n]
		b0, b1, b2, b3 := b[p[0][2]:p[0][2]+n], b[p[1][2]:p[1][2]+n], b[p[2][2]:p[2][2]+n], b[p[3][2]:p[3][2]+n]
		s0, s1, s2, s3 := dots4(a0, a1, a2, a3, b0, b1, b2, b3)
		o[p[0][0]] += s0
		o[p[1][0]] += s1
		o[p[2][0]] += s2
		o[p[3][0]] += s3
	})
	return lo + (hi-lo)&^3
}

// dots4 is four dot products, each summed in order in its own chain
// (four chains hide the latency that bounds short rows).
func dots4[T float](a0, a1, a2, a3, b0, b1, b2, b3 []T) (s0, s1, s2, s3 T) {
	for i := range a0 {
		s0 += a0[i] * b0[i]
		s1 += a1[i] * b1[i]
		s2 += a2[i] * b2[i]
		s3 += a3[i] * b3[i]
	}
	return
}

// onLabels views a (labels la) at the output's labels lo and shape, with
// stride 0 along the labels a lacks.
func onLabels(a *arr, la, lo, shape []int) *arr {
	strides := make([]int, len(lo))
	for i, l := range lo {
		if j := slices.Index(la, l); j >= 0 {
			strides[i] = a.strides[j]
		}
	}
	return a.view(shape, strides, a.off)
}

// summedAxes reports whether v is a one-operand einsum that only sums
// axes away (output labels are the input's, in order, minus some), and
// which: it runs as a sum.
func summedAxes(v *ir.Value) ([]int, bool) {
	if v.Op != ir.OpEinsum || len(v.Operands) != 1 {
		return nil, false
	}
	sp, err := ir.ParseEinsum(v.Attrs.String("spec"), 1)
	if err != nil {
		return nil, false
	}
	in, axes, j := sp.In[0], []int(nil), 0
	for i, l := range in {
		if slices.Contains(in[i+1:], l) {
			return nil, false
		}
		if j < len(sp.Out) && sp.Out[j] == l {
			j++
		} else {
			axes = append(axes, i)
		}
	}
	return axes, j == len(sp.Out)
}
