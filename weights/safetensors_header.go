package weights

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/nlpodyssey/safetensors"

	"github.com/circopt/circopt/tensor"
)

// maxSafetensorsHeader is the format's own bound on the JSON header.
const maxSafetensorsHeader = 100_000_000

// checkSafetensorsHeader reads only the header of a safetensors file of
// size bytes from r and checks what it declares against the file and the
// limits: the data section must end exactly at the end of the file, and
// every tensor (after widening) and their total must fit the limits. The
// whole file is then read and fully validated by the library.
func checkSafetensorsHeader(r io.Reader, size int64, l Limits) error {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return fmt.Errorf("safetensors: header too small")
	}
	n := binary.LittleEndian.Uint64(pre[:])
	if n > maxSafetensorsHeader || n > uint64(size-8) {
		return fmt.Errorf("safetensors: header of %d bytes does not fit a %d-byte file", n, size)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return fmt.Errorf("safetensors: header: %w", err)
	}
	var m safetensors.Metadata
	if err := json.Unmarshal(hdr, &m); err != nil {
		return fmt.Errorf("safetensors: invalid header: %w", err)
	}
	var end uint64
	var total int64
	infos := m.Tensors()
	names := make([]string, 0, len(infos))
	for name := range infos {
		names = append(names, name)
	}
	slices.Sort(names) // deterministic error reporting
	for _, name := range names {
		info := infos[name]
		k, ok := safetensorKinds[info.DType]
		if !ok {
			return fmt.Errorf("safetensors: tensor %s: unsupported dtype %v", name, info.DType)
		}
		shape := make([]int, len(info.Shape))
		for i, d := range info.Shape {
			if d > uint64(tensor.MaxElements) {
				return fmt.Errorf("safetensors: tensor %s: dimension %d too large: %w", name, d, ErrTooLarge)
			}
			shape[i] = int(d)
		}
		count, err := numElements(shape)
		if err != nil {
			return fmt.Errorf("safetensors: tensor %s: %w", name, err)
		}
		if err := l.checkTensorBytes("safetensors: tensor "+name, count, k.dtype().Size()); err != nil {
			return err
		}
		total += int64(count * k.dtype().Size())
		if err := l.checkFileBytes("safetensors: tensors in total", total); err != nil {
			return err
		}
		end = max(end, info.DataOffsets[1])
	}
	if have := uint64(size) - 8 - n; end != have {
		return fmt.Errorf("safetensors: header declares %d data bytes, file has %d", end, have)
	}
	return nil
}
