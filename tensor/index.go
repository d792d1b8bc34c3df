package tensor

import "fmt"

// Gather picks entries idx along axis (negative axis counts from the end):
// result axis `axis` has len(idx) entries, entry j being t's entry idx[j].
// A negative index counts from the end once; anything still out of range is
// an error.
func Gather(t *Tensor, axis int, idx []int64) (*Tensor, error) {
	ax, ok := normAxis(axis, len(t.shape))
	if !ok {
		return nil, fmt.Errorf("gather: axis %d out of range for rank %d", axis, len(t.shape))
	}
	d := int64(t.shape[ax])
	shape := cloneInts(t.shape)
	shape[ax] = len(idx)
	out, err := Zeros(t.dtype, shape)
	if err != nil {
		return nil, fmt.Errorf("gather: %w", err)
	}
	for j, i := range idx {
		if i < 0 {
			i += d
		}
		if i < 0 || i >= d {
			return nil, fmt.Errorf("gather: index %d (position %d) out of range for axis %d of size %d", idx[j], j, ax, d)
		}
		src, err := t.Select(ax, int(i))
		if err != nil {
			return nil, err
		}
		dst, err := out.Select(ax, j)
		if err != nil {
			return nil, err
		}
		copyInto(dst, src)
	}
	return out, nil
}

// Concat joins ts along axis (negative counts from the end). All tensors
// must have the same rank and equal sizes on the other axes; the result has
// the first tensor's dtype and the others are converted to it.
func Concat(ts []*Tensor, axis int) (*Tensor, error) {
	if len(ts) == 0 {
		return nil, fmt.Errorf("concat: no tensors")
	}
	first := ts[0]
	r := len(first.shape)
	ax, ok := normAxis(axis, r)
	if !ok {
		return nil, fmt.Errorf("concat: axis %d out of range for rank %d", axis, r)
	}
	shape := cloneInts(first.shape)
	shape[ax] = 0
	for k, t := range ts {
		if len(t.shape) != r {
			return nil, fmt.Errorf("concat: tensor %d has rank %d, want %d", k, len(t.shape), r)
		}
		for i, d := range t.shape {
			if i != ax && d != first.shape[i] {
				return nil, fmt.Errorf("concat: tensor %d has shape %v, incompatible with %v on axis %d", k, t.shape, first.shape, i)
			}
		}
		shape[ax] += t.shape[ax]
	}
	out, err := Zeros(first.dtype, shape)
	if err != nil {
		return nil, fmt.Errorf("concat: %w", err)
	}
	start := 0
	for _, t := range ts {
		d := t.shape[ax]
		dst, err := out.Slice(ax, start, start+d)
		if err != nil {
			return nil, err
		}
		copyInto(dst, t)
		start += d
	}
	return out, nil
}

// PadInto returns a zero tensor of shape (t's dtype) with t written at
// offset starts, as a Scatter does. t must fit entirely.
func PadInto(t *Tensor, shape []int, starts []int) (*Tensor, error) {
	r := len(t.shape)
	if len(shape) != r || len(starts) != r {
		return nil, fmt.Errorf("pad: tensor of rank %d with shape %v and starts %v", r, shape, starts)
	}
	for i := range shape {
		if starts[i] < 0 || starts[i] > shape[i] || t.shape[i] > shape[i]-starts[i] {
			return nil, fmt.Errorf("pad: tensor of shape %v does not fit in %v at %v (axis %d)", t.shape, shape, starts, i)
		}
	}
	out, err := Zeros(t.dtype, shape)
	if err != nil {
		return nil, fmt.Errorf("pad: %w", err)
	}
	dst := out
	for i := range shape {
		if dst, err = dst.Slice(i, starts[i], starts[i]+t.shape[i]); err != nil {
			return nil, err
		}
	}
	copyInto(dst, t)
	return out, nil
}
