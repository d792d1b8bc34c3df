package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// DType is an element type.
type DType uint8

const (
	Float32 DType = iota + 1
	Float64
	Int64
)

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	case Int64:
		return "int64"
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// ParseDType reads "float32", "float64" or "int64" (and the short forms f32, f64, i64).
func ParseDType(s string) (DType, error) {
	switch s {
	case "float32", "f32":
		return Float32, nil
	case "float64", "f64":
		return Float64, nil
	case "int64", "i64":
		return Int64, nil
	}
	return 0, fmt.Errorf("unknown dtype %q (want float32, float64 or int64)", s)
}

// Size is the number of bytes of one element.
func (d DType) Size() int {
	switch d {
	case Float32:
		return 4
	case Float64, Int64:
		return 8
	}
	return 0
}

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool { return d == Float32 || d == Float64 }

// MaxElements bounds the size of any tensor this package allocates, so a
// hostile shape is refused instead of exhausting memory.
const MaxElements = 1 << 33

// Tensor is a dense strided array. See the package doc for its invariants.
type Tensor struct {
	dtype   DType
	shape   []int
	strides []int
	offset  int
	f32     []float32
	f64     []float64
	i64     []int64
}

// NumElements returns the product of shape, or an error if a dimension is
// negative or the product exceeds MaxElements.
func NumElements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %v", d, shape)
		}
		if d != 0 && n > MaxElements/d {
			return 0, fmt.Errorf("shape %v has more than %d elements", shape, MaxElements)
		}
		n *= d
	}
	return n, nil
}

// ContiguousStrides returns C-order strides for shape.
func ContiguousStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// Zeros allocates a contiguous zero tensor.
func Zeros(dt DType, shape []int) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	t := &Tensor{dtype: dt, shape: cloneInts(shape), strides: ContiguousStrides(shape)}
	switch dt {
	case Float32:
		t.f32 = make([]float32, n)
	case Float64:
		t.f64 = make([]float64, n)
	case Int64:
		t.i64 = make([]int64, n)
	default:
		return nil, fmt.Errorf("unknown dtype %v", dt)
	}
	return t, nil
}

// mustZeros is Zeros for shapes already validated by the caller.
func mustZeros(dt DType, shape []int) *Tensor {
	t, err := Zeros(dt, shape)
	if err != nil {
		panic("tensor: internal: " + err.Error())
	}
	return t
}

func checkLen(shape []int, n int) error {
	want, err := NumElements(shape)
	if err != nil {
		return err
	}
	if want != n {
		return fmt.Errorf("shape %v needs %d elements, got %d", shape, want, n)
	}
	return nil
}

// FromFloat64 wraps data (C order, not copied) as a float64 tensor.
func FromFloat64(shape []int, data []float64) (*Tensor, error) {
	if err := checkLen(shape, len(data)); err != nil {
		return nil, err
	}
	return &Tensor{dtype: Float64, shape: cloneInts(shape), strides: ContiguousStrides(shape), f64: data}, nil
}

// FromFloat32 wraps data (C order, not copied) as a float32 tensor.
func FromFloat32(shape []int, data []float32) (*Tensor, error) {
	if err := checkLen(shape, len(data)); err != nil {
		return nil, err
	}
	return &Tensor{dtype: Float32, shape: cloneInts(shape), strides: ContiguousStrides(shape), f32: data}, nil
}

// FromInt64 wraps data (C order, not copied) as an int64 tensor.
func FromInt64(shape []int, data []int64) (*Tensor, error) {
	if err := checkLen(shape, len(data)); err != nil {
		return nil, err
	}
	return &Tensor{dtype: Int64, shape: cloneInts(shape), strides: ContiguousStrides(shape), i64: data}, nil
}

// Full returns a tensor of shape filled with v. It stores one element and
// broadcasts it, so a large constant costs no memory.
func Full(dt DType, shape []int, v float64) (*Tensor, error) {
	if _, err := NumElements(shape); err != nil {
		return nil, err
	}
	// Zeros, not mustZeros: an unknown dtype is user input and must not panic.
	one, err := Zeros(dt, nil)
	if err != nil {
		return nil, err
	}
	one.setFlat(0, v)
	return one.BroadcastTo(shape)
}

// ScalarOf returns a rank-0 tensor holding v.
func ScalarOf(dt DType, v float64) *Tensor {
	t := mustZeros(dt, nil)
	t.setFlat(0, v)
	return t
}

// RandN returns a contiguous tensor of independent standard normal draws from
// a PCG generator seeded with seed, so equal seeds give equal tensors.
func RandN(dt DType, shape []int, seed uint64) (*Tensor, error) {
	if !dt.IsFloat() {
		return nil, fmt.Errorf("RandN needs a float dtype, got %v", dt)
	}
	t, err := Zeros(dt, shape)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for i := 0; i < t.Size(); i++ {
		t.setFlat(i, r.NormFloat64())
	}
	return t, nil
}

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Shape returns a copy of the shape.
func (t *Tensor) Shape() []int { return cloneInts(t.shape) }

// Strides returns a copy of the strides, in elements.
func (t *Tensor) Strides() []int { return cloneInts(t.strides) }

// Offset is the index into the backing slice of the first element.
func (t *Tensor) Offset() int { return t.offset }

// Rank is the number of axes.
func (t *Tensor) Rank() int { return len(t.shape) }

// Dim returns the size of axis i.
func (t *Tensor) Dim(i int) int { return t.shape[i] }

// Size is the number of elements.
func (t *Tensor) Size() int {
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	return n
}

// Bytes is the size of the logical elements in bytes (not of the backing slice).
func (t *Tensor) Bytes() int64 { return int64(t.Size()) * int64(t.dtype.Size()) }

// IsContiguous reports whether the tensor is laid out in C order from offset
// with no gaps (size-1 axes may have any stride).
func (t *Tensor) IsContiguous() bool {
	s := 1
	for i := len(t.shape) - 1; i >= 0; i-- {
		if t.shape[i] != 1 && t.strides[i] != s {
			return false
		}
		s *= t.shape[i]
	}
	return true
}

// Float32Data returns the backing float32 slice of a contiguous float32
// tensor starting at its offset, or nil. Callers must not write to it.
func (t *Tensor) Float32Data() []float32 {
	if t.dtype != Float32 || !t.IsContiguous() {
		return nil
	}
	return t.f32[t.offset : t.offset+t.Size()]
}

// Float64Data is Float32Data for float64.
func (t *Tensor) Float64Data() []float64 {
	if t.dtype != Float64 || !t.IsContiguous() {
		return nil
	}
	return t.f64[t.offset : t.offset+t.Size()]
}

// Int64Data is Float32Data for int64.
func (t *Tensor) Int64Data() []int64 {
	if t.dtype != Int64 || !t.IsContiguous() {
		return nil
	}
	return t.i64[t.offset : t.offset+t.Size()]
}

// getFlat reads backing element i as float64.
func (t *Tensor) getFlat(i int) float64 {
	switch t.dtype {
	case Float32:
		return float64(t.f32[i])
	case Float64:
		return t.f64[i]
	default:
		return float64(t.i64[i])
	}
}

// setFlat writes backing element i, converting from float64.
func (t *Tensor) setFlat(i int, v float64) {
	switch t.dtype {
	case Float32:
		t.f32[i] = float32(v)
	case Float64:
		t.f64[i] = v
	default:
		t.i64[i] = int64(v)
	}
}

// At returns the element at idx as float64. It returns an error for a wrong
// number of indices or an index out of range.
func (t *Tensor) At(idx ...int) (float64, error) {
	if len(idx) != len(t.shape) {
		return 0, fmt.Errorf("At: %d indices for rank %d", len(idx), len(t.shape))
	}
	p := t.offset
	for i, x := range idx {
		if x < 0 || x >= t.shape[i] {
			return 0, fmt.Errorf("At: index %d out of range for axis %d of size %d", x, i, t.shape[i])
		}
		p += x * t.strides[i]
	}
	return t.getFlat(p), nil
}

// Item returns the single element of a size-1 tensor.
func (t *Tensor) Item() (float64, error) {
	if t.Size() != 1 {
		return 0, fmt.Errorf("Item: tensor of shape %v has %d elements", t.shape, t.Size())
	}
	return t.getFlat(t.offset), nil
}

// forEachOffset calls f with the backing index of every element, in C order.
func (t *Tensor) forEachOffset(f func(pos int)) {
	n := t.Size()
	if n == 0 {
		return
	}
	r := len(t.shape)
	if r == 0 {
		f(t.offset)
		return
	}
	idx := make([]int, r)
	pos := t.offset
	inner := t.shape[r-1]
	is := t.strides[r-1]
	for {
		p := pos
		for j := 0; j < inner; j++ {
			f(p)
			p += is
		}
		// advance the outer axes like an odometer
		ax := r - 2
		for ; ax >= 0; ax-- {
			idx[ax]++
			pos += t.strides[ax]
			if idx[ax] < t.shape[ax] {
				break
			}
			pos -= t.strides[ax] * t.shape[ax]
			idx[ax] = 0
		}
		if ax < 0 {
			return
		}
	}
}

// Float64s returns the elements in C order as a new float64 slice.
func (t *Tensor) Float64s() []float64 {
	if t.IsContiguous() && t.dtype != Int64 {
		// the common case (a plan's outputs) as one conversion loop
		out := make([]float64, t.Size())
		if t.dtype == Float32 {
			for i, v := range t.f32[t.offset : t.offset+len(out)] {
				out[i] = float64(v)
			}
		} else {
			copy(out, t.f64[t.offset:t.offset+len(out)])
		}
		return out
	}
	out := make([]float64, 0, t.Size())
	t.forEachOffset(func(p int) { out = append(out, t.getFlat(p)) })
	return out
}

// Float32s returns the elements in C order as a new float32 slice.
func (t *Tensor) Float32s() []float32 {
	out := make([]float32, 0, t.Size())
	t.forEachOffset(func(p int) { out = append(out, float32(t.getFlat(p))) })
	return out
}

// Int64s returns the elements in C order as a new int64 slice (floats truncate).
func (t *Tensor) Int64s() []int64 {
	out := make([]int64, 0, t.Size())
	if t.dtype == Int64 {
		t.forEachOffset(func(p int) { out = append(out, t.i64[p]) })
		return out
	}
	t.forEachOffset(func(p int) { out = append(out, int64(t.getFlat(p))) })
	return out
}

// Contiguous returns t if it is already contiguous (possibly a window of a
// larger backing slice), otherwise a C-order copy.
func (t *Tensor) Contiguous() *Tensor {
	if t.IsContiguous() {
		return t
	}
	return t.Cast(t.dtype)
}

// Cast returns a new contiguous copy converted to dt.
func (t *Tensor) Cast(dt DType) *Tensor {
	out := mustZeros(dt, t.shape)
	i := 0
	switch {
	case t.dtype == Float32 && dt == Float32:
		t.forEachOffset(func(p int) { out.f32[i] = t.f32[p]; i++ })
	case t.dtype == Float64 && dt == Float64:
		t.forEachOffset(func(p int) { out.f64[i] = t.f64[p]; i++ })
	case t.dtype == Int64 && dt == Int64:
		t.forEachOffset(func(p int) { out.i64[i] = t.i64[p]; i++ })
	default:
		t.forEachOffset(func(p int) { out.setFlat(i, t.getFlat(p)); i++ })
	}
	return out
}

// Clone returns a contiguous copy that shares nothing with t.
func (t *Tensor) Clone() *Tensor { return t.Cast(t.dtype) }

// HasNaN reports whether any element is NaN.
func (t *Tensor) HasNaN() bool {
	if !t.dtype.IsFloat() {
		return false
	}
	found := false
	t.forEachOffset(func(p int) {
		if math.IsNaN(t.getFlat(p)) {
			found = true
		}
	})
	return found
}

// String prints shape, dtype and up to 8 leading elements, each the
// shortest decimal that reads back to the same value of the dtype (0.1 in
// float32 prints as 0.1, not 0.10000000149011612).
func (t *Tensor) String() string {
	var vals []string
	t.forEachOffset(func(p int) {
		if len(vals) > 8 {
			return
		}
		switch t.dtype {
		case Int64:
			vals = append(vals, strconv.FormatInt(t.i64[p], 10))
		case Float32:
			vals = append(vals, strconv.FormatFloat(t.getFlat(p), 'g', -1, 32))
		default:
			vals = append(vals, strconv.FormatFloat(t.getFlat(p), 'g', -1, 64))
		}
	})
	more := ""
	if len(vals) > 8 {
		vals, more = vals[:8], " ..."
	}
	return fmt.Sprintf("Tensor(%v %v [%s]%s)", t.dtype, t.shape, strings.Join(vals, " "), more)
}

func cloneInts(s []int) []int {
	out := make([]int, len(s))
	copy(out, s)
	return out
}
