package weights

import (
	"bufio"
	"fmt"

	"github.com/circopt/circopt/tensor"
)

// StatTensorFile reports what the .npy file at path declares: the dtype
// and shape LoadNpy would return and the bytes that tensor occupies in
// memory, reading only the header. Like LoadNpy it refuses a file that is
// not regular, whose data length does not match the header, or whose
// tensor exceeds the Limits (with an error wrapping ErrTooLarge), so a
// caller can budget memory for inputs before reading any of them.
func StatTensorFile(path string) (dt tensor.DType, shape []int, bytes int64, err error) {
	defer recoverAsError(path+": npy", &err)
	l, err := limits()
	if err != nil {
		return 0, nil, 0, err
	}
	f, size, err := openRegular(path)
	if err != nil {
		return 0, nil, 0, err
	}
	defer f.Close()
	h, err := readNpyHeader(bufio.NewReader(f))
	if err == nil {
		err = h.check(size-h.prefix, l)
	}
	if err != nil {
		return 0, nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	dt = h.kind.dtype()
	return dt, h.shape, int64(h.n) * int64(dt.Size()), nil
}
