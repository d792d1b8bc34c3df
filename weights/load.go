package weights

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
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
func Load(path string) (map[string]*tensor.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := decodeAny(data, path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func decodeAny(data []byte, path string) (map[string]*tensor.Tensor, error) {
	ext := strings.ToLower(filepath.Ext(path))
	switch {
	case bytes.HasPrefix(data, []byte("\x93NUMPY")):
		t, err := DecodeNpy(data)
		if err != nil {
			return nil, err
		}
		key := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		return map[string]*tensor.Tensor{key: t}, nil
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")):
		if ext == ".npz" || !zipHasDataPkl(data) {
			return DecodeNpz(data)
		}
		return ReadTorch(bytes.NewReader(data), int64(len(data)))
	case ext == ".safetensors" || len(data) >= 9 && data[8] == '{':
		return DecodeSafetensors(data)
	}
	switch ext {
	case ".pt", ".pth", ".pickle", ".pkl", ".bin":
		return nil, fmt.Errorf("not a zip-format torch.save file (legacy pre-1.6 files are not supported)")
	}
	return nil, fmt.Errorf("unrecognized weight file format (want .npy, .npz, .safetensors or a torch.save zip)")
}

// zipHasDataPkl reports whether a zip archive has a */data.pkl member,
// the mark of torch.save.
func zipHasDataPkl(data []byte) bool {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
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
