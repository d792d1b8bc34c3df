package weights

import (
	"encoding/binary"
	"unsafe"
)

// Loading a safetensors file reads it once into a buffer allocated as
// []float32, placed so that the data section starts 4-byte aligned; each
// float32 tensor is then a window of that buffer, not a copy. A GPT-2
// small state dict is 500 MB: a second copy (and its zeroing) was the
// largest cost of loading one.

// littleEndianHost reports whether the host stores a float32 as the
// file's little-endian bytes, the condition for viewing them in place.
var littleEndianHost = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// alignedBytes is a zeroed n-byte slice whose byte off is 4-byte aligned,
// backed by a []float32 allocation (so float32 views of it are ordinary
// interior pointers for the garbage collector).
func alignedBytes(n, off int) []byte {
	pad := (4 - off%4) % 4
	buf := make([]float32, (n+pad+3)/4)
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(buf))), len(buf)*4)
	return b[pad : pad+n : pad+n]
}

// float32View is b's bytes as little-endian float32s in place, when the
// host is little-endian and b is 4-byte aligned; ok is false otherwise
// (the caller then decodes a copy). The view's capacity ends with b, so
// appending to it cannot reach a neighbouring tensor.
func float32View(b []byte) (v []float32, ok bool) {
	if !littleEndianHost || len(b) == 0 || len(b)%4 != 0 || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%4 != 0 {
		return nil, false
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4), true
}
