package weights

import (
	"archive/zip"
	"cmp"
	"fmt"
	"io"
	"slices"
)

// maxDeflateRatio bounds how much a deflated zip entry may expand: DEFLATE
// cannot exceed about 1032:1, so a larger declared size is a lie.
const maxDeflateRatio = 1100

// openZipEntry opens a zip member after checking its declared sizes
// against the archive and the limits, so a hostile header cannot make us
// inflate or allocate more than allowed. Read through the result, the
// member yields at most its declared size.
func openZipEntry(f *zip.File, archiveSize int64, l Limits) (io.ReadCloser, error) {
	csize, usize := f.CompressedSize64, f.UncompressedSize64
	if csize > uint64(archiveSize) {
		return nil, fmt.Errorf("zip entry %s: compressed size %d exceeds archive size %d", f.Name, csize, archiveSize)
	}
	if usize > uint64(l.MaxFileBytes) {
		return nil, l.checkFileBytes("zip entry "+f.Name, int64(min(usize, 1<<62)))
	}
	switch f.Method {
	case zip.Store:
		if usize != csize {
			return nil, fmt.Errorf("zip entry %s: stored entry has sizes %d and %d", f.Name, csize, usize)
		}
	case zip.Deflate:
		if usize/maxDeflateRatio > csize {
			return nil, fmt.Errorf("zip entry %s: uncompressed size %d is implausible for %d compressed bytes", f.Name, usize, csize)
		}
		if err := l.checkInflate("zip entry "+f.Name, csize, usize); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("zip entry %s: unsupported compression method %d", f.Name, f.Method)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", f.Name, err)
	}
	return rc, nil
}

// readZipEntry reads a whole zip member (see openZipEntry). archive/zip
// checks the CRC and that the data matches the declared uncompressed size.
func readZipEntry(f *zip.File, archiveSize int64, l Limits) ([]byte, error) {
	rc, err := openZipEntry(f, archiveSize, l)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf []byte
	if f.Method == zip.Store {
		// A stored entry's size is bounded by the archive's real size and
		// the limits (checked above), so allocating it up front is safe.
		buf = make([]byte, f.UncompressedSize64)
		_, err = io.ReadFull(rc, buf)
	} else {
		buf, err = readDeclared(rc, int64(f.UncompressedSize64))
	}
	if err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", f.Name, err)
	}
	if err := expectZipEOF(f, rc); err != nil {
		return nil, err
	}
	return buf, nil
}

// expectZipEOF checks the member ends where declared; reading to EOF
// makes archive/zip verify the checksum.
func expectZipEOF(f *zip.File, rc io.Reader) error {
	var one [1]byte
	if n, err := rc.Read(one[:]); n != 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			err = fmt.Errorf("longer than its declared %d bytes", f.UncompressedSize64)
		}
		return fmt.Errorf("zip entry %s: %w", f.Name, err)
	}
	return nil
}

// checkZipLayout refuses an archive whose members' data overlap. Pointing
// many directory entries at one compressed stream makes a small file
// inflate without bound ("overlapping zip bomb"); zip writers never
// share data between members.
func checkZipLayout(files []*zip.File) error {
	type span struct {
		name       string
		start, end int64
	}
	spans := make([]span, 0, len(files))
	for _, f := range files {
		off, err := f.DataOffset()
		if err != nil {
			return fmt.Errorf("zip entry %s: %w", f.Name, err)
		}
		spans = append(spans, span{f.Name, off, off + int64(min(f.CompressedSize64, 1<<62))})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return fmt.Errorf("zip entries %s and %s overlap (a zip bomb?)", spans[i-1].name, spans[i].name)
		}
	}
	return nil
}

// readDeclared reads exactly n bytes from a decompressing reader. The
// buffer grows with the data actually produced, so a small compressed
// stream that declares a large size cannot make us allocate it.
func readDeclared(r io.Reader, n int64) ([]byte, error) {
	const step = 16 << 20
	buf := make([]byte, 0, min(n, step))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(n, 2*int64(cap(buf))))-len(buf))
		}
		m, err := io.ReadFull(r, buf[len(buf):min(int64(cap(buf)), n)])
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, fmt.Errorf("%d of %d declared bytes: %w", len(buf), n, err)
		}
	}
	return buf, nil
}
