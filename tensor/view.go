package tensor

import "fmt"

// Views share the backing slice of their source; none of them copies.

func (t *Tensor) view(shape, strides []int, offset int) *Tensor {
	return &Tensor{dtype: t.dtype, shape: shape, strides: strides, offset: offset, f32: t.f32, f64: t.f64, i64: t.i64}
}

// Permute reorders axes: result axis i is source axis perm[i].
func (t *Tensor) Permute(perm []int) (*Tensor, error) {
	if len(perm) != len(t.shape) {
		return nil, fmt.Errorf("permute: %d axes given for rank %d", len(perm), len(t.shape))
	}
	seen := make([]bool, len(perm))
	shape := make([]int, len(perm))
	strides := make([]int, len(perm))
	for i, p := range perm {
		if p < 0 || p >= len(perm) || seen[p] {
			return nil, fmt.Errorf("permute: %v is not a permutation of %d axes", perm, len(perm))
		}
		seen[p] = true
		shape[i], strides[i] = t.shape[p], t.strides[p]
	}
	return t.view(shape, strides, t.offset), nil
}

// Slice restricts axis to [start, stop). Bounds must satisfy 0 <= start <= stop <= dim.
func (t *Tensor) Slice(axis, start, stop int) (*Tensor, error) {
	if axis < 0 || axis >= len(t.shape) {
		return nil, fmt.Errorf("slice: axis %d out of range for rank %d", axis, len(t.shape))
	}
	if start < 0 || stop < start || stop > t.shape[axis] {
		return nil, fmt.Errorf("slice: [%d:%d] out of range for axis %d of size %d", start, stop, axis, t.shape[axis])
	}
	shape := cloneInts(t.shape)
	shape[axis] = stop - start
	off := t.offset
	if stop > start {
		off += start * t.strides[axis]
	}
	return t.view(shape, cloneInts(t.strides), off), nil
}

// Select removes axis by fixing it at index i (negative i counts from the end).
func (t *Tensor) Select(axis, i int) (*Tensor, error) {
	if axis < 0 || axis >= len(t.shape) {
		return nil, fmt.Errorf("select: axis %d out of range for rank %d", axis, len(t.shape))
	}
	d := t.shape[axis]
	if i < 0 {
		i += d
	}
	if i < 0 || i >= d {
		return nil, fmt.Errorf("select: index %d out of range for axis %d of size %d", i, axis, d)
	}
	shape := append(cloneInts(t.shape[:axis]), t.shape[axis+1:]...)
	strides := append(cloneInts(t.strides[:axis]), t.strides[axis+1:]...)
	return t.view(shape, strides, t.offset+i*t.strides[axis]), nil
}

// BroadcastTo expands t to shape by numpy's right-aligned rules, using zero
// strides for new and size-1 axes.
func (t *Tensor) BroadcastTo(shape []int) (*Tensor, error) {
	if len(shape) < len(t.shape) {
		return nil, fmt.Errorf("broadcast: cannot broadcast shape %v to lower rank %v", t.shape, shape)
	}
	if _, err := NumElements(shape); err != nil {
		return nil, err
	}
	lead := len(shape) - len(t.shape)
	strides := make([]int, len(shape))
	for i := range shape {
		if i < lead {
			continue
		}
		d := t.shape[i-lead]
		switch {
		case d == shape[i]:
			strides[i] = t.strides[i-lead]
		case d == 1:
			strides[i] = 0
		default:
			return nil, fmt.Errorf("broadcast: cannot broadcast shape %v to %v", t.shape, shape)
		}
	}
	return t.view(cloneInts(shape), strides, t.offset), nil
}

// BroadcastShapes returns the numpy broadcast of the given shapes.
func BroadcastShapes(shapes ...[]int) ([]int, error) {
	r := 0
	for _, s := range shapes {
		r = max(r, len(s))
	}
	out := make([]int, r)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		lead := r - len(s)
		for i, d := range s {
			o := &out[lead+i]
			switch {
			case *o == d || d == 1:
			case *o == 1:
				*o = d
			default:
				return nil, fmt.Errorf("shapes %v are not broadcastable", shapes)
			}
		}
	}
	return out, nil
}

// Reshape returns a view when t is contiguous and a contiguous copy otherwise.
func (t *Tensor) Reshape(shape []int) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n != t.Size() {
		return nil, fmt.Errorf("reshape: cannot reshape %v (%d elements) to %v (%d elements)", t.shape, t.Size(), shape, n)
	}
	src := t
	if !t.IsContiguous() {
		src = t.Contiguous()
	}
	return src.view(cloneInts(shape), ContiguousStrides(shape), src.offset), nil
}

// Unsqueeze inserts a size-1 axis at position axis (0 <= axis <= rank).
func (t *Tensor) Unsqueeze(axis int) (*Tensor, error) {
	if axis < 0 || axis > len(t.shape) {
		return nil, fmt.Errorf("unsqueeze: axis %d out of range for rank %d", axis, len(t.shape))
	}
	shape := append(append(cloneInts(t.shape[:axis]), 1), t.shape[axis:]...)
	strides := append(append(cloneInts(t.strides[:axis]), 0), t.strides[axis:]...)
	return t.view(shape, strides, t.offset), nil
}

// Diagonal merges axes that carry the same label into one axis, as einsum
// does for a repeated input axis: labels[i] names source axis i, and the
// result has one axis per distinct label in first-appearance order. Axes
// with the same label must have the same size.
func (t *Tensor) Diagonal(labels []int) (*Tensor, []int, error) {
	if len(labels) != len(t.shape) {
		return nil, nil, fmt.Errorf("diagonal: %d labels for rank %d", len(labels), len(t.shape))
	}
	var order []int
	pos := map[int]int{}
	var shape, strides []int
	for i, l := range labels {
		if j, ok := pos[l]; ok {
			if shape[j] != t.shape[i] {
				return nil, nil, fmt.Errorf("diagonal: repeated axis has sizes %d and %d", shape[j], t.shape[i])
			}
			strides[j] += t.strides[i]
			continue
		}
		pos[l] = len(order)
		order = append(order, l)
		shape = append(shape, t.shape[i])
		strides = append(strides, t.strides[i])
	}
	return t.view(shape, strides, t.offset), order, nil
}
