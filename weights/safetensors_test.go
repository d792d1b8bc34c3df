package weights

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
)

// makeSafetensors writes the format by hand: an 8-byte little-endian
// header length, the JSON header, then the data section.
func makeSafetensors(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

func sampleSafetensors() []byte {
	hdr := `{"__metadata__":{"format":"pt"},` +
		`"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},` +
		`"b":{"dtype":"F64","shape":[2],"data_offsets":[24,40]},` +
		`"i":{"dtype":"I64","shape":[],"data_offsets":[40,48]},` +
		`"h":{"dtype":"F16","shape":[2],"data_offsets":[48,52]},` +
		`"bf":{"dtype":"BF16","shape":[1],"data_offsets":[52,54]},` +
		`"u":{"dtype":"U8","shape":[2],"data_offsets":[54,56]},` +
		`"s":{"dtype":"I16","shape":[1],"data_offsets":[56,58]},` +
		`"z":{"dtype":"F32","shape":[0,4],"data_offsets":[58,58]}}`
	data := le([]float32{1, 2, 3, 4, 5, 6}, []float64{-0.5, math.Pi}, int64(-42),
		[]uint16{0x3c00, 0xc100}, uint16(0x4040), []uint8{0, 255}, int16(-2))
	return makeSafetensors(hdr, data)
}

func TestDecodeSafetensors(t *testing.T) {
	m, err := DecodeSafetensors(sampleSafetensors())
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 8 {
		t.Fatalf("keys %v", keys(m))
	}
	checkTensor(t, m["w"], tensor.Float32, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6})
	checkTensor(t, m["b"], tensor.Float64, []int{2}, []float64{-0.5, math.Pi})
	checkTensor(t, m["i"], tensor.Int64, []int{}, []float64{-42})
	checkTensor(t, m["h"], tensor.Float32, []int{2}, []float64{1, -2.5})
	checkTensor(t, m["bf"], tensor.Float32, []int{1}, []float64{3})
	checkTensor(t, m["u"], tensor.Int64, []int{2}, []float64{0, 255})
	checkTensor(t, m["s"], tensor.Int64, []int{1}, []float64{-2})
	checkTensor(t, m["z"], tensor.Float32, []int{0, 4}, nil)

	p := filepath.Join(t.TempDir(), "m.safetensors")
	if err := os.WriteFile(p, sampleSafetensors(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, load := range []func(string) (map[string]*tensor.Tensor, error){LoadSafetensors, Load} {
		m2, err := load(p)
		if err != nil || len(m2) != 8 || tensor.ContentHashHex(m2["b"]) != tensor.ContentHashHex(m["b"]) {
			t.Errorf("loading file: %v", err)
		}
	}
}

func TestDecodeSafetensorsRejects(t *testing.T) {
	good := sampleSafetensors()
	for n := 0; n < len(good); n++ {
		if _, err := DecodeSafetensors(good[:n]); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	huge := binary.LittleEndian.AppendUint64(nil, 1<<62)
	cases := map[string][]byte{
		"huge header":   append(huge, "{}"...),
		"header > file": append(binary.LittleEndian.AppendUint64(nil, 100), "{}"...),
		"extra data":    append(append([]byte{}, good...), 0),
		"overlap":       makeSafetensors(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, le(float32(1))),
		"shape vs size": makeSafetensors(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, le(float32(1))),
		"huge shape":    makeSafetensors(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, le(float32(1))),
		"bad dtype":     makeSafetensors(`{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)),
		"bad json":      makeSafetensors(`{"a":`, nil),
		"u64 overflow":  makeSafetensors(`{"a":{"dtype":"U64","shape":[1],"data_offsets":[0,8]}}`, le(uint64(math.MaxUint64))),
	}
	for name, b := range cases {
		if _, err := DecodeSafetensors(b); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.HasPrefix(err.Error(), "safetensors") {
			t.Errorf("%s: error %q does not name the format", name, err)
		}
	}
}

func FuzzDecodeSafetensors(f *testing.F) {
	f.Add(sampleSafetensors())
	f.Add(makeSafetensors(`{"a":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}`, []byte{1, 0}))
	f.Add(makeSafetensors(`{}`, nil))
	f.Add(makeSafetensors(`{"a":{"dtype":"F32","shape":[1073741824, 2],"data_offsets":[0,8589934592]}}`, make([]byte, 8)))
	l, err := LimitsFromEnv()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeSafetensors(data)
		if err != nil {
			return
		}
		// The header check LoadSafetensors makes first never refuses
		// a file the library accepts.
		if err := checkSafetensorsHeader(bytes.NewReader(data), int64(len(data)), l); err != nil {
			t.Fatalf("header check refuses a valid file: %v", err)
		}
		for k, x := range m {
			if x.Bytes() > int64(len(data))*8 {
				t.Fatalf("%s: %d bytes decoded from a %d-byte file", k, x.Bytes(), len(data))
			}
		}
	})
}
