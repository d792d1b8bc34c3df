package simd

import (
	"runtime"
	"sync/atomic"
	"unsafe"

	"github.com/circopt/circopt/internal/gang"
)

// parallelMinFlops is the smallest m·n·k worth splitting across
// goroutines: below it, starting them costs more than the work saved.
const parallelMinFlops = 48 * 48 * 48

// chunksPerThread is how many pieces of work each goroutine should get on
// average. Pieces are handed out on demand, so a goroutine whose core is
// busy with another process (the machine is shared) takes fewer of them.
const chunksPerThread = 3

// packedBBytes bounds the B block that parallelRows packs and shares: a
// quarter of this machine's 32 MiB L3, which it shares with other work.
// A variable so that tests can force many column blocks.
var packedBBytes = 8 << 20

// problem is one checked GEMM, C = alpha*op(A)*op(B) + beta*C, with m, n,
// k > 0 and alpha != 0. Sub-problems share A, B and C, offset in place.
type problem[T float] struct {
	kn             *kernel[T]
	aTrans, bTrans bool
	m, n, k        int
	alpha, beta    T
	a, b, c        []T
	lda, ldb, ldc  int
}

// gemm runs p on up to GOMAXPROCS goroutines. When M has tiles to spare,
// the goroutines take row blocks from a counter and share one packed B
// (parallelRows). Otherwise (few rows, many columns) column ranges are
// handed out, each a whole serial GEMM (parallelColumns). Small problems
// run serially.
func gemm[T float](p problem[T]) {
	threads := 1
	if p.m*p.n*p.k >= parallelMinFlops {
		threads = runtime.GOMAXPROCS(0) // takes a lock: not for small calls
	}
	tilesM := ceilDiv(p.m, p.kn.mr)
	tilesN := ceilDiv(p.n, p.kn.nr)
	switch {
	case threads > 1 && tilesM >= 2*threads:
		p.parallelRows(threads)
	case threads > 1 && tilesN >= 2:
		p.parallelColumns(threads, tilesN)
	default:
		p.serial()
	}
}

// directBBytes bounds the packed B slice (kc × n, all the column panels)
// of a product whose row-major op(A) is read in place rather than packed.
// In place, each row tile of A is read once from memory and then by every
// column panel from L1, while the B slice is re-read from L2 for every row
// tile; packing A instead reads it, writes it and reads it again. Measured
// with one thread on the Zen 5 (BenchmarkDirectA, float32, 14×32 tiles):
// in place was 1.2–3.5x faster up to 512 KiB (41,888×512×256: 207 against
// 172 GFLOP/s; 4,200×128×1,024: 186 against 115), even at 4,200×256×1,024
// and slower beyond (4,200×512×1,024, 1 MiB: 130 against 176). Half the
// 1 MiB L2, so the slice stays there.
var directBBytes = 512 << 10

// direct reports whether p reads A in place.
func (p problem[T]) direct() bool {
	kn := p.kn
	slice := min(p.k, kn.kc) * ceilDiv(min(p.n, kn.nc), kn.nr) * kn.nr * int(unsafe.Sizeof(T(0)))
	return !p.aTrans && slice <= directBBytes
}

// inPlaceBBytes bounds the B (k rows at stride ldb) that a serial GEMM
// whose A is read in place also reads in place, unpacked; products of at
// most inPlaceBTiles row tiles read B in place whatever its size, as
// packing it is paid back over too few rows. Measured with one thread
// (BenchmarkInPlaceB, AVX-512 float32): in place was 1.2–1.8x faster for
// 8 and 42 rows at every size tried (to 42×56×512, 115 KiB), even at 4,200
// rows up to 28 KiB, and 15% slower at 4,200×28×512 (57 KiB).
var (
	inPlaceBBytes = 32 << 10
	inPlaceBTiles = 4
)

// inPlaceB reports whether p, with A in place, reads a non-transposed B in
// place too; only kernels that mask their B loads can.
func (p problem[T]) inPlaceB() bool {
	small := p.m <= inPlaceBTiles*p.kn.mr || p.k*p.ldb*int(unsafe.Sizeof(T(0))) <= inPlaceBBytes
	return p.kn.bInPlace && !p.bTrans && small
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// forEach runs f(0..n-1), each index once, handed out on demand: on the
// caller alone when threads is 1, else on the caller and internal/gang's
// helpers, which stay awake between loops, so a GEMM's split does not
// wait for a parked thread to wake (and is not queued behind a helper
// spinning for the previous kernel's split).
func forEach(threads, n int, f func(i int)) {
	if threads <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	gang.For(n, f)
}

// parallelRows splits the rows of C into blocks that goroutines take
// on demand; each block runs the whole k loop, so no two goroutines ever
// write the same part of C. B is packed once for all of them, a whole
// column block of it (every kc slice) at a time, and lazily: the first
// goroutine to need a micro-panel packs it while the others, finding it
// claimed, wait for it or (usually) are busy on the panel before. So the
// goroutines meet only once per column block, at the join, instead of at
// a barrier per kc slice; on a machine shared with other processes, where
// any goroutine may stall, each of those meetings is costly.
func (p problem[T]) parallelRows(threads int) {
	kn := p.kn
	// Rows: blocks of whole tiles, at most mc rows, several per goroutine
	// and a multiple of the goroutine count, with sizes differing by at
	// most a tile, so that the last ones to finish finish together.
	tiles := ceilDiv(p.m, kn.mr)
	blocks := max(threads*chunksPerThread, ceilDiv(tiles, kn.mc/kn.mr))
	blocks = min(tiles, ceilDiv(blocks, threads)*threads)
	// Columns: as many as keep the packed block (all of k by ncb) within
	// packedBBytes, a share of L3.
	budget := packedBBytes / int(unsafe.Sizeof(T(0)))
	ncb := max(kn.nr, min(ceilDiv(p.n, kn.nr)*kn.nr, budget/p.k/kn.nr*kn.nr))
	slices := ceilDiv(p.k, kn.kc)
	panels := ncb / kn.nr
	bb := kn.getBBlock(p.k * ncb)
	defer kn.putBBlock(bb)
	bp := bb.bp
	state := make([]atomic.Int32, slices*panels)
	direct := p.direct()
	for jc := 0; jc < p.n; jc += ncb {
		nc := min(ncb, p.n-jc)
		for i := range state {
			state[i].Store(panelEmpty)
		}
		lazy := lazyB[T]{p: &p, bp: bp, state: state, panels: panels, ncb: ncb, jc: jc, nc: nc}
		forEach(threads, blocks, func(i int) {
			ws := kn.getWorkspace()
			defer kn.putWorkspace(ws)
			ic := i * tiles / blocks * kn.mr
			rows := min((i+1)*tiles/blocks*kn.mr, p.m) - ic
			for pc := 0; pc < p.k; pc += kn.kc {
				kc := min(kn.kc, p.k-pc)
				if direct {
					p.directKernel(ws, bOperand[T]{bp[pc*ncb:], kc, kn.nr}, ic, rows, jc, nc, pc, kc, lazy.ready(pc, kc))
					continue
				}
				packA(ws.ap, p.aTrans, p.a, p.lda, ic, rows, pc, kc, kn.mr)
				p.macroKernel(ws, bp[pc*ncb:], ic, rows, jc, nc, pc == 0, kc, lazy.ready(pc, kc))
			}
		})
	}
}

// Micro-panel states in lazyB.
const (
	panelEmpty int32 = iota
	panelPacking
	panelReady
)

// lazyB is a packed B column block filled on demand: micro-panel j of the
// kc slice at pc is bp[pc*ncb + j*nr*kc:], packed by whichever goroutine
// asks for it first.
type lazyB[T float] struct {
	p      *problem[T]
	bp     []T
	state  []atomic.Int32
	panels int
	ncb    int
	jc, nc int
}

// ready returns the hook macroKernel calls before using micro-panel
// jr/nr of the kc slice at pc.
func (l *lazyB[T]) ready(pc, kc int) func(jr int) {
	p, nr := l.p, l.p.kn.nr
	base := pc / p.kn.kc * l.panels
	return func(jr int) {
		st := &l.state[base+jr/nr]
		if st.Load() == panelReady {
			return
		}
		if st.CompareAndSwap(panelEmpty, panelPacking) {
			cols := min(nr, l.nc-jr)
			packB(l.bp[pc*l.ncb+jr*kc:], p.bTrans, p.b, p.ldb, pc, kc, l.jc+jr, cols, nr, p.kn.t8)
			st.Store(panelReady)
			return
		}
		// Another goroutine is packing it: one panel's copy, so short.
		for st.Load() != panelReady {
			runtime.Gosched()
		}
	}
}

// parallelColumns hands out column ranges, each a serial GEMM; A, which
// has few rows here, is packed once per range.
func (p problem[T]) parallelColumns(threads, tilesN int) {
	pieces := min(tilesN, threads*chunksPerThread)
	forEach(threads, pieces, func(i int) {
		lo, hi := i*tilesN/pieces, (i+1)*tilesN/pieces
		c0, c1 := lo*p.kn.nr, min(hi*p.kn.nr, p.n)
		q := p
		q.n = c1 - c0
		if p.bTrans {
			q.b = p.b[c0*p.ldb:]
		} else {
			q.b = p.b[c0:]
		}
		q.c = p.c[c0:]
		q.serial()
	})
}

// serial is the BLIS loop nest on one goroutine: columns of C in nc
// blocks, the inner dimension in kc slices (B block packed once per
// slice), rows in mc blocks (A block packed once per block, unless A is
// read in place).
func (p problem[T]) serial() {
	ws := p.kn.getWorkspace()
	defer p.kn.putWorkspace(ws)
	p.serialIn(ws, p.readModes(ws))
}

// readModes decides how serial reads A and B (in place or packed) and
// sizes ws's packed B block; they depend only on the shape, so a batch of
// same-shaped GEMMs decides once (gemmBatched).
func (p problem[T]) readModes(ws *workspace[T]) (modes readModes) {
	kn := p.kn
	ncb := min(kn.nc, ceilDiv(p.n, kn.nr)*kn.nr)
	ws.bp = grow(ws.bp, min(kn.kc, p.k)*ncb)
	modes.direct = p.direct()
	modes.inPlaceB = modes.direct && p.inPlaceB()
	return modes
}

// readModes says whether serial reads A in place (direct) and B too.
type readModes struct{ direct, inPlaceB bool }

// serialIn is serial with its workspace and read modes given.
func (p problem[T]) serialIn(ws *workspace[T], modes readModes) {
	kn := p.kn
	direct, inPlaceB := modes.direct, modes.inPlaceB
	for jc := 0; jc < p.n; jc += kn.nc {
		nc := min(kn.nc, p.n-jc)
		for pc := 0; pc < p.k; pc += kn.kc {
			kc := min(kn.kc, p.k-pc)
			if inPlaceB {
				p.directKernel(ws, bOperand[T]{p.b[pc*p.ldb+jc:], 1, p.ldb}, 0, p.m, jc, nc, pc, kc, nil)
				continue
			}
			packB(ws.bp, p.bTrans, p.b, p.ldb, pc, kc, jc, nc, kn.nr, kn.t8)
			if direct {
				p.directKernel(ws, bOperand[T]{ws.bp, kc, kn.nr}, 0, p.m, jc, nc, pc, kc, nil)
				continue
			}
			for ic := 0; ic < p.m; ic += kn.mc {
				rows := min(kn.mc, p.m-ic)
				packA(ws.ap, p.aTrans, p.a, p.lda, ic, rows, pc, kc, kn.mr)
				p.macroKernel(ws, ws.bp, ic, rows, jc, nc, pc == 0, kc, nil)
			}
		}
	}
}

// macroKernel multiplies the packed A block (rows × kc, at row ic) by the
// packed B block (kc × nc, at column jc) into C, tile by tile. The first
// kc slice applies beta; later ones accumulate. Edge tiles go to the
// strided kernel, which stores only their valid rows and columns.
func (p problem[T]) macroKernel(ws *workspace[T], bp []T, ic, rows, jc, nc int, first bool, kc int, ready func(jr int)) {
	kn := p.kn
	mr, nr := kn.mr, kn.nr
	beta, loadC := p.sliceBeta(first)
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		if ready != nil {
			ready(jr)
		}
		bpan := bp[jr*kc:]
		for ir := 0; ir < rows; ir += mr {
			tr := min(mr, rows-ir)
			apan := ws.ap[ir*kc:]
			off := (ic+ir)*p.ldc + jc + jr
			if tr == mr && cols == nr {
				kn.fn(kc, apan, bpan, p.c[off:], p.ldc, p.alpha, beta, loadC)
				continue
			}
			kn.tile(kc, apan, 1, mr, bpan, nr, p.c[off:], p.ldc, p.alpha, beta, loadC, tr, cols)
		}
	}
}

// sliceBeta is the beta of the kc slice: p.beta for the first, which
// loads C only if beta != 0, and 1 for the rest, which accumulate.
func (p problem[T]) sliceBeta(first bool) (beta T, loadC bool) {
	if first {
		return p.beta, p.beta != 0
	}
	return 1, true
}

// bOperand is where a kernel finds the B panel of columns jr..jr+nr of a
// kc slice: at b[jr*panel:], row p at b[jr*panel+p*bs:]. Packed B has
// panel = kc, bs = nr; B read in place has panel = 1, bs = ldb.
type bOperand[T float] struct {
	b         []T
	panel, bs int
}

func (o bOperand[T]) at(jr int) []T { return o.b[jr*o.panel:] }

// directKernel is macroKernel for a row-major op(A) read in place: rows
// rows of A from row ic, the kc slice at pc, times the B block. Each row
// tile of A is read by all the column panels in turn while it is in L1, so
// A streams from memory once. A last partial row tile is covered by the
// shorter kernels, tallest first (13 rows: 8, 4 and 1), reading only rows
// that exist; what none fits (the generic kernel has one height) is packed.
func (p problem[T]) directKernel(ws *workspace[T], b bOperand[T], ic, rows, jc, nc, pc, kc int, ready func(jr int)) {
	kn := p.kn
	nr := kn.nr
	beta, loadC := p.sliceBeta(pc == 0)
	if ready != nil {
		for jr := 0; jr < nc; jr += nr {
			ready(jr)
		}
	}
	ir := 0
	for ir < rows {
		rk := kn.fitting(rows - ir)
		if rk == nil {
			break
		}
		a := p.a[(ic+ir)*p.lda+pc:]
		for jr := 0; jr < nc; jr += nr {
			off := (ic+ir)*p.ldc + jc + jr
			rk.run(nr, kc, a, p.lda, 1, b.at(jr), b.bs, p.c[off:], p.ldc, p.alpha, beta, loadC, rk.rows, min(nr, nc-jr))
		}
		ir += rk.rows
	}
	if ir == rows {
		return
	}
	packA(ws.ap, false, p.a, p.lda, ic+ir, rows-ir, pc, kc, kn.mr)
	for jr := 0; jr < nc; jr += nr {
		off := (ic+ir)*p.ldc + jc + jr
		kn.tile(kc, ws.ap, 1, kn.mr, b.at(jr), b.bs, p.c[off:], p.ldc, p.alpha, beta, loadC, rows-ir, min(nr, nc-jr))
	}
}

// scaleC sets C = beta*C for the m×n matrix C, writing zeros without
// reading C when beta == 0.
func scaleC[T float](m, n int, beta T, c []T, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(ci)
			continue
		}
		for j := range ci {
			ci[j] *= beta
		}
	}
}
