package weights

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/nlpodyssey/safetensors"

	"github.com/circopt/circopt/tensor"
)

// ieeeHalf is binary16 by its definition: sign, 5 exponent bits biased by
// 15, 10 fraction bits; exponent 0 is subnormal (no implicit 1, scale
// 2^-14) and exponent 31 is infinity or NaN.
func ieeeHalf(h uint16) float64 {
	sign := 1.0
	if h>>15 != 0 {
		sign = -1
	}
	exp, frac := int(h>>10&0x1f), float64(h&0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac/1024, -14)
	case 31:
		if frac != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	}
	return sign * math.Ldexp(1+frac/1024, exp-15)
}

func TestHalfToFloat32AllValues(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		got, want := halfToFloat32(h), ieeeHalf(h)
		if math.IsNaN(want) {
			if !math.IsNaN(float64(got)) {
				t.Fatalf("half %#04x: got %v, want NaN", h, got)
			}
			continue
		}
		if float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want) {
			t.Fatalf("half %#04x: got %v, want %v", h, got, want)
		}
	}
}

// TestHalfSubnormalsEveryFormat reads the smallest half subnormal
// (5.96e-8) and the largest from npy, safetensors and a torch storage.
func TestHalfSubnormalsEveryFormat(t *testing.T) {
	halves := []uint16{0x0001, 0x03ff, 0x8001}
	want := []float64{ieeeHalf(0x0001), ieeeHalf(0x03ff), ieeeHalf(0x8001)}
	check := func(format string, x *tensor.Tensor, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		for i, g := range x.Float64s() {
			if g != want[i] {
				t.Errorf("%s: element %d = %g, want %g", format, i, g, want[i])
			}
		}
	}
	x, err := DecodeNpy(makeNpy("<f2", false, "(3,)", le(halves)))
	check("npy", x, err)
	st, err := safetensors.Serialize(map[string]safetensors.TensorView{"h": mustView(t, safetensors.F16, []uint64{3}, le(halves))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeSafetensors(st)
	check("safetensors", m["h"], err)
	z := makeTorchZip(t, makeTorchPickle([]torchEntry{{"h", "HalfStorage", "0", 3, 0, []int{3}, []int{1}}}), map[string][]byte{"0": le(halves)})
	m, err = ReadTorch(bytes.NewReader(z), int64(len(z)))
	check("torch", m["h"], err)
}

func mustView(t *testing.T, dt safetensors.DType, shape []uint64, data []byte) safetensors.TensorView {
	t.Helper()
	v, err := safetensors.NewTensorView(dt, shape, data)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestBoolBytesAsNumpy: numpy reads any nonzero bool byte as True.
func TestBoolBytesAsNumpy(t *testing.T) {
	raw := []byte{0, 1, 2, 255}
	want := []float64{0, 1, 1, 1}
	x, err := DecodeNpy(makeNpy("|b1", false, "(4,)", raw))
	if err != nil {
		t.Fatal(err)
	}
	checkTensor(t, x, tensor.Int64, []int{4}, want)
	st, err := safetensors.Serialize(map[string]safetensors.TensorView{"b": mustView(t, safetensors.BOOL, []uint64{4}, raw)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeSafetensors(st)
	if err != nil {
		t.Fatal(err)
	}
	checkTensor(t, m["b"], tensor.Int64, []int{4}, want)
	z := makeTorchZip(t, makeTorchPickle([]torchEntry{{"b", "BoolStorage", "0", 4, 0, []int{4}, []int{1}}}), map[string][]byte{"0": raw})
	if m, err = ReadTorch(bytes.NewReader(z), int64(len(z))); err != nil {
		t.Fatal(err)
	}
	checkTensor(t, m["b"], tensor.Int64, []int{4}, want)
}

// TestWriteNpyHighRank: npyio wrote rank >= 63 as dtype |V4; the header
// is now written directly, up to numpy's 64 axes, and more is refused.
func TestWriteNpyHighRank(t *testing.T) {
	for _, r := range []int{62, 63, 64} {
		shape := make([]int, r)
		for i := range shape {
			shape[i] = 1
		}
		shape[r-1] = 2
		x := mustF32(t, shape, []float32{1.5, -2})
		var b bytes.Buffer
		if err := WriteNpy(&b, x); err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
		if !strings.Contains(b.String(), "'descr': '<f4'") {
			t.Fatalf("rank %d: header %q", r, b.String()[:80])
		}
		y, err := DecodeNpy(b.Bytes())
		if err != nil {
			t.Fatalf("rank %d: reading back: %v", r, err)
		}
		checkTensor(t, y, tensor.Float32, shape, []float64{1.5, -2})
	}
	shape := make([]int, 65)
	for i := range shape {
		shape[i] = 1
	}
	x, err := tensor.FromFloat32(shape, []float32{1})
	if err != nil {
		t.Skip("tensor refuses rank 65 itself:", err)
	}
	if err := WriteNpy(&bytes.Buffer{}, x); err == nil || !strings.Contains(err.Error(), "65 axes") {
		t.Errorf("rank 65: %v", err)
	}
}

func TestWriteNpyLargeChunks(t *testing.T) {
	// More elements than one write chunk, in all three dtypes.
	n := 1<<14*2 + 3
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(i) - 7.25
	}
	f64, _ := tensor.FromFloat64([]int{n}, v)
	for _, x := range []*tensor.Tensor{f64, f64.Cast(tensor.Float32), f64.Cast(tensor.Int64)} {
		var b bytes.Buffer
		if err := WriteNpy(&b, x); err != nil {
			t.Fatal(err)
		}
		y, err := DecodeNpy(b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		checkTensor(t, y, x.DType(), []int{n}, x.Float64s())
	}
}

func TestStatTensorFile(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/x.npy"
	if err := SaveNpy(p, mustF32(t, []int{2, 3}, make([]float32, 6))); err != nil {
		t.Fatal(err)
	}
	dt, shape, n, err := StatTensorFile(p)
	if err != nil || dt != tensor.Float32 || len(shape) != 2 || shape[0] != 2 || shape[1] != 3 || n != 24 {
		t.Fatalf("got %v %v %d %v", dt, shape, n, err)
	}
	// u1 widens to int64: 8 bytes an element in memory.
	q := dir + "/u.npy"
	writeFileBytes(t, q, makeNpy("|u1", false, "(5,)", make([]byte, 5)))
	if dt, _, n, err = StatTensorFile(q); err != nil || dt != tensor.Int64 || n != 40 {
		t.Fatalf("u1: got %v %d %v", dt, n, err)
	}
	t.Setenv(EnvMaxTensorBytes, "39")
	_, _, _, err = StatTensorFile(q)
	wantTooLarge(t, "stat over the limit", err)
}

func writeFileBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
