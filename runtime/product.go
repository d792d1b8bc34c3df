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
	l := rowloop.New(shape, ostr, av.strides, bv.strides)
	if out.dt == tensor.Float32 {
		clear(out.f32[out.off : out.off+out.size()])
		dotRows(l, out.f32, av.f32, av.off, bv.f32, bv.off, out.size())
	} else {
		clear(out.f64[out.off : out.off+out.size()])
		dotRows(l, out.f64, av.f64, av.off, bv.f64, bv.off, out.size())
	}
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
	if so == 0 && sa == 1 && sb == 1 && len(l.Outer()) == 1 {
		lo = dotRows4(l, lo, hi, o, a, aoff, b, boff)
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
		var s0, s1, s2, s3 T
		for i := range a0 {
			s0 += a0[i] * b0[i]
			s1 += a1[i] * b1[i]
			s2 += a2[i] * b2[i]
			s3 += a3[i] * b3[i]
		}
		o[po] += s0
		o[po+oo] += s1
		o[po+2*oo] += s2
		o[po+3*oo] += s3
	}
	return lo
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
