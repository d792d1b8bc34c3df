package weights

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/circopt/circopt/tensor"
)

// ErrTooLarge is wrapped by every error that refuses input for exceeding
// one of the Limits, so callers can tell "too big" from "malformed".
var ErrTooLarge = errors.New("exceeds a size limit")

// Limits bounds what a loader may allocate for one file. Every loader
// checks sizes declared in headers against these before allocating.
type Limits struct {
	// MaxTensorBytes bounds one tensor's size in memory (after widening,
	// e.g. uint8 -> int64). Env CIRCOPT_MAX_TENSOR_BYTES; default 4 GiB.
	MaxTensorBytes int64
	// MaxFileBytes bounds the size of a file read and the total bytes of
	// the tensors decoded from it. Env CIRCOPT_MAX_FILE_BYTES; default 16 GiB.
	MaxFileBytes int64
	// MaxInflateRatio bounds how much a compressed zip or gzip member may
	// expand beyond inflateFloor. Env CIRCOPT_MAX_INFLATE_RATIO; default 100.
	MaxInflateRatio int64
}

// Default limits; see Limits.
const (
	DefaultMaxTensorBytes  = 4 << 30
	DefaultMaxFileBytes    = 16 << 30
	DefaultMaxInflateRatio = 100
	// inflateFloor is what any compressed member may inflate to whatever
	// its ratio: small all-zero arrays compress far better than 100:1.
	inflateFloor = 64 << 20
)

// Environment variables that override the default Limits.
const (
	EnvMaxTensorBytes  = "CIRCOPT_MAX_TENSOR_BYTES"
	EnvMaxFileBytes    = "CIRCOPT_MAX_FILE_BYTES"
	EnvMaxInflateRatio = "CIRCOPT_MAX_INFLATE_RATIO"
)

// LimitsFromEnv returns the default Limits overridden by the environment.
// A variable that is set but not a positive integer is an error.
func LimitsFromEnv() (Limits, error) {
	l := Limits{DefaultMaxTensorBytes, DefaultMaxFileBytes, DefaultMaxInflateRatio}
	for _, v := range []struct {
		env string
		dst *int64
	}{{EnvMaxTensorBytes, &l.MaxTensorBytes}, {EnvMaxFileBytes, &l.MaxFileBytes}, {EnvMaxInflateRatio, &l.MaxInflateRatio}} {
		s := os.Getenv(v.env)
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return l, fmt.Errorf("%s=%q is not a positive integer", v.env, s)
		}
		*v.dst = n
	}
	return l, nil
}

// limits is LimitsFromEnv for the loaders.
func limits() (Limits, error) { return LimitsFromEnv() }

// checkTensorBytes refuses a tensor of n elements of esize bytes (in
// memory) that exceeds l.MaxTensorBytes; what names the tensor.
func (l Limits) checkTensorBytes(what string, n int, esize int) error {
	if b := int64(n) * int64(esize); b > l.MaxTensorBytes {
		return fmt.Errorf("%s needs %d bytes, more than the limit of %d (set %s to raise it): %w",
			what, b, l.MaxTensorBytes, EnvMaxTensorBytes, ErrTooLarge)
	}
	return nil
}

// checkFileBytes refuses a file or running total of size bytes that
// exceeds l.MaxFileBytes.
func (l Limits) checkFileBytes(what string, size int64) error {
	if size > l.MaxFileBytes {
		return fmt.Errorf("%s is %d bytes, more than the limit of %d (set %s to raise it): %w",
			what, size, l.MaxFileBytes, EnvMaxFileBytes, ErrTooLarge)
	}
	return nil
}

// checkInflate refuses a compressed member of csize bytes that declares
// an uncompressed size beyond the ratio limit (and beyond inflateFloor).
func (l Limits) checkInflate(what string, csize, usize uint64) error {
	if usize <= inflateFloor || usize/uint64(l.MaxInflateRatio) <= csize {
		return nil
	}
	return fmt.Errorf("%s inflates %d bytes to %d, more than %d:1 (set %s to raise it): %w",
		what, csize, usize, l.MaxInflateRatio, EnvMaxInflateRatio, ErrTooLarge)
}

// numElements is tensor.NumElements, with a shape too large for any
// tensor reported as ErrTooLarge (a negative dimension is plain malformed).
func numElements(shape []int) (int, error) {
	n, err := tensor.NumElements(shape)
	if err != nil && !slices.ContainsFunc(shape, func(d int) bool { return d < 0 }) {
		return 0, fmt.Errorf("%w: %w", err, ErrTooLarge)
	}
	return n, err
}
