package runtime

import (
	"slices"
	"sort"

	"github.com/circopt/circopt/tensor"
)

// arr is the fast executor's strided array: a window of a flat backing slice
// (exactly one of f32, f64, i64 is set) addressed through shape, strides (in
// elements, zero for broadcast axes) and off. Unlike tensor.Tensor it exposes
// its backing slice, so kernels can write their results into buffers the
// executor owns and read views without copying them first.
//
// Invariant: every element reachable through shape/strides/off lies inside
// the backing slice; kernels write only to arrays they were handed as
// destinations (dense, off 0, backed by an executor buffer: C order, or
// the order of the operands for elementwise values, layout.go).
type arr struct {
	dt      tensor.DType
	f32     []float32
	f64     []float64
	i64     []int64
	shape   []int
	strides []int
	off     int
	st      *storage // the storage this array keeps alive
}

// elem are the element types arrays hold.
type elem interface{ float32 | float64 | int64 }

// float are the element types arithmetic kernels handle.
type float interface{ float32 | float64 }

// data returns a's backing slice as []T (T must match a.dt).
func data[T elem](a *arr) []T {
	var z T
	switch any(z).(type) {
	case float32:
		return any(a.f32).([]T)
	case float64:
		return any(a.f64).([]T)
	default:
		return any(a.i64).([]T)
	}
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func contiguousStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// isContiguous reports C order with no gaps (size-1 axes may have any stride).
func (a *arr) isContiguous() bool {
	s := 1
	for i := len(a.shape) - 1; i >= 0; i-- {
		if a.shape[i] != 1 && a.strides[i] != s {
			return false
		}
		s *= a.shape[i]
	}
	return true
}

func (a *arr) size() int { return numel(a.shape) }

// view returns an array sharing a's backing slice and storage.
func (a *arr) view(shape, strides []int, off int) *arr {
	return &arr{dt: a.dt, f32: a.f32, f64: a.f64, i64: a.i64, shape: shape, strides: strides, off: off, st: a.st}
}

// newArr wraps a fresh contiguous backing slice of n elements.
func newArr(dt tensor.DType, shape []int, st *storage) *arr {
	a := &arr{dt: dt, shape: slices.Clone(shape), strides: contiguousStrides(shape), st: st}
	switch dt {
	case tensor.Float32:
		a.f32 = st.f32[:numel(shape)]
	case tensor.Float64:
		a.f64 = st.f64[:numel(shape)]
	default:
		a.i64 = st.i64[:numel(shape)]
	}
	return a
}

// fromTensor exposes a tensor's elements as an arr without copying when its
// layout allows: any tensor whose non-broadcast axes, reordered by stride,
// form a contiguous window (C order, permuted views, broadcast fills) is
// read in place. Others (gappy slices) are copied once.
func fromTensor(t *tensor.Tensor) *arr {
	shape, strides := t.Shape(), t.Strides()
	// Collapse broadcast axes to size 1 and sort the rest by stride so the
	// tensor's backing window can be recovered through the public API.
	u := t
	for ax, s := range strides {
		if s == 0 && shape[ax] > 1 {
			u, _ = u.Slice(ax, 0, 1)
		}
	}
	perm := make([]int, len(shape))
	for i := range perm {
		perm[i] = i
	}
	ust := u.Strides()
	sort.SliceStable(perm, func(i, j int) bool { return ust[perm[i]] > ust[perm[j]] })
	pu, err := u.Permute(perm)
	if err == nil && pu.IsContiguous() {
		a := &arr{dt: t.DType(), shape: shape, strides: make([]int, len(shape))}
		// strides of the window relative to its first element
		for ax := range shape {
			if strides[ax] != 0 && shape[ax] != 1 {
				a.strides[ax] = ust[ax]
			}
		}
		switch t.DType() {
		case tensor.Float32:
			a.f32 = pu.Float32Data()
		case tensor.Float64:
			a.f64 = pu.Float64Data()
		default:
			a.i64 = pu.Int64Data()
		}
		if a.f32 != nil || a.f64 != nil || a.i64 != nil || pu.Size() == 0 {
			return a
		}
	}
	c := t.Contiguous()
	a := &arr{dt: t.DType(), shape: shape, strides: contiguousStrides(shape)}
	switch t.DType() {
	case tensor.Float32:
		a.f32 = c.Float32Data()
	case tensor.Float64:
		a.f64 = c.Float64Data()
	default:
		a.i64 = c.Int64Data()
	}
	return a
}

// toTensor wraps a contiguous array as a tensor sharing its data (callers
// hand it out only when the storage is no longer written).
func (a *arr) toTensor() (*tensor.Tensor, error) {
	c := a
	if !a.isContiguous() {
		c = copyToNew(a)
	}
	n := c.size()
	switch c.dt {
	case tensor.Float32:
		return tensor.FromFloat32(c.shape, c.f32[c.off:c.off+n:c.off+n])
	case tensor.Float64:
		return tensor.FromFloat64(c.shape, c.f64[c.off:c.off+n:c.off+n])
	default:
		return tensor.FromInt64(c.shape, c.i64[c.off:c.off+n:c.off+n])
	}
}

// copyToNew copies a into a fresh (garbage-collected) contiguous array.
func copyToNew(a *arr) *arr {
	st := newStorage(a.dt, a.size())
	dst := newArr(a.dt, a.shape, st)
	copyInto(dst, a)
	dst.st = nil
	return dst
}

// permuted returns a view of a with axes reordered: result axis i is axis perm[i].
func (a *arr) permuted(perm []int) *arr {
	shape := make([]int, len(perm))
	strides := make([]int, len(perm))
	for i, p := range perm {
		shape[i], strides[i] = a.shape[p], a.strides[p]
	}
	return a.view(shape, strides, a.off)
}

// broadcastTo views a at shape by numpy's right-aligned rules.
func (a *arr) broadcastTo(shape []int) *arr {
	strides := make([]int, len(shape))
	lead := len(shape) - len(a.shape)
	for i := range a.shape {
		if a.shape[i] == shape[lead+i] {
			strides[lead+i] = a.strides[i]
		}
	}
	return a.view(slices.Clone(shape), strides, a.off)
}

// reshapeView returns a contiguous array's data at a new shape, or nil when
// a is not contiguous (a reshape then copies).
func (a *arr) reshapeView(shape []int) *arr {
	if !a.isContiguous() {
		return nil
	}
	return a.view(slices.Clone(shape), contiguousStrides(shape), a.off)
}
