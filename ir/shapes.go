package ir

import (
	"fmt"
	"slices"

	"github.com/circopt/circopt/tensor"
)

// Shape functions, one per op family. They receive schema-checked attributes
// and return the result type or an error saying what does not fit.

func validDType(d tensor.DType) bool { return d.Size() > 0 }

func shapeDeclared(_ Attrs, _ []Type, declared *Type) (Type, error) {
	if !validDType(declared.DType) {
		return Type{}, fmt.Errorf("invalid dtype %v", declared.DType)
	}
	for _, d := range declared.Shape {
		if d < 0 {
			return Type{}, fmt.Errorf("negative dimension in %v", declared.Shape)
		}
	}
	return Type{DType: declared.DType, Shape: slices.Clone(declared.Shape)}, nil
}

func sameDType(in []Type, needFloat bool) (tensor.DType, error) {
	d := in[0].DType
	for i, t := range in {
		if t.DType != d {
			return 0, fmt.Errorf("operand %d has dtype %v, operand 0 has %v", i, dtypeName(t.DType), dtypeName(d))
		}
	}
	if needFloat && !d.IsFloat() {
		return 0, fmt.Errorf("needs float operands, got %v", dtypeName(d))
	}
	return d, nil
}

func shapeBroadcastOperands(_ Attrs, in []Type, _ *Type) (Type, error) {
	d, err := sameDType(in, true)
	if err != nil {
		return Type{}, err
	}
	shapes := make([][]int, len(in))
	for i, t := range in {
		shapes[i] = t.Shape
	}
	s, err := tensor.BroadcastShapes(shapes...)
	if err != nil {
		return Type{}, err
	}
	return Type{DType: d, Shape: s}, nil
}

func shapeSameFloat(_ Attrs, in []Type, _ *Type) (Type, error) {
	d, err := sameDType(in, true)
	if err != nil {
		return Type{}, err
	}
	return Type{DType: d, Shape: slices.Clone(in[0].Shape)}, nil
}

func shapeEinsum(a Attrs, in []Type, declared *Type) (Type, error) {
	spec, err := ParseEinsum(a.String("spec"), len(in))
	if err != nil {
		return Type{}, err
	}
	var d tensor.DType
	switch {
	case len(in) > 0:
		if d, err = sameDType(in, true); err != nil {
			return Type{}, err
		}
	case declared != nil:
		d = declared.DType
		if !d.IsFloat() {
			return Type{}, fmt.Errorf("needs a float dtype, got %v", dtypeName(d))
		}
	default:
		return Type{}, fmt.Errorf("einsum without operands needs a declared result type")
	}
	shapes := make([][]int, len(in))
	for i, t := range in {
		shapes[i] = t.Shape
	}
	var outShape []int
	if declared != nil {
		outShape = declared.Shape
	}
	sizes, err := spec.Sizes(shapes, outShape)
	if err != nil {
		return Type{}, err
	}
	out := make([]int, len(spec.Out))
	for j, l := range spec.Out {
		out[j] = sizes[l]
	}
	return Type{DType: d, Shape: out}, nil
}

func shapeReshape(_ Attrs, in []Type, declared *Type) (Type, error) {
	t, err := shapeDeclared(nil, nil, declared)
	if err != nil {
		return Type{}, err
	}
	if t.NumElements() != in[0].NumElements() {
		return Type{}, fmt.Errorf("cannot reshape %v (%d elements) to %v (%d elements)", in[0].Shape, in[0].NumElements(), t.Shape, t.NumElements())
	}
	t.DType = in[0].DType
	return t, nil
}

func shapePermute(a Attrs, in []Type, _ *Type) (Type, error) {
	perm := a.Ints("perm")
	s := in[0].Shape
	if len(perm) != len(s) {
		return Type{}, fmt.Errorf("perm %v has %d axes for rank %d", fmtInts(perm), len(perm), len(s))
	}
	seen := make([]bool, len(s))
	out := make([]int, len(s))
	for i, p := range perm {
		if p < 0 || p >= len(s) || seen[p] {
			return Type{}, fmt.Errorf("perm %v is not a permutation of %d axes", fmtInts(perm), len(s))
		}
		seen[p] = true
		out[i] = s[p]
	}
	return Type{DType: in[0].DType, Shape: out}, nil
}

func shapeBroadcastTo(_ Attrs, in []Type, declared *Type) (Type, error) {
	t, err := shapeDeclared(nil, nil, declared)
	if err != nil {
		return Type{}, err
	}
	from, to := in[0].Shape, t.Shape
	if len(from) > len(to) {
		return Type{}, fmt.Errorf("cannot broadcast %v to lower rank %v", fmtInts(from), fmtInts(to))
	}
	lead := len(to) - len(from)
	for i, d := range from {
		if d != 1 && d != to[lead+i] {
			return Type{}, fmt.Errorf("cannot broadcast %v to %v", fmtInts(from), fmtInts(to))
		}
	}
	t.DType = in[0].DType
	return t, nil
}

func shapeSlice(a Attrs, in []Type, _ *Type) (Type, error) {
	starts, stops := a.Ints("starts"), a.Ints("stops")
	s := in[0].Shape
	if len(starts) != len(s) || len(stops) != len(s) {
		return Type{}, fmt.Errorf("starts %v and stops %v need one entry per axis of rank %d", fmtInts(starts), fmtInts(stops), len(s))
	}
	out := make([]int, len(s))
	for i := range s {
		if starts[i] < 0 || stops[i] < starts[i] || stops[i] > s[i] {
			return Type{}, fmt.Errorf("axis %d: [%d:%d] out of range for size %d", i, starts[i], stops[i], s[i])
		}
		out[i] = stops[i] - starts[i]
	}
	return Type{DType: in[0].DType, Shape: out}, nil
}

func shapeSelect(a Attrs, in []Type, _ *Type) (Type, error) {
	axis, idx := a.Int("axis"), a.Int("index")
	s := in[0].Shape
	if axis < 0 || axis >= len(s) {
		return Type{}, fmt.Errorf("axis %d out of range for rank %d", axis, len(s))
	}
	if idx < 0 || idx >= s[axis] {
		return Type{}, fmt.Errorf("index %d out of range for axis %d of size %d", idx, axis, s[axis])
	}
	out := append(slices.Clone(s[:axis]), s[axis+1:]...)
	return Type{DType: in[0].DType, Shape: out}, nil
}

func shapeGather(a Attrs, in []Type, _ *Type) (Type, error) {
	axis := a.Int("axis")
	s := in[0].Shape
	if axis < 0 || axis >= len(s) {
		return Type{}, fmt.Errorf("axis %d out of range for rank %d", axis, len(s))
	}
	if in[1].DType != tensor.Int64 || len(in[1].Shape) != 1 {
		return Type{}, fmt.Errorf("index must be a 1-D i64 value, got %v", in[1])
	}
	out := slices.Clone(s)
	out[axis] = in[1].Shape[0]
	return Type{DType: in[0].DType, Shape: out}, nil
}

func shapeConcat(a Attrs, in []Type, _ *Type) (Type, error) {
	axis := a.Int("axis")
	d, err := sameDType(in, false)
	if err != nil {
		return Type{}, err
	}
	s0 := in[0].Shape
	if axis < 0 || axis >= len(s0) {
		return Type{}, fmt.Errorf("axis %d out of range for rank %d", axis, len(s0))
	}
	out := slices.Clone(s0)
	out[axis] = 0
	for i, t := range in {
		if len(t.Shape) != len(s0) {
			return Type{}, fmt.Errorf("operand %d has rank %d, operand 0 has %d", i, len(t.Shape), len(s0))
		}
		for j := range s0 {
			if j != axis && t.Shape[j] != s0[j] {
				return Type{}, fmt.Errorf("operand %d has shape %v, incompatible with %v off axis %d", i, fmtInts(t.Shape), fmtInts(s0), axis)
			}
		}
		out[axis] += t.Shape[axis]
	}
	return Type{DType: d, Shape: out}, nil
}

func shapeScatter(a Attrs, in []Type, declared *Type) (Type, error) {
	t, err := shapeDeclared(nil, nil, declared)
	if err != nil {
		return Type{}, err
	}
	starts := a.Ints("starts")
	s := in[0].Shape
	if len(starts) != len(s) || len(t.Shape) != len(s) {
		return Type{}, fmt.Errorf("operand rank %d, starts %v and result %v must agree", len(s), fmtInts(starts), fmtInts(t.Shape))
	}
	for i := range s {
		if starts[i] < 0 || starts[i]+s[i] > t.Shape[i] {
			return Type{}, fmt.Errorf("axis %d: operand size %d at %d does not fit in %d", i, s[i], starts[i], t.Shape[i])
		}
	}
	t.DType = in[0].DType
	return t, nil
}

func shapeLastAxisKeep(_ Attrs, in []Type, _ *Type) (Type, error) {
	if _, err := sameDType(in, true); err != nil {
		return Type{}, err
	}
	if len(in[0].Shape) == 0 {
		return Type{}, fmt.Errorf("needs rank ≥ 1")
	}
	return Type{DType: in[0].DType, Shape: slices.Clone(in[0].Shape)}, nil
}

func shapeLastAxisDrop(_ Attrs, in []Type, _ *Type) (Type, error) {
	s := in[0].Shape
	if len(s) == 0 {
		return Type{}, fmt.Errorf("needs rank ≥ 1")
	}
	return Type{DType: in[0].DType, Shape: slices.Clone(s[:len(s)-1])}, nil
}

func shapeSum(a Attrs, in []Type, _ *Type) (Type, error) {
	if _, err := sameDType(in, true); err != nil {
		return Type{}, err
	}
	s := in[0].Shape
	drop := make([]bool, len(s))
	for _, ax := range a.Ints("axes") {
		if ax < 0 || ax >= len(s) || drop[ax] {
			return Type{}, fmt.Errorf("axes %v must be distinct axes of rank %d", fmtInts(a.Ints("axes")), len(s))
		}
		drop[ax] = true
	}
	out := []int{}
	for i, d := range s {
		if !drop[i] {
			out = append(out, d)
		}
	}
	return Type{DType: in[0].DType, Shape: out}, nil
}

// FLOP estimates.

func zeroFLOPs(Attrs, []Type, Type) int64 { return 0 }

func flopsPerOutput(k int64) FLOPFunc {
	return func(_ Attrs, _ []Type, out Type) int64 { return k * out.NumElements() }
}

func flopsPerInput(k int64) FLOPFunc {
	return func(_ Attrs, in []Type, _ Type) int64 {
		if len(in) == 0 {
			return 0
		}
		return k * in[0].NumElements()
	}
}

// flopsAdd counts n-1 additions per output element.
func flopsAdd(_ Attrs, in []Type, out Type) int64 {
	return int64(max(len(in)-1, 0)) * out.NumElements()
}

// flopsEinsum is the naive loop nest: one point per combination of distinct
// labels, each costing n-1 multiplies and one add (2mnk for a matmul).
func flopsEinsum(a Attrs, in []Type, out Type) int64 {
	spec, err := ParseEinsum(a.String("spec"), len(in))
	if err != nil {
		return 0
	}
	shapes := make([][]int, len(in))
	for i, t := range in {
		shapes[i] = t.Shape
	}
	sizes, err := spec.Sizes(shapes, out.Shape)
	if err != nil {
		return 0
	}
	points := int64(1)
	for _, d := range sizes {
		points *= int64(d)
	}
	return points * int64(max(len(in), 1))
}

func fmtInts(xs []int) string {
	b := []byte{'['}
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%d", x)
	}
	return string(append(b, ']'))
}
