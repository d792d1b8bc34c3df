package weights

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// quickly runs f and fails the test if it takes longer than a few
// seconds, which on hostile input means it would hang or exhaust memory.
func quickly(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: still running after 20s", what)
		return nil
	}
}

// wantTooLarge checks err is a one-line error wrapping ErrTooLarge.
func wantTooLarge(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("%s: got %v, want an error wrapping ErrTooLarge", what, err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("%s: error spans lines: %q", what, err)
	}
}

// readTorchPickle reads pkl as the data.pkl of a torch archive.
func readTorchPickle(t *testing.T, pkl []byte) error {
	t.Helper()
	z := makeTorchZip(t, pkl, map[string][]byte{"0": le(make([]float32, 4))})
	return quickly(t, "ReadTorch", func() error {
		_, err := ReadTorch(bytes.NewReader(z), int64(len(z)))
		return err
	})
}

func TestPickleBombsRefused(t *testing.T) {
	// Each is a few kilobytes of pickle whose unpickling (or walking)
	// would take unbounded time or memory.
	floods := map[string][]byte{
		"mark flood":   append(append([]byte{0x80, 2}, bytes.Repeat([]byte{'('}, 2*maxMarkDepth)...), ')', '.'),
		"memo flood":   append(append([]byte{0x80, 2, ')'}, bytes.Repeat([]byte{'q', 1}, maxMemoEntries+1)...), '.'),
		"opcode flood": append(append([]byte{0x80, 2}, bytes.Repeat([]byte{'N', '0'}, maxPickleOps/2+1)...), 'N', '.'),
		"long literal": append(append([]byte{0x80, 2, 'L'}, bytes.Repeat([]byte{'7'}, 100000)...), '\n', '.'),
		"long4":        append(append([]byte{0x80, 2, 0x8b}, binary.LittleEndian.AppendUint32(nil, 1<<20)...), make([]byte, 1<<20+1)...),
	}
	for name, pkl := range floods {
		wantTooLarge(t, name, readTorchPickle(t, pkl))
	}
}

// laughs builds a list that holds a list that holds ... depth levels,
// each holding the level below width times through BINGET, as the key
// of a one-entry state dict. Printed, it has width^depth elements.
func laughs(width, depth int) []byte {
	var p pk
	p.op(0x80, 2, '}', ']', 'q', 0) // dict; memo[0] = []
	for lv := 1; lv < depth; lv++ {
		p.op(']', '(')
		for range width {
			p.op('h', byte(lv-1))
		}
		p.op('e', 'q', byte(lv))
	}
	p.op('K', 1, 's', '.')
	return p.Bytes()
}

func TestPickleMemoDuplicationRefused(t *testing.T) {
	err := readTorchPickle(t, laughs(20, 12))
	if err == nil || len(err.Error()) > 300 {
		t.Fatalf("a shared-list key: got %.300v, want a short error", err)
	}
	// A dict holding one dict ten times, ten levels deep: 10^10 entries
	// to walk for a few hundred bytes.
	var p pk
	p.op(0x80, 2, '}', 'q', 0)
	for lv := 1; lv < 10; lv++ {
		p.op('}', '(')
		for i := range 10 {
			p.str(string(rune('a' + i)))
			p.op('h', byte(lv-1))
		}
		p.op('u', 'q', byte(lv))
	}
	p.op('.')
	wantTooLarge(t, "shared nested dicts", readTorchPickle(t, p.Bytes()))
	// A list appended to itself, as a state dict value, is ignored.
	var q pk
	q.op(0x80, 2, '}')
	q.str("self")
	q.op(']', 'q', 0, 'h', 0, 'a', 's', '.')
	if err := readTorchPickle(t, q.Bytes()); err != nil {
		t.Errorf("self-containing list value: %v", err)
	}
}

func TestTorchStorageLimit(t *testing.T) {
	t.Setenv(EnvMaxTensorBytes, "1000")
	pkl := makeTorchPickle([]torchEntry{{"w", "FloatStorage", "0", 1 << 20, 0, []int{1 << 20}, []int{1}}})
	z := makeTorchZip(t, pkl, map[string][]byte{"0": le(make([]float32, 1<<20))})
	_, err := ReadTorch(bytes.NewReader(z), int64(len(z)))
	wantTooLarge(t, "storage over the tensor limit", err)
}

// rawZip builds a zip of one deflated member whose headers declare usize
// bytes, whatever body holds, so a bomb can be described without being
// built.
func rawZip(t testing.TB, name string, body []byte, usize uint64, crc uint32) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(len(body)), UncompressedSize64: usize})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(body)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func deflate(t testing.TB, data []byte) []byte {
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestSpeed)
	fw.Write(data)
	fw.Close()
	return b.Bytes()
}

func TestNpzBombRefused(t *testing.T) {
	// A member declaring 1 GiB for 1 MiB of deflate: refused before any
	// inflation.
	z := rawZip(t, "x.npy", make([]byte, 1<<20), 1<<30, 0)
	err := quickly(t, "npz bomb", func() error { _, err := DecodeNpz(z); return err })
	wantTooLarge(t, "1 GiB npz member", err)

	// A member within the ratio whose npy header declares more than the
	// tensor limit: refused after reading only the header.
	t.Setenv(EnvMaxTensorBytes, "4096")
	npy := makeNpy("<f4", false, "(2048,)", make([]byte, 8192))
	z = rawZip(t, "y.npy", deflate(t, npy), uint64(len(npy)), crc32.ChecksumIEEE(npy))
	_, err = DecodeNpz(z)
	wantTooLarge(t, "npy header over the limit", err)

	// A member whose npy header promises less than the member holds.
	t.Setenv(EnvMaxTensorBytes, "")
	npy = makeNpy("<f4", false, "(2,)", make([]byte, 64))
	z = rawZip(t, "z.npy", deflate(t, npy), uint64(len(npy)), crc32.ChecksumIEEE(npy))
	if _, err = DecodeNpz(z); err == nil || !strings.Contains(err.Error(), "needs 8 data bytes") {
		t.Errorf("npy header shorter than member: %v", err)
	}
}

func TestNpyRankBounded(t *testing.T) {
	shape := "(" + strings.Repeat("1, ", 10000) + ")"
	err := quickly(t, "rank 10000", func() error {
		_, err := DecodeNpy(makeNpy("<f4", false, shape, make([]byte, 4)))
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "10000 axes") {
		t.Fatalf("10000-axis npy: %v", err)
	}
}

func TestIDXHugeCountsRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, dims []uint32, n int) string {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
		zw.Write(idx(dims, nil))
		chunk := make([]byte, 1<<20)
		for n > 0 {
			m := min(n, len(chunk))
			zw.Write(chunk[:m])
			n -= m
		}
		zw.Close()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Consistent: the 100 MiB of pixels are all there, but from 100 KiB.
	p := write("bomb.gz", []uint32{1600, 256, 256}, 1600*256*256)
	_, _, err := quickly3(t, p)
	wantTooLarge(t, "inflating idx", err)
	// Counts over the tensor limit, refused before reading data.
	p = write("huge.gz", []uint32{1 << 16, 1 << 15}, 16)
	_, _, err = quickly3(t, p)
	wantTooLarge(t, "huge idx counts", err)
}

func quickly3(t *testing.T, path string) (dims []int, data []byte, err error) {
	err = quickly(t, path, func() error {
		var err error
		dims, data, err = readIDXFile(path)
		return err
	})
	return
}

// hostilePaths makes a symlink to /dev/zero, a FIFO and a 100 GB sparse
// file whose npy header declares all of it, each named name+ext.
func hostilePaths(t *testing.T, dir, ext string) map[string]string {
	t.Helper()
	out := map[string]string{}
	zero := filepath.Join(dir, "zero"+ext)
	if err := os.Symlink("/dev/zero", zero); err == nil {
		out["symlink to /dev/zero"] = zero
	}
	fifo := filepath.Join(dir, "fifo"+ext)
	if err := syscall.Mkfifo(fifo, 0o644); err == nil {
		out["fifo"] = fifo
	}
	sparse := filepath.Join(dir, "sparse"+ext)
	head := makeNpy("<f4", false, "(25000000000,)", nil)
	if err := os.WriteFile(sparse, head, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(sparse, int64(len(head))+100e9); err == nil {
		out["100 GB sparse file"] = sparse
	}
	return out
}

func TestHostilePathsRefused(t *testing.T) {
	dir := t.TempDir()
	loaders := map[string]func(string) error{
		"LoadNpy":         func(p string) error { _, err := LoadNpy(p); return err },
		"StatTensorFile":  func(p string) error { _, _, _, err := StatTensorFile(p); return err },
		"Load":            func(p string) error { _, err := Load(p); return err },
		"LoadNpz":         func(p string) error { _, err := LoadNpz(p); return err },
		"LoadTorch":       func(p string) error { _, err := LoadTorch(p); return err },
		"LoadSafetensors": func(p string) error { _, err := LoadSafetensors(p); return err },
		"readIDXFile":     func(p string) error { _, _, err := readIDXFile(p); return err },
	}
	for kind, p := range hostilePaths(t, dir, ".npy") {
		for name, load := range loaders {
			err := quickly(t, name+" "+kind, func() error { return load(p) })
			if err == nil || !strings.Contains(err.Error(), p) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s of a %s: %v, want a one-line error naming the file", name, kind, err)
			}
			if strings.Contains(kind, "sparse") && !errors.Is(err, ErrTooLarge) {
				t.Errorf("%s of a %s: %v, want ErrTooLarge", name, kind, err)
			}
		}
	}
}

func TestStoreHostileFiles(t *testing.T) {
	dir := t.TempDir()
	hashes := map[string]string{"/dev/zero": strings.Repeat("a", 64), "fifo": strings.Repeat("b", 64)}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, hashes["/dev/zero"]+".npy")); err != nil {
		t.Skip(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, hashes["fifo"]+".npy"), 0o644); err != nil {
		t.Skip(err)
	}
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for kind, h := range hashes {
		err := quickly(t, kind, func() error { _, _, err := st.Resolve(h[:8]); return err })
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("store file that is a %s: %v", kind, err)
		}
	}
}

func TestFileLimit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "w.safetensors")
	if err := os.WriteFile(p, sampleSafetensors(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSafetensors(p); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvMaxFileBytes, "16")
	_, err := LoadSafetensors(p)
	wantTooLarge(t, "file over the limit", err)
	t.Setenv(EnvMaxFileBytes, "sixteen")
	if _, err := LoadSafetensors(p); err == nil || !strings.Contains(err.Error(), EnvMaxFileBytes) {
		t.Errorf("bad %s: %v", EnvMaxFileBytes, err)
	}
}

// overlapping returns a zip whose directory lists copies of its one
// member, renamed, all pointing at the same compressed data.
func overlapping(t *testing.T, member []byte, copies int) []byte {
	t.Helper()
	z := makeZip(t, map[string][]byte{"a.npy": member})
	cd := bytes.Index(z, []byte("PK\x01\x02"))
	eocd := bytes.Index(z, []byte("PK\x05\x06"))
	rec := z[cd:eocd]
	var out bytes.Buffer
	out.Write(z[:cd])
	for i := range copies {
		r := append([]byte{}, rec...)
		r[46] = byte('a' + i%26) // the name's first two letters, unique
		r[47] = byte('a' + i/26%26)
		out.Write(r)
	}
	end := append([]byte{}, z[eocd:]...)
	binary.LittleEndian.PutUint16(end[8:], uint16(copies))
	binary.LittleEndian.PutUint16(end[10:], uint16(copies))
	binary.LittleEndian.PutUint32(end[12:], uint32(copies*len(rec)))
	binary.LittleEndian.PutUint32(end[16:], uint32(cd))
	out.Write(end)
	return out.Bytes()
}

func TestOverlappingZipRefused(t *testing.T) {
	npy := makeNpy("<f4", false, "(4096,)", make([]byte, 16<<10))
	if _, err := DecodeNpz(overlapping(t, npy, 1)); err != nil {
		t.Fatalf("one member: %v", err)
	}
	_, err := DecodeNpz(overlapping(t, npy, 500))
	if err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Fatalf("500 members sharing one stream: %v", err)
	}
}

func TestSafetensorsHeaderCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "w.safetensors")
	// Declares 8 GiB of data in a file of a few bytes.
	writeFileBytes(t, p, makeSafetensors(`{"a":{"dtype":"F32","shape":[1073741824, 2],"data_offsets":[0,8589934592]}}`, make([]byte, 8)))
	_, err := LoadSafetensors(p)
	wantTooLarge(t, "8 GiB tensor", err)
	t.Setenv(EnvMaxTensorBytes, "68719476736")
	t.Setenv(EnvMaxFileBytes, "68719476736")
	if _, err := LoadSafetensors(p); err == nil || !strings.Contains(err.Error(), "declares 8589934592 data bytes, file has 8") {
		t.Errorf("header larger than the file: %v", err)
	}
	t.Setenv(EnvMaxTensorBytes, "")
	t.Setenv(EnvMaxFileBytes, "")
	writeFileBytes(t, p, makeSafetensors(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}`, []byte{1, 2}))
	m, err := LoadSafetensors(p)
	if err != nil || m["a"].Int64s()[1] != 2 {
		t.Fatalf("small file: %v %v", m, err)
	}
	t.Setenv(EnvMaxTensorBytes, "15") // two uint8 widen to 16 bytes
	_, err = LoadSafetensors(p)
	wantTooLarge(t, "widened u8", err)
}

// TestTorchStorageLongerThanRecord: a storage whose zip entry declares
// more bytes than the archive holds for it is refused before allocating.
func TestTorchStorageLongerThanRecord(t *testing.T) {
	const numel = 1 << 28 // 1 GiB of float32
	pkl := makeTorchPickle([]torchEntry{{"w", "FloatStorage", "0", numel, 0, []int{numel}, []int{1}}})
	for _, m := range []uint16{zip.Store, zip.Deflate} {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "archive/data.pkl", Method: zip.Store})
		w.Write(pkl)
		w, err := zw.CreateRaw(&zip.FileHeader{Name: "archive/data/0", Method: m, CompressedSize64: 4 * numel, UncompressedSize64: 4 * numel})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(make([]byte, 16))
		zw.Close()
		z := b.Bytes()
		err = quickly(t, "storage", func() error { _, err := ReadTorch(bytes.NewReader(z), int64(len(z))); return err })
		if err == nil || !strings.Contains(err.Error(), "exceeds archive size") {
			t.Errorf("method %d storage declared beyond the archive: %v", m, err)
		}
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestReadDeclared(t *testing.T) {
	for _, n := range []int64{0, 5, 16<<20 + 3} {
		b, err := readDeclared(io.LimitReader(zeros{}, n), n)
		if err != nil || int64(len(b)) != n {
			t.Errorf("%d bytes: got %d, %v", n, len(b), err)
		}
		if n > 0 {
			if _, err := readDeclared(io.LimitReader(zeros{}, n-1), n); err == nil {
				t.Errorf("%d bytes declared, %d present: no error", n, n-1)
			}
		}
	}
}
