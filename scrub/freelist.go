package scrub

import (
	"sync"
	"unsafe"
)

// freeList keeps released buffers for the next scrub: a locked stack
// shared by every goroutine. sync.Pool keeps the last buffer a P put in a
// slot only that P can take back, and a scrub's goroutine moves between
// Ps as the kernels it waits on finish, so with two Ps the next scrub
// often missed its 1 MB index slab and allocated (and zeroed, and later
// collected) a fresh one. A list holds at most max buffers and maxBytes;
// a buffer put beyond that is left to the GC.
type freeList[T any] struct {
	mu       sync.Mutex
	bufs     [][]T
	bytes    int64
	max      int
	maxBytes int64
}

// get returns a buffer of n elements, garbage unless freshly made: the
// smallest kept one with room, else a new one.
func (f *freeList[T]) get(n int) []T {
	f.mu.Lock()
	best := -1
	for i, b := range f.bufs {
		if cap(b) >= n && (best < 0 || cap(b) < cap(f.bufs[best])) {
			best = i
		}
	}
	if best >= 0 {
		b := f.bufs[best]
		last := len(f.bufs) - 1
		f.bufs[best], f.bufs[last] = f.bufs[last], nil
		f.bufs = f.bufs[:last]
		f.bytes -= bufBytes(b)
		f.mu.Unlock()
		return b[:n]
	}
	f.mu.Unlock()
	return make([]T, n)
}

// put hands b back; its caller no longer uses it.
func (f *freeList[T]) put(b []T) {
	if cap(b) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bufs) >= f.max || f.bytes+bufBytes(b) > f.maxBytes {
		return
	}
	f.bufs = append(f.bufs, b)
	f.bytes += bufBytes(b)
}

func bufBytes[T any](b []T) int64 {
	var zero T
	return int64(cap(b)) * int64(unsafe.Sizeof(zero))
}
