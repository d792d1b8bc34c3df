package weights

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"reflect"
	"testing"
)

func TestLoadMNISTTest(t *testing.T) {
	dir, err := MNISTDir()
	if err != nil {
		t.Skip("GoMNIST module not in the module cache: ", err)
	}
	images, labels, err := LoadMNISTTest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s := images.Shape(); len(s) != 2 || s[0] != 10000 || s[1] != 784 {
		t.Fatalf("images shape %v", s)
	}
	if len(labels) != 10000 {
		t.Fatalf("%d labels", len(labels))
	}
	var counts [10]int
	for _, l := range labels {
		if l < 0 || l > 9 {
			t.Fatalf("label %d", l)
		}
		counts[l]++
	}
	if want := [10]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}; counts != want {
		t.Errorf("label counts %v, want %v", counts, want)
	}
	// The test set's mean pixel is about 0.1325 (a little above the
	// training mean 0.1307) and its std about 0.3105, so after
	// normalization the mean is near +0.006 and the std near 1.
	px := images.Float32Data()
	var sum, sq float64
	minV, maxV := math.Inf(1), math.Inf(-1)
	for _, v := range px {
		sum += float64(v)
		sq += float64(v) * float64(v)
		minV, maxV = math.Min(minV, float64(v)), math.Max(maxV, float64(v))
	}
	mean := sum / float64(len(px))
	std := math.Sqrt(sq/float64(len(px)) - mean*mean)
	t.Logf("normalized mean %.5f std %.5f", mean, std)
	if math.Abs(mean-0.006) > 0.004 || math.Abs(std-1.008) > 0.02 {
		t.Errorf("normalized mean %.4f std %.4f", mean, std)
	}
	if lo, hi := -MNISTMean/MNISTStd, (1-MNISTMean)/MNISTStd; math.Abs(minV-lo) > 1e-6 || math.Abs(maxV-hi) > 1e-5 {
		t.Errorf("range [%g, %g], want [%g, %g]", minV, maxV, lo, hi)
	}
	// The first test image is a 7 with a blank top row.
	if labels[0] != 7 || float64(px[0]) != float64(float32(-MNISTMean/MNISTStd)) {
		t.Errorf("first example: label %d, pixel %g", labels[0], px[0])
	}
}

func idx(dims []uint32, data []byte) []byte {
	out := []byte{0, 0, 8, byte(len(dims))}
	for _, d := range dims {
		out = binary.BigEndian.AppendUint32(out, d)
	}
	return append(out, data...)
}

func TestDecodeIDX(t *testing.T) {
	dims, data, err := DecodeIDX(idx([]uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6}))
	if err != nil || len(dims) != 2 || dims[0] != 2 || dims[1] != 3 || len(data) != 6 || data[5] != 6 {
		t.Fatalf("dims %v data %v err %v", dims, data, err)
	}
	for name, b := range map[string][]byte{
		"huge dims":    idx([]uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil),
		"short data":   idx([]uint32{2, 3}, []byte{1, 2}),
		"long data":    idx([]uint32{1}, []byte{1, 2}),
		"bad magic":    {1, 0, 8, 0},
		"float type":   {0, 0, 0x0d, 1, 0, 0, 0, 0},
		"short header": {0, 0, 8, 3, 0, 0},
		"empty":        nil,
	} {
		if _, _, err := DecodeIDX(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzDecodeIDX(f *testing.F) {
	f.Add(idx([]uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6}))
	f.Add(idx([]uint32{0xffffffff, 0xffffffff}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		dims, data, err := DecodeIDX(b)
		if err != nil {
			return
		}
		n := 1
		for _, d := range dims {
			n *= d
		}
		if n != len(data) {
			t.Fatalf("dims %v but %d bytes", dims, len(data))
		}
	})
}

// FuzzReadIDXGzip fuzzes the gzipped IDX reader; inputs are compressed
// first so the mutations reach the header checks.
func FuzzReadIDXGzip(f *testing.F) {
	f.Add(idx([]uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6}))
	f.Add(idx([]uint32{1 << 16, 1 << 15}, nil))
	f.Add(idx([]uint32{1 << 12, 1 << 12, 1 << 6}, make([]byte, 64)))
	l, err := LimitsFromEnv()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(raw)
		zw.Close()
		dims, data, err := readIDXGzip(&b, int64(b.Len()), l)
		if err != nil {
			return
		}
		// What the gzip reader accepts, the in-memory decoder agrees with.
		d2, data2, err := DecodeIDX(raw)
		if err != nil || !reflect.DeepEqual(dims, d2) || !bytes.Equal(data, data2) {
			t.Fatalf("readIDXGzip gave %v, DecodeIDX %v, %v", dims, d2, err)
		}
	})
}
