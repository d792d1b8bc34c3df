package weights

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"codeberg.org/sbinet/npyio/npy"

	"github.com/circopt/circopt/tensor"
)

const (
	// maxNpyRank is numpy's NPY_MAXDIMS: no numpy can read more axes.
	maxNpyRank = 64
	// maxNpyHeader bounds the header dict; numpy itself refuses headers
	// over 10000 bytes by default, and a version 1.0 header cannot
	// exceed 65535.
	maxNpyHeader = 1 << 16
)

// npyKinds maps the type part of an npy descr to its element kind.
var npyKinds = map[string]elemKind{
	"f2": elemF16, "f4": elemF32, "f8": elemF64,
	"i1": elemI8, "i2": elemI16, "i4": elemI32, "i8": elemI64,
	"u1": elemU8, "u2": elemU16, "u4": elemU32, "u8": elemU64, "b1": elemBool,
}

// npyHeader is what an .npy header declares.
type npyHeader struct {
	descr     string
	kind      elemKind
	order     binary.ByteOrder
	shape     []int
	n         int   // number of elements
	fortran   bool  // column-major data
	prefix    int64 // bytes before the data: preamble and header dict
	dataBytes int64 // bytes of data the shape needs
}

// readNpyHeader reads the preamble and header dict from r, and nothing
// more, checking the header length before reading it.
func readNpyHeader(r io.Reader) (npyHeader, error) {
	var h npyHeader
	pre := make([]byte, 10, 12)
	if _, err := io.ReadFull(r, pre); err != nil || !bytes.Equal(pre[:6], npy.Magic[:]) {
		return h, fmt.Errorf("npy: not a NumPy .npy file (bad magic)")
	}
	var hlen int
	switch pre[6] {
	case 1:
		hlen = int(binary.LittleEndian.Uint16(pre[8:10]))
	case 2:
		pre = pre[:12]
		if _, err := io.ReadFull(r, pre[10:]); err != nil {
			return h, fmt.Errorf("npy: truncated header")
		}
		hlen = int(binary.LittleEndian.Uint32(pre[8:12]))
	default:
		return h, fmt.Errorf("npy: unsupported format version %d.%d", pre[6], pre[7])
	}
	if hlen > maxNpyHeader {
		return h, fmt.Errorf("npy: header of %d bytes is longer than the %d allowed: %w", hlen, maxNpyHeader, ErrTooLarge)
	}
	hdr := make([]byte, hlen)
	if n, err := io.ReadFull(r, hdr); err != nil {
		return h, fmt.Errorf("npy: header of %d bytes but only %d bytes follow", hlen, n)
	}
	if hlen == 0 || hdr[hlen-1] != '\n' {
		return h, fmt.Errorf("npy: header is not terminated by a newline")
	}
	rd, err := npy.NewReader(io.MultiReader(bytes.NewReader(pre), bytes.NewReader(hdr)))
	if err != nil {
		return h, fmt.Errorf("npy: %w", err)
	}
	h.descr = strings.Trim(rd.Header.Descr.Type, `'"`)
	h.shape = append([]int{}, rd.Header.Descr.Shape...)
	h.fortran = rd.Header.Descr.Fortran
	h.prefix = int64(len(pre) + hlen)
	if len(h.shape) > maxNpyRank {
		return h, fmt.Errorf("npy: shape has %d axes, more than numpy's %d", len(h.shape), maxNpyRank)
	}
	if h.n, err = numElements(h.shape); err != nil {
		return h, fmt.Errorf("npy: %w", err)
	}
	if len(h.descr) < 3 || !strings.ContainsRune("<>|=", rune(h.descr[0])) {
		return h, fmt.Errorf("npy: unsupported dtype %q", h.descr)
	}
	h.order = binary.ByteOrder(binary.LittleEndian)
	if h.descr[0] == '>' {
		h.order = binary.BigEndian
	}
	var ok bool
	if h.kind, ok = npyKinds[h.descr[1:]]; !ok {
		return h, fmt.Errorf("npy: unsupported dtype %q (want a float, integer or bool type)", h.descr)
	}
	h.dataBytes = int64(h.n) * int64(h.kind.size())
	return h, nil
}

// check refuses a header whose data would exceed the limits or does not
// match the have bytes that follow it.
func (h npyHeader) check(have int64, l Limits) error {
	if err := l.checkTensorBytes(fmt.Sprintf("npy: shape %v", h.shape), h.n, h.kind.dtype().Size()); err != nil {
		return err
	}
	if have != h.dataBytes {
		return fmt.Errorf("npy: shape %v of %s needs %d data bytes, file has %d", h.shape, h.descr, h.dataBytes, have)
	}
	return nil
}

// decode turns the data bytes into a C-order tensor.
func (h npyHeader) decode(data []byte) (*tensor.Tensor, error) {
	t, err := decodeTensor(data, h.kind, h.order, h.shape)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	if h.fortran && len(h.shape) > 1 {
		if t, err = fortranToC(t); err != nil {
			return nil, fmt.Errorf("npy: %w", err)
		}
	}
	return t, nil
}

// LoadNpy reads a NumPy .npy file. Only a regular file is read, and only
// after its header's declared size has been checked against the file's
// size and the Limits.
func LoadNpy(path string) (t *tensor.Tensor, err error) {
	defer recoverAsError(path+": npy", &err)
	l, err := limits()
	if err != nil {
		return nil, err
	}
	f, size, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	h, err := readNpyHeader(br)
	if err == nil {
		err = h.check(size-h.prefix, l)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data := make([]byte, h.dataBytes)
	if _, err := io.ReadFull(br, data); err != nil {
		return nil, fmt.Errorf("%s: npy data: %w", path, err)
	}
	if t, err = h.decode(data); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ReadNpy reads one .npy array from r, which must end with the array's
// data. Only the bytes the header declares (within the Limits) are read.
func ReadNpy(r io.Reader) (t *tensor.Tensor, err error) {
	defer recoverAsError("npy", &err)
	l, err := limits()
	if err != nil {
		return nil, err
	}
	h, err := readNpyHeader(r)
	if err != nil {
		return nil, err
	}
	if err := h.check(h.dataBytes, l); err != nil {
		return nil, err
	}
	data := make([]byte, h.dataBytes+1)
	n, err := io.ReadFull(r, data)
	if err != io.ErrUnexpectedEOF && err != nil && err != io.EOF {
		return nil, fmt.Errorf("npy: %w", err)
	}
	if err := h.check(int64(n), l); err != nil {
		return nil, err
	}
	return h.decode(data[:n])
}

// DecodeNpy decodes a whole .npy file held in memory. Supported element
// types are <f4, <f8 and <i8 (kept as is), <f2 (widened to float32) and
// <i4, <i2, |i1, <u4, <u2, |u1, <u8 and |b1 (widened to int64); big-endian
// variants are accepted too. Fortran-order arrays are transposed into C
// order. The data must be exactly as long as the header's shape says.
func DecodeNpy(data []byte) (t *tensor.Tensor, err error) {
	defer recoverAsError("npy", &err)
	l, err := limits()
	if err != nil {
		return nil, err
	}
	h, err := readNpyHeader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if err := h.check(int64(len(data))-h.prefix, l); err != nil {
		return nil, err
	}
	return h.decode(data[h.prefix:])
}

// fortranToC reinterprets column-major data read in storage order: the
// flat data is the C-order layout of the reversed shape, so reversing the
// axes back gives the array, which is then copied into C order.
func fortranToC(t *tensor.Tensor) (*tensor.Tensor, error) {
	shape := t.Shape()
	r := len(shape)
	rev := make([]int, r)
	for i := range shape {
		rev[i] = shape[r-1-i]
	}
	flat, err := t.Reshape(rev)
	if err != nil {
		return nil, err
	}
	perm := make([]int, r)
	for i := range perm {
		perm[i] = r - 1 - i
	}
	p, err := flat.Permute(perm)
	if err != nil {
		return nil, err
	}
	return p.Clone(), nil
}

// SaveNpy writes t to path as a .npy file (C order, little-endian).
func SaveNpy(path string, t *tensor.Tensor) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := WriteNpy(w, t); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteNpy writes t as a .npy array (C order, little-endian, dtype <f4,
// <f8 or <i8). The header is written here rather than by npyio, which
// derives shapes from Go array types and so mangles empty arrays and
// arrays of rank 63 and more (it writes them as dtype |V4). Arrays of
// more than numpy's 64 axes are refused.
func WriteNpy(w io.Writer, t *tensor.Tensor) error {
	shape := t.Shape()
	if len(shape) > maxNpyRank {
		return fmt.Errorf("npy: cannot write an array of %d axes; numpy reads at most %d", len(shape), maxNpyRank)
	}
	var descr string
	switch t.DType() {
	case tensor.Float32:
		descr = "<f4"
	case tensor.Float64:
		descr = "<f8"
	case tensor.Int64:
		descr = "<i8"
	default:
		return fmt.Errorf("npy: cannot write dtype %v", t.DType())
	}
	if err := writeNpyHeader(w, descr, shape); err != nil {
		return err
	}
	// a contiguous tensor is written from its own storage, not a copy
	switch t.DType() {
	case tensor.Float32:
		if d := t.Float32Data(); d != nil {
			return writeChunked(w, d)
		}
		return writeChunked(w, t.Float32s())
	case tensor.Float64:
		if d := t.Float64Data(); d != nil {
			return writeChunked(w, d)
		}
		return writeChunked(w, t.Float64s())
	}
	if d := t.Int64Data(); d != nil {
		return writeChunked(w, d)
	}
	return writeChunked(w, t.Int64s())
}

// writeChunked writes v little-endian through a bounded buffer, so a
// large tensor is not copied whole.
func writeChunked[T float32 | float64 | int64](w io.Writer, v []T) error {
	const chunk = 1 << 14
	var buf []byte
	for len(v) > 0 {
		m := min(len(v), chunk)
		var err error
		if buf, err = binary.Append(buf[:0], binary.LittleEndian, v[:m]); err != nil {
			return err
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		v = v[m:]
	}
	return nil
}

// writeNpyHeader writes the format's version 1.0 preamble and header
// dict, padded with spaces to a multiple of 64 bytes.
func writeNpyHeader(w io.Writer, descr string, shape []int) error {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tuple := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		tuple = "(" + dims[0] + ",)"
	}
	h := "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + tuple + ", }"
	pad := 64 - (10+len(h)+1)%64
	if pad == 64 {
		pad = 0
	}
	h += strings.Repeat(" ", pad) + "\n"
	if len(h) > math.MaxUint16 {
		return fmt.Errorf("npy: header of %d bytes is too long", len(h))
	}
	var pre [10]byte
	copy(pre[:], npy.Magic[:])
	pre[6], pre[7] = 1, 0
	binary.LittleEndian.PutUint16(pre[8:], uint16(len(h)))
	if _, err := w.Write(pre[:]); err != nil {
		return err
	}
	_, err := io.WriteString(w, h)
	return err
}
