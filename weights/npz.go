package weights

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// LoadNpz reads a NumPy .npz archive (a zip of .npy members, as written by
// numpy.savez and savez_compressed). Keys are member names without the
// .npy suffix, as numpy.load reports them. Only a regular file is read.
func LoadNpz(path string) (map[string]*tensor.Tensor, error) {
	f, size, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := readNpz(f, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// DecodeNpz decodes a whole .npz archive held in memory.
func DecodeNpz(data []byte) (map[string]*tensor.Tensor, error) {
	return readNpz(bytes.NewReader(data), int64(len(data)))
}

// readNpz decodes an .npz archive of size bytes. Each member's npy header
// is read first and its declared size checked against the member's
// declared size and the limits before any data is inflated.
func readNpz(r io.ReaderAt, size int64) (out map[string]*tensor.Tensor, err error) {
	defer recoverAsError("npz", &err)
	l, err := limits()
	if err != nil {
		return nil, err
	}
	if err := l.checkFileBytes("npz archive", size); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("npz: %w", err)
	}
	if err := checkZipLayout(zr.File); err != nil {
		return nil, fmt.Errorf("npz: %w", err)
	}
	out = make(map[string]*tensor.Tensor, len(zr.File))
	var total int64
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue // a directory entry holds no array
		}
		key := strings.TrimSuffix(f.Name, ".npy")
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("npz: duplicate member %s", f.Name)
		}
		t, err := readNpzMember(f, size, l)
		if err != nil {
			return nil, fmt.Errorf("npz member %s: %w", f.Name, err)
		}
		total += int64(t.Size() * t.DType().Size())
		if err := l.checkFileBytes("npz arrays in total", total); err != nil {
			return nil, err
		}
		out[key] = t
	}
	return out, nil
}

// readNpzMember reads one .npy member, inflating only the data its
// header declares.
func readNpzMember(f *zip.File, archiveSize int64, l Limits) (*tensor.Tensor, error) {
	rc, err := openZipEntry(f, archiveSize, l)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	h, err := readNpyHeader(rc)
	if err != nil {
		return nil, err
	}
	if err := h.check(int64(f.UncompressedSize64)-h.prefix, l); err != nil {
		return nil, err
	}
	data, err := readDeclared(rc, h.dataBytes)
	if err != nil {
		return nil, fmt.Errorf("npy data: %w", err)
	}
	if err := expectZipEOF(f, rc); err != nil {
		return nil, err
	}
	return h.decode(data)
}
