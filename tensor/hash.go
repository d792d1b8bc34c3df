package tensor

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
)

// ContentHash is the identity of a tensor's value: SHA-256 over its dtype,
// its shape and its elements in C order (little-endian). Equal values give
// equal hashes whatever the strides, so a view and its copy hash the same.
// The tensor store names files by it and the circuit format prints it.
func ContentHash(t *Tensor) [32]byte {
	h := sha256.New()
	h.Write([]byte("circopt-tensor\x00" + t.dtype.String() + "\x00"))
	for _, d := range t.shape {
		h.Write([]byte(strconv.Itoa(d) + ","))
	}
	h.Write([]byte{0})
	buf := make([]byte, 0, 8*4096)
	flush := func() {
		h.Write(buf)
		buf = buf[:0]
	}
	// contiguous float32 (weights, mostly): a plain loop, no call per element
	if d := t.Float32Data(); d != nil {
		for _, v := range d {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			if len(buf) == cap(buf) {
				flush()
			}
		}
		flush()
		var out [32]byte
		h.Sum(out[:0])
		return out
	}
	t.forEachOffset(func(p int) {
		switch t.dtype {
		case Float32:
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(t.f32[p]))
		case Float64:
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(t.f64[p]))
		default:
			buf = binary.LittleEndian.AppendUint64(buf, uint64(t.i64[p]))
		}
		if len(buf) >= cap(buf)-8 {
			flush()
		}
	})
	flush()
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// ContentHashHex is ContentHash as 64 lowercase hex digits.
func ContentHashHex(t *Tensor) string {
	s := ContentHash(t)
	return hex.EncodeToString(s[:])
}
