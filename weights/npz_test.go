package weights

import (
	"archive/zip"
	"bytes"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/circopt/circopt/tensor"
)

// makeZip builds a zip archive; members named with a "stored:" prefix are
// stored uncompressed, the rest deflated.
func makeZip(t testing.TB, members map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range members {
		method := zip.Deflate
		if n, ok := bytes.CutPrefix([]byte(name), []byte("stored:")); ok {
			name, method = string(n), zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLoadNpz(t *testing.T) {
	a := makeNpy("<f4", false, "(2,)", le([]float32{1, 2}))
	b := makeNpy("<i8", true, "(2, 2)", le([]int64{1, 3, 2, 4}))
	data := makeZip(t, map[string][]byte{"weights.npy": a, "stored:idx.npy": b})
	p := filepath.Join(t.TempDir(), "x.npz")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := LoadNpz(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 {
		t.Fatalf("got keys %v", keys(m))
	}
	checkTensor(t, m["weights"], tensor.Float32, []int{2}, []float64{1, 2})
	checkTensor(t, m["idx"], tensor.Int64, []int{2, 2}, []float64{1, 2, 3, 4})
}

func TestDecodeNpzRejects(t *testing.T) {
	good := makeZip(t, map[string][]byte{"a.npy": makeNpy("<f4", false, "(2,)", le([]float32{1, 2}))})
	for n := 0; n < len(good); n++ {
		if _, err := DecodeNpz(good[:n]); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	if _, err := DecodeNpz(makeZip(t, map[string][]byte{"a.npy": []byte("not numpy")})); err == nil {
		t.Error("bad member accepted")
	}
	if _, err := DecodeNpz(makeZip(t, map[string][]byte{"a.npy": makeNpy("<f4", false, "(2,)", le([]float32{1, 2})), "stored:a": makeNpy("<f4", false, "(2,)", le([]float32{1, 2}))})); err == nil {
		t.Error("duplicate key accepted")
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func FuzzDecodeNpz(f *testing.F) {
	f.Add(makeZip(f, map[string][]byte{"a.npy": makeNpy("<f4", false, "(2,)", le([]float32{1, 2}))}))
	f.Add(makeZip(f, map[string][]byte{"stored:b.npy": makeNpy("<i8", false, "()", le(int64(1)))}))
	f.Add(rawZip(f, "bomb.npy", make([]byte, 1<<10), 1<<30, 0))
	npy := makeNpy("<f4", false, "(2,)", le([]float32{1, 2}))
	f.Add(rawZip(f, "c.npy", deflate(f, npy), uint64(len(npy)), crc32.ChecksumIEEE(npy)))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeNpz(data)
		if err == nil && m == nil {
			t.Fatal("nil map without error")
		}
	})
}
