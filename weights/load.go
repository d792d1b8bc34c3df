package weights

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// Load reads any supported weight file into named tensors, choosing the
// format from the file's content, with the extension as a tie-breaker:
//   - .npy (magic "\x93NUMPY"): one tensor, keyed by the file's base name
//     without extension;
//   - zip archives: a torch.save archive if it holds a data.pkl, otherwise
//     an .npz;
//   - anything else is tried as safetensors (which has no magic number).
//
// Only a regular file is read, within the Limits.
func Load(p string) (map[string]*tensor.Tensor, error) {
	f, size, err := openRegular(p)
	if err != nil {
		return nil, err
	}
	var head [9]byte
	n, err := io.ReadFull(f, head[:])
	isZip := false
	if err == nil || err == io.ErrUnexpectedEOF {
		isZip = bytes.HasPrefix(head[:n], []byte("PK\x03\x04")) || bytes.HasPrefix(head[:n], []byte("PK\x05\x06"))
		err = nil
	}
	hasPkl := isZip && zipHasDataPkl(f, size)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	ext := strings.ToLower(filepath.Ext(p))
	switch {
	case bytes.HasPrefix(head[:n], []byte("\x93NUMPY")):
		t, err := LoadNpy(p)
		if err != nil {
			return nil, err
		}
		key := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		return map[string]*tensor.Tensor{key: t}, nil
	case isZip:
		if ext == ".npz" || !hasPkl {
			return LoadNpz(p)
		}
		return LoadTorch(p)
	case ext == ".safetensors" || n == 9 && head[8] == '{':
		return LoadSafetensors(p)
	}
	switch ext {
	case ".pt", ".pth", ".pickle", ".pkl", ".bin":
		return nil, fmt.Errorf("%s: not a zip-format torch.save file (legacy pre-1.6 files are not supported)", p)
	}
	return nil, fmt.Errorf("%s: unrecognized weight file format (want .npy, .npz, .safetensors or a torch.save zip)", p)
}

// zipHasDataPkl reports whether a zip archive has a */data.pkl member,
// the mark of torch.save.
func zipHasDataPkl(r io.ReaderAt, size int64) bool {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return false
	}
	for _, f := range zr.File {
		if path.Base(f.Name) == "data.pkl" {
			return true
		}
	}
	return false
}
