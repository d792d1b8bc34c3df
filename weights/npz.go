package weights

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// LoadNpz reads a NumPy .npz archive (a zip of .npy members, as written by
// numpy.savez and savez_compressed). Keys are member names without the
// .npy suffix, as numpy.load reports them.
func LoadNpz(path string) (map[string]*tensor.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := DecodeNpz(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// DecodeNpz decodes a whole .npz archive held in memory.
func DecodeNpz(data []byte) (out map[string]*tensor.Tensor, err error) {
	defer recoverAsError("npz", &err)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("npz: %w", err)
	}
	out = make(map[string]*tensor.Tensor, len(zr.File))
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue // a directory entry holds no array
		}
		key := strings.TrimSuffix(f.Name, ".npy")
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("npz: duplicate member %s", f.Name)
		}
		raw, err := readZipEntry(f, int64(len(data)))
		if err != nil {
			return nil, fmt.Errorf("npz: %w", err)
		}
		t, err := DecodeNpy(raw)
		if err != nil {
			return nil, fmt.Errorf("npz member %s: %w", f.Name, err)
		}
		out[key] = t
	}
	return out, nil
}
