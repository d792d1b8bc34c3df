package weights

import (
	"bufio"
	"encoding/binary"
	"fmt"

	"github.com/nlpodyssey/safetensors"

	"github.com/circopt/circopt/tensor"
)

// LoadSafetensors reads a .safetensors file. Only a regular file is
// read, and only after its header's declared sizes have been checked
// against the file's size and the Limits.
func LoadSafetensors(path string) (map[string]*tensor.Tensor, error) {
	l, err := limits()
	if err != nil {
		return nil, err
	}
	f, size, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := l.checkFileBytes(path, size); err != nil {
		return nil, err
	}
	if err := checkSafetensorsHeader(bufio.NewReader(f), size, l); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var pre [8]byte // the header length, checked above; it places the data section
	if _, err := f.ReadAt(pre[:], 0); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data := alignedBytes(int(size), 8+int(binary.LittleEndian.Uint64(pre[:])))
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m, err := decodeSafetensors(data, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// safetensorKinds maps safetensors dtypes to element kinds.
var safetensorKinds = map[safetensors.DType]elemKind{
	safetensors.BOOL: elemBool, safetensors.U8: elemU8, safetensors.I8: elemI8,
	safetensors.I16: elemI16, safetensors.U16: elemU16, safetensors.F16: elemF16,
	safetensors.BF16: elemBF16, safetensors.I32: elemI32, safetensors.U32: elemU32,
	safetensors.F32: elemF32, safetensors.F64: elemF64, safetensors.I64: elemI64,
	safetensors.U64: elemU64,
}

// DecodeSafetensors decodes a whole safetensors file held in memory. The
// library checks the header length against the buffer, that tensor byte
// ranges tile the data section exactly, and that each range matches its
// shape and dtype; F32, F64 and I64 are kept, F16 and BF16 widen to
// float32, and the other integer and bool types widen to int64.
func DecodeSafetensors(data []byte) (out map[string]*tensor.Tensor, err error) {
	return decodeSafetensors(data, false)
}

// decodeSafetensors is DecodeSafetensors; with owned (data is the
// loader's own buffer, see alignedBytes) float32 tensors are windows of
// data instead of copies.
func decodeSafetensors(data []byte, owned bool) (out map[string]*tensor.Tensor, err error) {
	defer recoverAsError("safetensors", &err)
	l, err := limits()
	if err != nil {
		return nil, err
	}
	st, err := safetensors.Deserialize(data)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	out = make(map[string]*tensor.Tensor, st.Len())
	var total int64
	for _, nt := range st.Tensors() {
		t, err := safetensorToTensor(nt.TensorView, l, owned)
		if err != nil {
			return nil, fmt.Errorf("safetensors: tensor %s: %w", nt.Name, err)
		}
		total += int64(t.Size() * t.DType().Size())
		if err := l.checkFileBytes("safetensors: tensors in total", total); err != nil {
			return nil, err
		}
		out[nt.Name] = t
	}
	return out, nil
}

func safetensorToTensor(v safetensors.TensorView, l Limits, owned bool) (*tensor.Tensor, error) {
	shape := make([]int, len(v.Shape()))
	for i, d := range v.Shape() {
		if d > tensor.MaxElements {
			return nil, fmt.Errorf("dimension %d too large: %w", d, ErrTooLarge)
		}
		shape[i] = int(d)
	}
	n, err := numElements(shape)
	if err != nil {
		return nil, err
	}
	k, ok := safetensorKinds[v.DType()]
	if !ok {
		return nil, fmt.Errorf("unsupported dtype %v", v.DType())
	}
	if err := l.checkTensorBytes(fmt.Sprintf("shape %v", shape), n, k.dtype().Size()); err != nil {
		return nil, err
	}
	if owned && k == elemF32 && len(v.Data()) == 4*n {
		if f, ok := float32View(v.Data()); ok {
			return tensor.FromFloat32(shape, f)
		}
	}
	// The library already checks the data length; decodeTensor repeats
	// it because its indexing relies on it.
	return decodeTensor(v.Data(), k, binary.LittleEndian, shape)
}
