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
