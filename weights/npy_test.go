package weights

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
)

// makeNpy builds a version 1.0 .npy file by hand, independently of npyio.
func makeNpy(descr string, fortran bool, shape string, data []byte) []byte {
	order := "False"
	if fortran {
		order = "True"
	}
	h := "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }"
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	out := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
	out = append(out, h...)
	return append(out, data...)
}

func le(vals ...any) []byte {
	var b bytes.Buffer
	for _, v := range vals {
		if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
			panic(err)
		}
	}
	return b.Bytes()
}

func mustF32(t *testing.T, shape []int, v []float32) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromFloat32(shape, v)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func checkTensor(t *testing.T, got *tensor.Tensor, dt tensor.DType, shape []int, vals []float64) {
	t.Helper()
	if got.DType() != dt {
		t.Errorf("dtype %v, want %v", got.DType(), dt)
	}
	if !reflect.DeepEqual(got.Shape(), shape) {
		t.Errorf("shape %v, want %v", got.Shape(), shape)
	}
	if g := got.Float64s(); !reflect.DeepEqual(g, vals) && !(len(g) == 0 && len(vals) == 0) {
		t.Errorf("values %v, want %v", g, vals)
	}
}

func TestDecodeNpyDTypes(t *testing.T) {
	cases := []struct {
		name  string
		file  []byte
		dt    tensor.DType
		shape []int
		vals  []float64
	}{
		{"f4", makeNpy("<f4", false, "(2, 2)", le([]float32{1.5, -2, 3.25, 0})), tensor.Float32, []int{2, 2}, []float64{1.5, -2, 3.25, 0}},
		{"f8", makeNpy("<f8", false, "(3,)", le([]float64{math.Pi, -1e300, 5e-324})), tensor.Float64, []int{3}, []float64{math.Pi, -1e300, 5e-324}},
		{"i8", makeNpy("<i8", false, "(2,)", le([]int64{math.MinInt64, 7})), tensor.Int64, []int{2}, []float64{math.MinInt64, 7}},
		{"i4", makeNpy("<i4", false, "(3,)", le([]int32{-5, 0, 1 << 30})), tensor.Int64, []int{3}, []float64{-5, 0, 1 << 30}},
		{"i2", makeNpy("<i2", false, "(2,)", le([]int16{-300, 300})), tensor.Int64, []int{2}, []float64{-300, 300}},
		{"i1", makeNpy("|i1", false, "(2,)", []byte{0xff, 0x7f}), tensor.Int64, []int{2}, []float64{-1, 127}},
		{"u1", makeNpy("|u1", false, "(2,)", []byte{0xff, 0x01}), tensor.Int64, []int{2}, []float64{255, 1}},
		{"b1", makeNpy("|b1", false, "(3,)", []byte{1, 0, 1}), tensor.Int64, []int{3}, []float64{1, 0, 1}},
		// 0x3e00 = 1.5, 0xc000 = -2, 0x7c00 = +Inf in binary16.
		{"f2", makeNpy("<f2", false, "(3,)", le([]uint16{0x3e00, 0xc000, 0x7c00})), tensor.Float32, []int{3}, []float64{1.5, -2, math.Inf(1)}},
		{"big-endian f4", makeNpy(">f4", false, "(1,)", []byte{0x3f, 0xc0, 0, 0}), tensor.Float32, []int{1}, []float64{1.5}},
		{"scalar", makeNpy("<f8", false, "()", le(2.5)), tensor.Float64, []int{}, []float64{2.5}},
		{"empty", makeNpy("<f4", false, "(0,)", nil), tensor.Float32, []int{0}, nil},
		{"empty 2d", makeNpy("<f4", false, "(0, 3)", nil), tensor.Float32, []int{0, 3}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeNpy(c.file)
			if err != nil {
				t.Fatal(err)
			}
			checkTensor(t, got, c.dt, c.shape, c.vals)
		})
	}
}

func TestDecodeNpyFortranOrder(t *testing.T) {
	// numpy.asfortranarray([[1,2,3],[4,5,6]]) stores columns: 1 4 2 5 3 6.
	got, err := DecodeNpy(makeNpy("<f8", true, "(2, 3)", le([]float64{1, 4, 2, 5, 3, 6})))
	if err != nil {
		t.Fatal(err)
	}
	checkTensor(t, got, tensor.Float64, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6})
	if !got.IsContiguous() {
		t.Error("result is not contiguous")
	}

	// Rank 3: element (i,j,k) = 100i+10j+k sits at flat position i+2j+6k.
	data := make([]int64, 24)
	var want []float64
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 4; k++ {
				data[i+2*j+6*k] = int64(100*i + 10*j + k)
				want = append(want, float64(100*i+10*j+k))
			}
		}
	}
	got, err = DecodeNpy(makeNpy("<i8", true, "(2, 3, 4)", le(data)))
	if err != nil {
		t.Fatal(err)
	}
	checkTensor(t, got, tensor.Int64, []int{2, 3, 4}, want)
}

func TestNpyRoundTrip(t *testing.T) {
	base, _ := tensor.FromFloat64([]int{2, 3, 4}, seq(24))
	perm, _ := base.Permute([]int{2, 0, 1}) // non-contiguous input
	i64, _ := tensor.FromInt64([]int{5}, []int64{-2, -1, 0, 1, math.MaxInt64})
	empty, _ := tensor.FromFloat32([]int{0}, nil)
	emptyLast, _ := tensor.FromFloat32([]int{3, 0}, nil)
	emptyFirst, _ := tensor.FromInt64([]int{0, 2, 5}, nil)
	for _, x := range []*tensor.Tensor{
		base, perm, i64, empty, emptyLast, emptyFirst,
		mustF32(t, []int{2, 2}, []float32{1, float32(math.NaN()), float32(math.Inf(-1)), float32(math.Copysign(0, -1))}),
		tensor.ScalarOf(tensor.Float32, 3.5), tensor.ScalarOf(tensor.Int64, -9),
	} {
		var b bytes.Buffer
		if err := WriteNpy(&b, x); err != nil {
			t.Fatalf("%v: %v", x, err)
		}
		got, err := ReadNpy(&b)
		if err != nil {
			t.Fatalf("%v: %v", x, err)
		}
		if tensor.ContentHashHex(got) != tensor.ContentHashHex(x) {
			t.Errorf("round trip changed %v into %v", x, got)
		}
	}
}

func TestSaveLoadNpy(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.npy")
	x := mustF32(t, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	if err := SaveNpy(p, x); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(p)
	if !bytes.Contains(raw, []byte("'descr': '<f4'")) || !bytes.Contains(raw, []byte("'shape': (2, 3)")) {
		t.Errorf("unexpected header in %q", raw[:64])
	}
	got, err := LoadNpy(p)
	if err != nil {
		t.Fatal(err)
	}
	checkTensor(t, got, tensor.Float32, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6})
	if _, err := LoadNpy(filepath.Join(t.TempDir(), "missing.npy")); err == nil {
		t.Error("missing file loaded")
	}
}

func TestDecodeNpyRejects(t *testing.T) {
	good := makeNpy("<f4", false, "(2, 3)", le(make([]float32, 6)))
	for n := 0; n < len(good); n++ {
		if _, err := DecodeNpy(good[:n]); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	cases := map[string][]byte{
		"huge shape":       makeNpy("<f4", false, "(1000000000000,)", le(float32(1))),
		"huge 2d shape":    makeNpy("<f4", false, "(4294967296, 4294967296)", nil),
		"negative dim":     makeNpy("<f4", false, "(-1,)", nil),
		"trailing bytes":   makeNpy("<f4", false, "(1,)", le(float32(1), float32(2))),
		"complex":          makeNpy("<c8", false, "(1,)", le(float32(1), float32(2))),
		"object":           makeNpy("|O", false, "(1,)", le(int64(0))),
		"string":           makeNpy("<U3", false, "(1,)", make([]byte, 12)),
		"bad order":        bytes.Replace(makeNpy("<f4", false, "(1,)", le(float32(1))), []byte("False"), []byte("Maybe"), 1),
		"no dict":          makeNpy("<f4", false, "(1,)", nil)[:10],
		"header overflow":  append([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"), "{}\n"...),
		"unknown version":  append([]byte("\x93NUMPY\x07\x00\x03\x00"), "{}\n"...),
		"no newline":       append([]byte("\x93NUMPY\x01\x00\x03\x00"), "{} "...),
		"garbage":          []byte("definitely not numpy"),
		"shuffled keys":    []byte("\x93NUMPY\x01\x00\x40\x00{'shape': (1,), 'fortran_order': False, 'descr': '<f4', }     \n"),
		"short header":     []byte("\x93NUMPY\x01\x00\x01\x00\n"),
		"uint64 too large": makeNpy("<u8", false, "(1,)", le(uint64(math.MaxUint64))),
	}
	for name, b := range cases {
		if _, err := DecodeNpy(b); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.HasPrefix(err.Error(), "npy") {
			t.Errorf("%s: error %q does not name the format", name, err)
		}
	}
}

func seq(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i)
	}
	return out
}

func FuzzDecodeNpy(f *testing.F) {
	f.Add(makeNpy("<f4", false, "(2, 3)", le(make([]float32, 6))))
	f.Add(makeNpy("<f8", true, "(2, 2)", le([]float64{1, 2, 3, 4})))
	f.Add(makeNpy("<i8", false, "()", le(int64(3))))
	f.Add(makeNpy("|b1", false, "(2,)", []byte{1, 0}))
	f.Add(makeNpy("<f2", false, "(1,)", []byte{0, 0x3c}))
	f.Add(makeNpy("<f4", false, "(1000000000000,)", nil))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff{}\n"))
	f.Add(makeNpy("<f4", false, "("+strings.Repeat("1, ", 100)+")", le(float32(1))))
	f.Add(makeNpy("|b1", false, "(3,)", []byte{0, 2, 255}))
	f.Add(makeNpy(">f2", false, "(2,)", []byte{0, 1, 0x83, 0xff}))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := DecodeNpy(data)
		// Reading the same bytes as a stream must agree.
		xs, errs := ReadNpy(bytes.NewReader(data))
		if (err == nil) != (errs == nil) || err == nil && tensor.ContentHashHex(x) != tensor.ContentHashHex(xs) {
			t.Fatalf("DecodeNpy gave %v, %v; ReadNpy gave %v, %v", x, err, xs, errs)
		}
		if err != nil {
			return
		}
		// Whatever decodes must survive a write/read round trip.
		var b bytes.Buffer
		if err := WriteNpy(&b, x); err != nil {
			t.Fatalf("writing %v: %v", x, err)
		}
		y, err := ReadNpy(&b)
		if err != nil {
			t.Fatalf("re-reading %v: %v", x, err)
		}
		if tensor.ContentHashHex(x) != tensor.ContentHashHex(y) {
			t.Fatalf("round trip changed %v into %v", x, y)
		}
	})
}
