package weights

import (
	"bytes"
	"testing"

	"github.com/circopt/circopt/tensor"
)

// benchTensor is a 1024x1024 float32 tensor (4 MiB).
func benchTensor(b *testing.B) *tensor.Tensor {
	v := make([]float32, 1<<20)
	for i := range v {
		v[i] = float32(i) * 0.5
	}
	x, err := tensor.FromFloat32([]int{1024, 1024}, v)
	if err != nil {
		b.Fatal(err)
	}
	return x
}

func BenchmarkDecodeNpyF32(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteNpy(&buf, benchTensor(b)); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeNpy(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteNpyF32(b *testing.B) {
	x := benchTensor(b)
	var buf bytes.Buffer
	b.SetBytes(int64(x.Size() * 4))
	for b.Loop() {
		buf.Reset()
		if err := WriteNpy(&buf, x); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeNpzF16(b *testing.B) {
	h := make([]uint16, 1<<20)
	for i := range h {
		h[i] = uint16(i)
	}
	z := makeZip(b, map[string][]byte{"h.npy": makeNpy("<f2", false, "(1048576,)", le(h))})
	b.SetBytes(int64(len(h) * 2))
	for b.Loop() {
		if _, err := DecodeNpz(z); err != nil {
			b.Fatal(err)
		}
	}
}
