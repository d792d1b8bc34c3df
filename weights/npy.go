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
	"reflect"
	"strings"
	"unsafe"

	"codeberg.org/sbinet/npyio/npy"
	"codeberg.org/sbinet/npyio/npy/float16"

	"github.com/circopt/circopt/tensor"
)

// LoadNpy reads a NumPy .npy file.
func LoadNpy(path string) (*tensor.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := DecodeNpy(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ReadNpy reads one .npy array from r (to its end).
func ReadNpy(r io.Reader) (*tensor.Tensor, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return DecodeNpy(data)
}

// DecodeNpy decodes a whole .npy file held in memory. Supported element
// types are <f4, <f8 and <i8 (kept as is), <f2 (widened to float32) and
// <i4, <i2, |i1, <u4, <u2, |u1, <u8 and |b1 (widened to int64); big-endian
// variants are accepted too. Fortran-order arrays are transposed into C
// order. The data must be exactly as long as the header's shape says.
func DecodeNpy(data []byte) (t *tensor.Tensor, err error) {
	defer recoverAsError("npy", &err)
	if err := checkNpyPreamble(data); err != nil {
		return nil, err
	}
	br := bytes.NewReader(data)
	rd, err := npy.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	descr := strings.Trim(rd.Header.Descr.Type, `'"`)
	shape := append([]int{}, rd.Header.Descr.Shape...)
	n, err := tensor.NumElements(shape)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	if len(descr) < 3 || !strings.ContainsRune("<>|=", rune(descr[0])) {
		return nil, fmt.Errorf("npy: unsupported dtype %q", descr)
	}
	esize := map[string]int{"f2": 2, "f4": 4, "f8": 8, "i1": 1, "i2": 2, "i4": 4, "i8": 8,
		"u1": 1, "u2": 2, "u4": 4, "u8": 8, "b1": 1}[descr[1:]]
	if esize == 0 {
		return nil, fmt.Errorf("npy: unsupported dtype %q (want a float, integer or bool type)", descr)
	}
	// Check the payload length before the decoder allocates anything
	// from the (untrusted) shape.
	if have, want := int64(br.Len()), int64(n)*int64(esize); have != want {
		return nil, fmt.Errorf("npy: shape %v of %s needs %d data bytes, file has %d", shape, descr, want, have)
	}
	t, err = readNpyData(rd, descr[1:], shape, n)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	if rd.Header.Descr.Fortran && len(shape) > 1 {
		t, err = fortranToC(t)
		if err != nil {
			return nil, fmt.Errorf("npy: %w", err)
		}
	}
	return t, nil
}

// checkNpyPreamble validates the magic string and the header length
// against the data, which npyio would otherwise trust when allocating.
func checkNpyPreamble(data []byte) error {
	if len(data) < 10 || !bytes.Equal(data[:6], npy.Magic[:]) {
		return fmt.Errorf("npy: not a NumPy .npy file (bad magic)")
	}
	var start, hlen int
	switch data[6] {
	case 1:
		start, hlen = 10, int(binary.LittleEndian.Uint16(data[8:10]))
	case 2:
		if len(data) < 12 {
			return fmt.Errorf("npy: truncated header")
		}
		start, hlen = 12, int(binary.LittleEndian.Uint32(data[8:12]))
	default:
		return fmt.Errorf("npy: unsupported format version %d.%d", data[6], data[7])
	}
	if hlen > len(data)-start {
		return fmt.Errorf("npy: header of %d bytes but only %d bytes follow", hlen, len(data)-start)
	}
	if hlen == 0 || data[start+hlen-1] != '\n' {
		return fmt.Errorf("npy: header is not terminated by a newline")
	}
	return nil
}

// readNpyData reads n elements of kind (e.g. "f4") through npyio and wraps
// them as a tensor of shape, widening types circopt does not hold.
func readNpyData(rd *npy.Reader, kind string, shape []int, n int) (*tensor.Tensor, error) {
	widen := func(n int, at func(i int) int64) (*tensor.Tensor, error) {
		out := make([]int64, n)
		for i := range out {
			out[i] = at(i)
		}
		return tensor.FromInt64(shape, out)
	}
	switch kind {
	case "f4":
		var v []float32
		if err := readInto(rd, &v, n); err != nil {
			return nil, err
		}
		return tensor.FromFloat32(shape, v)
	case "f8":
		var v []float64
		if err := readInto(rd, &v, n); err != nil {
			return nil, err
		}
		return tensor.FromFloat64(shape, v)
	case "i8":
		var v []int64
		if err := readInto(rd, &v, n); err != nil {
			return nil, err
		}
		return tensor.FromInt64(shape, v)
	case "f2":
		var v []float16.Num
		if err := readInto(rd, &v, n); err != nil {
			return nil, err
		}
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = x.Float32()
		}
		return tensor.FromFloat32(shape, out)
	case "i4":
		var v []int32
		if err := readInto(rd, &v, n); err != nil {
			return nil, err
		}
		return widen(len(v), func(i int) int64 { return int64(v[i]) })
	case "i2":
		var v []int16
		if err := readInto(rd, &v, n); err != nil {
			return nil, err
		}
		return widen(len(v), func(i int) int64 { return int64(v[i]) })
	case "i1":
		var v []int8
		if err := readInto(rd, &v, n); err != nil {
			return nil, err
		}
		return widen(len(v), func(i int) int64 { return int64(v[i]) })
	case "u1":
		var v []uint8
		if err := readInto(rd, &v, n); err != nil {
			return nil, err
		}
		return widen(len(v), func(i int) int64 { return int64(v[i]) })
	case "u2":
		var v []uint16
		if err := readInto(rd, &v, n); err != nil {
			return nil, err
		}
		return widen(len(v), func(i int) int64 { return int64(v[i]) })
	case "u4":
		var v []uint32
		if err := readInto(rd, &v, n); err != nil {
			return nil, err
		}
		return widen(len(v), func(i int) int64 { return int64(v[i]) })
	case "u8":
		var v []uint64
		if err := readInto(rd, &v, n); err != nil {
			return nil, err
		}
		for i, x := range v {
			if x > math.MaxInt64 {
				return nil, fmt.Errorf("uint64 element %d (%d) does not fit in int64", i, x)
			}
		}
		return widen(len(v), func(i int) int64 { return int64(v[i]) })
	case "b1":
		var v []bool
		if err := readInto(rd, &v, n); err != nil {
			return nil, err
		}
		return widen(len(v), func(i int) int64 {
			if v[i] {
				return 1
			}
			return 0
		})
	}
	return nil, fmt.Errorf("unsupported dtype kind %q", kind)
}

// readInto reads exactly n elements into *dst through npyio.
func readInto[T any](rd *npy.Reader, dst *[]T, n int) error {
	// npyio treats an empty destination as "allocate the header's count".
	*dst = make([]T, n)
	if n == 0 {
		return nil
	}
	if err := rd.Read(dst); err != nil {
		return err
	}
	if len(*dst) != n {
		return fmt.Errorf("read %d elements, want %d", len(*dst), n)
	}
	return nil
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
// <f8 or <i8). npyio derives the shape from the Go type it is given, so
// the data is handed over as a nested Go array of exactly t's shape.
func WriteNpy(w io.Writer, t *tensor.Tensor) (err error) {
	defer recoverAsError("npy write", &err)
	shape := t.Shape()
	var elem reflect.Type
	var descr string
	switch t.DType() {
	case tensor.Float32:
		elem, descr = reflect.TypeFor[float32](), "<f4"
	case tensor.Float64:
		elem, descr = reflect.TypeFor[float64](), "<f8"
	case tensor.Int64:
		elem, descr = reflect.TypeFor[int64](), "<i8"
	default:
		return fmt.Errorf("cannot write dtype %v", t.DType())
	}
	n := t.Size()
	if n == 0 {
		return writeEmptyNpy(w, descr, shape)
	}
	typ := elem
	for i := len(shape) - 1; i >= 0; i-- {
		typ = reflect.ArrayOf(shape[i], typ)
	}
	v := reflect.New(typ)
	// A nested Go array is laid out contiguously in C order.
	switch t.DType() {
	case tensor.Float32:
		copy(unsafe.Slice((*float32)(v.UnsafePointer()), n), t.Float32s())
	case tensor.Float64:
		copy(unsafe.Slice((*float64)(v.UnsafePointer()), n), t.Float64s())
	default:
		copy(unsafe.Slice((*int64)(v.UnsafePointer()), n), t.Int64s())
	}
	return npy.Write(w, v.Elem().Interface())
}

// writeEmptyNpy writes the header of a zero-element array. npyio cannot:
// it derives shapes from Go values and records an empty one as () or
// drops the axes after a zero-length one. The header is the format's
// version 1.0 dict, padded with spaces to a multiple of 64 bytes.
func writeEmptyNpy(w io.Writer, descr string, shape []int) error {
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
		return fmt.Errorf("header of %d bytes is too long", len(h))
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
