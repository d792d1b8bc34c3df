package weights

import (
	"archive/zip"
	"fmt"
	"io"
)

// maxDeflateRatio bounds how much a deflated zip entry may expand: DEFLATE
// cannot exceed about 1032:1, so a larger declared size is a lie.
const maxDeflateRatio = 1100

// readZipEntry reads a whole zip member after checking its declared sizes
// against the archive, so a hostile header cannot make us allocate more
// than the archive could really hold. archive/zip itself checks the CRC
// and that the data matches the declared uncompressed size.
func readZipEntry(f *zip.File, archiveSize int64) ([]byte, error) {
	csize, usize := f.CompressedSize64, f.UncompressedSize64
	if csize > uint64(archiveSize) {
		return nil, fmt.Errorf("zip entry %s: compressed size %d exceeds archive size %d", f.Name, csize, archiveSize)
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
	default:
		return nil, fmt.Errorf("zip entry %s: unsupported compression method %d", f.Name, f.Method)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", f.Name, err)
	}
	defer rc.Close()
	var buf []byte
	if f.Method == zip.Store {
		// A stored entry's size is bounded by the archive's real size
		// (checked above), so allocating it up front is safe and avoids
		// the copies of a growing buffer for large storages.
		buf = make([]byte, usize)
		_, err = io.ReadFull(rc, buf)
	} else {
		// Grow with the data actually decompressed rather than trusting
		// the declared size.
		buf, err = io.ReadAll(io.LimitReader(rc, int64(min(usize, 1<<62))+1))
	}
	if err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", f.Name, err)
	}
	if uint64(len(buf)) != usize {
		return nil, fmt.Errorf("zip entry %s: holds %d bytes, header says %d", f.Name, len(buf), usize)
	}
	// Reading to EOF makes archive/zip verify the checksum.
	var one [1]byte
	if n, err := rc.Read(one[:]); n != 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			err = fmt.Errorf("longer than its declared %d bytes", usize)
		}
		return nil, fmt.Errorf("zip entry %s: %w", f.Name, err)
	}
	return buf, nil
}
