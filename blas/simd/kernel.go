package simd

import "sync"

// float is the element type of a GEMM.
type float interface{ float32 | float64 }

// microKernel computes one mr×nr tile of C (row stride ldc):
//
//	C = alpha*Ap*Bp + (loadC ? beta*C : 0)
//
// where Ap is a packed mr×k micro-panel (k columns of mr elements) and Bp a
// packed k×nr micro-panel (k rows of nr elements). With loadC false, C is
// not read. k >= 1.
type microKernel[T float] func(k int, a, b, c []T, ldc int, alpha, beta T, loadC bool)

// stridedKernel is microKernel's variant for edge tiles and for operands
// read in place: it computes the same tile with the same k loop (so the
// same sums, bit for bit), but reads A element (i, p) at a[i*rs+p*ks] and
// B row p at b[p*bs:] (packed micro-panels have rs = 1, ks = mr, bs = nr;
// row-major A in place has rs = lda, ks = 1; B in place has bs = ldb), and
// loads and stores only the first rows rows and cols columns of C,
// straight into C: nothing past them is read or written. All the
// kernel's rows of A are read (those past rows are discarded), so A in place
// goes to kernels no taller than the rows it has (rowKernel, fitting). Columns of B past cols are read
// only by kernels that cannot mask them (bInPlace false).
type stridedKernel[T float] func(k int, a []T, rs, ks int, b []T, bs int, c []T, ldc int, alpha, beta T, loadC bool, rows, cols int)

// kernel is a micro-kernel with the blocking that suits it.
type kernel[T float] struct {
	isa    ISA
	mr, nr int // tile shape
	// kc is the depth of a packed slice; mc and nc the rows of a packed
	// A block and the columns of a packed B block (multiples of mr, nr).
	kc, mc, nc int
	fn         microKernel[T]
	// strided holds the strided kernels by height, tallest (mr rows)
	// first.
	strided []rowKernel[T]
	// bInPlace: edge and edge1 load B through the column mask, so B may be
	// read in place (nothing past its valid columns is touched).
	bInPlace bool
	t8       transposer[T] // for packB; nil: Go code
	// Pools of packing buffers: per goroutine for A blocks and edge
	// tiles, per call for the B block that all goroutines share.
	aPool, bPool sync.Pool
}

// workspace holds one goroutine's packed A block and, for serial GEMMs,
// its packed B block (one pool round trip per call, not two).
type workspace[T float] struct {
	ap, bp []T
}

func (kn *kernel[T]) getWorkspace() *workspace[T] {
	ws, ok := kn.aPool.Get().(*workspace[T])
	if !ok {
		ws = new(workspace[T])
	}
	// Sized on every take so that a change of blocking (the tuning
	// benchmark makes some) can never leave a short buffer in the pool.
	ws.ap = grow(ws.ap, kn.mc*kn.kc)
	return ws
}

func (kn *kernel[T]) putWorkspace(ws *workspace[T]) { kn.aPool.Put(ws) }

// bBlock holds a packed B block.
type bBlock[T float] struct{ bp []T }

// getBBlock returns a buffer of at least n elements.
func (kn *kernel[T]) getBBlock(n int) *bBlock[T] {
	bb, ok := kn.bPool.Get().(*bBlock[T])
	if !ok {
		bb = new(bBlock[T])
	}
	bb.bp = grow(bb.bp, n)
	return bb
}

func (kn *kernel[T]) putBBlock(bb *bBlock[T]) { kn.bPool.Put(bb) }

func grow[T float](s []T, n int) []T {
	if len(s) < n {
		return make([]T, n)
	}
	return s
}

// kernels32 and kernels64 hold the kernels this build has, by ISA; the
// assembly ones are added by init in kernels_amd64.go.
var (
	kernels32 = map[ISA]*kernel[float32]{
		Generic: {isa: Generic, mr: 4, nr: 4, kc: 256, mc: 128, nc: 1024, fn: genericKernel[float32],
			strided: []rowKernel[float32]{{4, genericStrided[float32], genericStrided[float32]}}},
	}
	kernels64 = map[ISA]*kernel[float64]{
		Generic: {isa: Generic, mr: 4, nr: 4, kc: 256, mc: 128, nc: 1024, fn: genericKernel[float64],
			strided: []rowKernel[float64]{{4, genericStrided[float64], genericStrided[float64]}}},
	}
)

// rowKernel is the strided kernel of one height: two computes both
// vectors of a row, one only the first (for tiles with at most nr/2 valid
// columns: half the work).
type rowKernel[T float] struct {
	rows     int
	two, one stridedKernel[T]
}

func (r *rowKernel[T]) run(nr, k int, a []T, rs, ks int, b []T, bs int, c []T, ldc int, alpha, beta T, loadC bool, rows, cols int) {
	if 2*cols <= nr {
		r.one(k, a, rs, ks, b, bs, c, ldc, alpha, beta, loadC, rows, cols)
		return
	}
	r.two(k, a, rs, ks, b, bs, c, ldc, alpha, beta, loadC, rows, cols)
}

// tile runs the lowest strided kernel that covers rows (it reads that
// kernel's height of A, so A must have it: a packed panel has mr rows).
// The arguments are stridedKernel's.
func (kn *kernel[T]) tile(k int, a []T, rs, ks int, b []T, bs int, c []T, ldc int, alpha, beta T, loadC bool, rows, cols int) {
	r := &kn.strided[0]
	for i := len(kn.strided) - 1; i > 0; i-- {
		if kn.strided[i].rows >= rows {
			r = &kn.strided[i]
			break
		}
	}
	r.run(kn.nr, k, a, rs, ks, b, bs, c, ldc, alpha, beta, loadC, rows, cols)
}

// fitting is the tallest strided kernel of at most rows rows, or nil: A
// read in place has only rows rows left.
func (kn *kernel[T]) fitting(rows int) *rowKernel[T] {
	for i := range kn.strided {
		if kn.strided[i].rows <= rows {
			return &kn.strided[i]
		}
	}
	return nil
}
