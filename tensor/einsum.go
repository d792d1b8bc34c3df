package tensor

import (
	"fmt"
	"maps"
	"math"
	"slices"
)

// Einsum is the reference einsum with integer axis labels, following
// rust_circuit:
//   - inLabels[k] names the axes of inputs[k]; a label repeated within one
//     input takes that input's diagonal;
//   - outLabels names the result axes; a label repeated there embeds a
//     diagonal (zeros off it);
//   - labels of the inputs that are absent from the output are summed;
//   - a label only in the output takes its size from sizes and broadcasts
//     (the value is repeated along it);
//   - with no inputs the product is 1, so 0 inputs and no output labels is
//     the scalar 1.
//
// Every label must have one size across all inputs and sizes. The result
// dtype is the widest input dtype (float64 for no inputs). Floats accumulate
// in float64. The kernel is one loop over the full index space (output
// labels, then summed labels innermost), with no per-element allocation.
// Three or more inputs whose joint index space is large are contracted
// pairwise instead (einsum_pairwise.go), and a single loop over more than
// MaxEinsumIndexSpace points is refused.
func Einsum(inputs []*Tensor, inLabels [][]int, outLabels []int, sizes map[int]int) (*Tensor, error) {
	if len(inputs) != len(inLabels) {
		return nil, fmt.Errorf("einsum: %d inputs but %d label lists", len(inputs), len(inLabels))
	}
	size := map[int]int{}
	var summed []int // labels of the inputs not in the output, first-appearance order
	inOut := map[int]bool{}
	for _, l := range outLabels {
		inOut[l] = true
	}
	dt := Float64
	allInt := len(inputs) > 0
	for k, t := range inputs {
		if t == nil {
			return nil, fmt.Errorf("einsum: input %d is nil", k)
		}
		if len(inLabels[k]) != len(t.shape) {
			return nil, fmt.Errorf("einsum: input %d has rank %d but %d labels %v", k, len(t.shape), len(inLabels[k]), inLabels[k])
		}
		if k == 0 {
			dt = t.dtype
		} else {
			dt = WiderDType(dt, t.dtype)
		}
		allInt = allInt && t.dtype == Int64
		for i, l := range inLabels[k] {
			d := t.shape[i]
			if old, ok := size[l]; ok {
				if old != d {
					return nil, fmt.Errorf("einsum: label %d has size %d but input %d axis %d has size %d", l, old, k, i, d)
				}
				continue
			}
			size[l] = d
			if !inOut[l] {
				summed = append(summed, l)
			}
		}
	}
	// sorted so that which clash is reported does not depend on map order
	for _, l := range slices.Sorted(maps.Keys(sizes)) {
		d := sizes[l]
		if old, ok := size[l]; ok && old != d {
			return nil, fmt.Errorf("einsum: label %d has size %d in the inputs but %d in sizes", l, old, d)
		}
	}
	outShape := make([]int, len(outLabels))
	for i, l := range outLabels {
		d, ok := size[l]
		if !ok {
			d, ok = sizes[l]
			if !ok {
				return nil, fmt.Errorf("einsum: output label %d is in no input and has no size", l)
			}
			if d < 0 {
				return nil, fmt.Errorf("einsum: label %d has negative size %d", l, d)
			}
			size[l] = d
		}
		outShape[i] = d
	}
	out, err := Zeros(dt, outShape)
	if err != nil {
		return nil, fmt.Errorf("einsum: %w", err)
	}
	// The accumulator: out itself for float64 and int64, a float64 shadow
	// of the same contiguous layout for float32.
	acc := out
	if dt == Float32 {
		acc = mustZeros(Float64, outShape)
	}
	if len(summed) == 0 && dt.IsFloat() && !hasRepeat(outLabels) {
		// Each element is one product: start from -0, the additive identity
		// (-0 + x is x, +0 + -0 is +0), so a product of -0 stays -0, as
		// multiplying does (the fast executor's product kernels, numpy).
		negZero := math.Copysign(0, -1)
		for i := range acc.f64 {
			acc.f64[i] = negZero
		}
	}
	accDiag, outOrder, err := acc.Diagonal(outLabels)
	if err != nil {
		return nil, fmt.Errorf("einsum: output: %w", err)
	}
	loopLabels := append(slices.Clone(outOrder), summed...)
	loopShape := make([]int, len(loopLabels))
	for i, l := range loopLabels {
		loopShape[i] = size[l]
	}
	space, err := NumElements(loopShape)
	if err != nil {
		return nil, fmt.Errorf("einsum: index space: %w", err)
	}
	if space > pairwiseFrom && len(inputs) > 2 {
		return einsumPairwise(inputs, inLabels, outLabels, sizes, dt)
	}
	if space > MaxEinsumIndexSpace {
		return nil, fmt.Errorf("einsum: the index space of %s has %d points, more than the %d the reference loop runs", FormatEinsumSpec(inLabels, outLabels, nil), space, MaxEinsumIndexSpace)
	}
	strides := make([][]int, 0, len(inputs)+1)
	strides = append(strides, labelStrides(loopLabels, outOrder, accDiag.strides))
	base := []int{0}
	work := Float64
	if allInt {
		work = Int64
	}
	views := make([]*Tensor, len(inputs))
	for k, t := range inputs {
		if t.dtype != work {
			t = t.Cast(work)
		}
		v, order, err := t.Diagonal(inLabels[k])
		if err != nil {
			return nil, fmt.Errorf("einsum: input %d: %w", k, err)
		}
		views[k] = v
		strides = append(strides, labelStrides(loopLabels, order, v.strides))
		base = append(base, v.offset)
	}
	l := newRowLoop(loopShape, strides...)
	if work == Int64 {
		data := make([][]int64, len(views))
		for k, v := range views {
			data[k] = v.i64
		}
		einsumLoop(l, base, acc.i64, data)
	} else {
		data := make([][]float64, len(views))
		for k, v := range views {
			data[k] = v.f64
		}
		einsumLoop(l, base, acc.f64, data)
	}
	if dt == Float32 {
		for i, v := range acc.f64 {
			out.f32[i] = float32(v)
		}
	}
	return out, nil
}

func hasRepeat(labels []int) bool {
	for i, l := range labels {
		if slices.Contains(labels[i+1:], l) {
			return true
		}
	}
	return false
}

// labelStrides lays an operand's per-label strides out along the loop
// labels, with stride 0 for labels the operand lacks (it broadcasts).
func labelStrides(loop, labels, st []int) []int {
	out := make([]int, len(loop))
	for i, l := range loop {
		if j := slices.Index(labels, l); j >= 0 {
			out[i] = st[j]
		}
	}
	return out
}

func einsumLoop[T float64 | int64](l *rowLoop, base []int, acc []T, data [][]T) {
	n := l.RowLen()
	sa := l.Stride(0)
	q := make([]int, len(data)) // per-row cursor, reused
	l.Each(0, l.Rows(), base, func(p []int) {
		pa := p[0]
		switch len(data) {
		case 0:
			for j := 0; j < n; j++ {
				acc[pa]++
				pa += sa
			}
		case 1:
			sumRow(acc, pa, sa, data[0], p[1], l.Stride(1), n)
		case 2:
			x, px, sx := data[0], p[1], l.Stride(1)
			y, py, sy := data[1], p[2], l.Stride(2)
			if sa == 0 {
				s := acc[pa]
				for j := 0; j < n; j++ {
					s += x[px] * y[py]
					px += sx
					py += sy
				}
				acc[pa] = s
				return
			}
			for j := 0; j < n; j++ {
				acc[pa] += x[px] * y[py]
				pa += sa
				px += sx
				py += sy
			}
		default:
			copy(q, p[1:])
			for j := 0; j < n; j++ {
				prod := T(1)
				for k, x := range data {
					prod *= x[q[k]]
					q[k] += l.Stride(k + 1)
				}
				acc[pa] += prod
				pa += sa
			}
		}
	})
}
