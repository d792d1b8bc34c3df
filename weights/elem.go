package weights

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/x448/float16"

	"github.com/circopt/circopt/tensor"
)

// elemKind is an element type as stored in a file. Every format maps its
// own dtype names onto these, so one decoder serves them all.
type elemKind uint8

const (
	elemF16 elemKind = iota + 1
	elemBF16
	elemF32
	elemF64
	elemI8
	elemI16
	elemI32
	elemI64
	elemU8
	elemU16
	elemU32
	elemU64
	elemBool
)

// size is the stored size of one element in bytes.
func (k elemKind) size() int {
	switch k {
	case elemI8, elemU8, elemBool:
		return 1
	case elemF16, elemBF16, elemI16, elemU16:
		return 2
	case elemF32, elemI32, elemU32:
		return 4
	}
	return 8
}

// dtype is the tensor dtype the kind widens to.
func (k elemKind) dtype() tensor.DType {
	switch k {
	case elemF16, elemBF16, elemF32:
		return tensor.Float32
	case elemF64:
		return tensor.Float64
	}
	return tensor.Int64
}

// halfToFloat32 widens an IEEE 754 binary16 value exactly.
func halfToFloat32(h uint16) float32 { return float16.Frombits(h).Float32() }

// decodeElems decodes len(raw)/k.size() elements of kind k in byte order
// bo into a slice of k.dtype(): []float32, []float64 or []int64. Booleans
// read as numpy reads them: any nonzero byte is True (1).
func decodeElems(raw []byte, k elemKind, bo binary.ByteOrder) (any, error) {
	n := len(raw) / k.size()
	if k == elemF32 && bo == binary.ByteOrder(binary.LittleEndian) {
		// the common case, without the per-element switch and interface call
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return out, nil
	}
	switch k.dtype() {
	case tensor.Float32:
		out := make([]float32, n)
		for i := range out {
			switch k {
			case elemF32:
				out[i] = math.Float32frombits(bo.Uint32(raw[4*i:]))
			case elemF16:
				out[i] = halfToFloat32(bo.Uint16(raw[2*i:]))
			default:
				out[i] = math.Float32frombits(uint32(bo.Uint16(raw[2*i:])) << 16)
			}
		}
		return out, nil
	case tensor.Float64:
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(bo.Uint64(raw[8*i:]))
		}
		return out, nil
	}
	out := make([]int64, n)
	for i := range out {
		switch k {
		case elemI64:
			out[i] = int64(bo.Uint64(raw[8*i:]))
		case elemU64:
			u := bo.Uint64(raw[8*i:])
			if u > math.MaxInt64 {
				return nil, fmt.Errorf("uint64 element %d (%d) does not fit in int64", i, u)
			}
			out[i] = int64(u)
		case elemI32:
			out[i] = int64(int32(bo.Uint32(raw[4*i:])))
		case elemU32:
			out[i] = int64(bo.Uint32(raw[4*i:]))
		case elemI16:
			out[i] = int64(int16(bo.Uint16(raw[2*i:])))
		case elemU16:
			out[i] = int64(bo.Uint16(raw[2*i:]))
		case elemI8:
			out[i] = int64(int8(raw[i]))
		case elemU8:
			out[i] = int64(raw[i])
		case elemBool:
			if raw[i] != 0 {
				out[i] = 1
			}
		}
	}
	return out, nil
}

// decodeTensor decodes raw, which must hold exactly the elements of
// shape, into a tensor.
func decodeTensor(raw []byte, k elemKind, bo binary.ByteOrder, shape []int) (*tensor.Tensor, error) {
	n, err := numElements(shape)
	if err != nil {
		return nil, err
	}
	if len(raw) != n*k.size() {
		return nil, fmt.Errorf("shape %v needs %d data bytes, has %d", shape, n*k.size(), len(raw))
	}
	v, err := decodeElems(raw, k, bo)
	if err != nil {
		return nil, err
	}
	return fromSlice(shape, v)
}

// fromSlice wraps a slice made by decodeElems as a tensor of shape.
func fromSlice(shape []int, v any) (*tensor.Tensor, error) {
	switch s := v.(type) {
	case []float32:
		return tensor.FromFloat32(shape, s)
	case []float64:
		return tensor.FromFloat64(shape, s)
	}
	return tensor.FromInt64(shape, v.([]int64))
}
