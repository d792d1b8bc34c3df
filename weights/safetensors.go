package weights

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"

	"github.com/nlpodyssey/safetensors"

	"github.com/circopt/circopt/tensor"
)

// LoadSafetensors reads a .safetensors file.
func LoadSafetensors(path string) (map[string]*tensor.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := DecodeSafetensors(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// DecodeSafetensors decodes a whole safetensors file held in memory. The
// library checks the header length against the buffer, that tensor byte
// ranges tile the data section exactly, and that each range matches its
// shape and dtype; F32, F64 and I64 are kept, F16 and BF16 widen to
// float32, and the other integer and bool types widen to int64.
func DecodeSafetensors(data []byte) (out map[string]*tensor.Tensor, err error) {
	defer recoverAsError("safetensors", &err)
	st, err := safetensors.Deserialize(data)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	out = make(map[string]*tensor.Tensor, st.Len())
	for _, nt := range st.Tensors() {
		t, err := safetensorToTensor(nt.TensorView)
		if err != nil {
			return nil, fmt.Errorf("safetensors: tensor %s: %w", nt.Name, err)
		}
		out[nt.Name] = t
	}
	return out, nil
}

func safetensorToTensor(v safetensors.TensorView) (*tensor.Tensor, error) {
	shape := make([]int, len(v.Shape()))
	for i, d := range v.Shape() {
		if d > tensor.MaxElements {
			return nil, fmt.Errorf("dimension %d too large", d)
		}
		shape[i] = int(d)
	}
	n, err := tensor.NumElements(shape)
	if err != nil {
		return nil, err
	}
	raw := v.Data()
	dt := v.DType()
	es, ok := map[safetensors.DType]int{
		safetensors.BOOL: 1, safetensors.U8: 1, safetensors.I8: 1, safetensors.I16: 2, safetensors.U16: 2,
		safetensors.F16: 2, safetensors.BF16: 2, safetensors.I32: 4, safetensors.U32: 4, safetensors.F32: 4,
		safetensors.F64: 8, safetensors.I64: 8, safetensors.U64: 8,
	}[dt]
	if !ok {
		return nil, fmt.Errorf("unsupported dtype %v", dt)
	}
	// The library already checks this; repeat it because the indexing
	// below relies on it.
	if len(raw) != n*es {
		return nil, fmt.Errorf("shape %v of %v needs %d bytes, has %d", shape, dt, n*es, len(raw))
	}
	le := binary.LittleEndian
	switch dt {
	case safetensors.F32, safetensors.F16, safetensors.BF16:
		out := make([]float32, n)
		for i := range out {
			switch dt {
			case safetensors.F32:
				out[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
			case safetensors.F16:
				out[i] = halfToFloat32(le.Uint16(raw[2*i:]))
			default:
				out[i] = math.Float32frombits(uint32(le.Uint16(raw[2*i:])) << 16)
			}
		}
		return tensor.FromFloat32(shape, out)
	case safetensors.F64:
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		}
		return tensor.FromFloat64(shape, out)
	}
	out := make([]int64, n)
	for i := range out {
		switch dt {
		case safetensors.I64:
			out[i] = int64(le.Uint64(raw[8*i:]))
		case safetensors.U64:
			u := le.Uint64(raw[8*i:])
			if u > math.MaxInt64 {
				return nil, fmt.Errorf("uint64 element %d (%d) does not fit in int64", i, u)
			}
			out[i] = int64(u)
		case safetensors.I32:
			out[i] = int64(int32(le.Uint32(raw[4*i:])))
		case safetensors.U32:
			out[i] = int64(le.Uint32(raw[4*i:]))
		case safetensors.I16:
			out[i] = int64(int16(le.Uint16(raw[2*i:])))
		case safetensors.U16:
			out[i] = int64(le.Uint16(raw[2*i:]))
		case safetensors.I8:
			out[i] = int64(int8(raw[i]))
		case safetensors.U8:
			out[i] = int64(raw[i])
		case safetensors.BOOL:
			if raw[i] != 0 {
				out[i] = 1
			}
		}
	}
	return tensor.FromInt64(shape, out)
}
