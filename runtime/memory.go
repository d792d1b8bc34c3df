package runtime

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/circopt/circopt/blas"

	"github.com/circopt/circopt/tensor"
)

// storage is one backing allocation. Values (and the views of them) hold
// references; when the last one goes, the executor takes the bytes off its
// live count and, for buffers it allocated, returns them to the pool for the
// next value of the same element count.
type storage struct {
	dt    tensor.DType
	f32   []float32
	f64   []float64
	i64   []int64
	n     int   // elements
	bytes int64 // counted against the live total while referenced
	refs  int
	owned bool // allocated by the executor: recyclable
	kept  bool // reachable from an output: never recycled
}

func newStorage(dt tensor.DType, n int) *storage {
	st := &storage{dt: dt, n: n, bytes: int64(n) * int64(dt.Size()), owned: true}
	switch dt {
	case tensor.Float32:
		st.f32 = make([]float32, n)
	case tensor.Float64:
		st.f64 = make([]float64, n)
	default:
		st.i64 = make([]int64, n)
	}
	return st
}

type poolKey struct {
	dt tensor.DType
	n  int
}

// execState is one run's memory: the pool of free buffers and the live and
// peak byte counts. Workers allocate scratch through it, so it is locked.
// It also carries what every kernel of the run reads: the context that
// stops it and the BLAS it calls (never gonum's global).
type execState struct {
	ctx       context.Context
	blas      blas.Backend
	mu        sync.Mutex
	free      map[poolKey][]*storage
	live      int64 // bytes of referenced storage (inputs, constants, results, scratch)
	peak      int64
	allocated int64 // bytes obtained from the Go heap (pool misses)
	reused    int64 // bytes served from the pool
	held      int64 // bytes of the distinct buffers the run took (heap or shared pool)
}

func newExecState(ctx context.Context, b blas.Backend) *execState {
	return &execState{ctx: ctx, blas: b, free: map[poolKey][]*storage{}}
}

// alloc returns a buffer of n elements (dirty when reused), counted live
// with one reference.
func (x *execState) alloc(dt tensor.DType, n int) *storage {
	x.mu.Lock()
	defer x.mu.Unlock()
	k := poolKey{dt, n}
	var st *storage
	if fs := x.free[k]; len(fs) > 0 {
		st = fs[len(fs)-1]
		x.free[k] = fs[:len(fs)-1]
		x.reused += st.bytes
	} else if st = global.take(k); st != nil {
		x.reused += st.bytes
		x.held += st.bytes
	} else {
		x.mu.Unlock()
		st = newStorage(dt, n) // allocate outside the lock: large makes zero memory
		x.mu.Lock()
		x.allocated += st.bytes
		x.held += st.bytes
	}
	st.refs = 1
	x.addLocked(st.bytes)
	return st
}

// scratch is alloc for a kernel's temporary; release it when done.
func (x *execState) scratch(dt tensor.DType, n int) *storage { return x.alloc(dt, n) }

// external counts storage the executor does not own (inputs, constants,
// fallback kernel results) while referenced.
func (x *execState) external(bytes int64, owned bool) *storage {
	x.mu.Lock()
	defer x.mu.Unlock()
	st := &storage{bytes: bytes, refs: 1, owned: owned}
	x.addLocked(bytes)
	return st
}

func (x *execState) addLocked(b int64) {
	x.live += b
	x.peak = max(x.peak, x.live)
}

// retain adds a reference (a view made of st).
func (x *execState) retain(st *storage) {
	if st == nil {
		return
	}
	x.mu.Lock()
	st.refs++
	x.mu.Unlock()
}

// release drops a reference; the last one frees the bytes.
func (x *execState) release(st *storage) {
	if st == nil {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	st.refs--
	if st.refs > 0 {
		return
	}
	x.live -= st.bytes
	if st.owned && !st.kept && st.n > 0 && (st.f32 != nil || st.f64 != nil || st.i64 != nil) {
		k := poolKey{st.dt, st.n}
		x.free[k] = append(x.free[k], st)
	}
}

func zeroFill(a *arr) {
	switch a.dt {
	case tensor.Float32:
		clear(a.f32[a.off : a.off+a.size()])
	case tensor.Float64:
		clear(a.f64[a.off : a.off+a.size()])
	default:
		clear(a.i64[a.off : a.off+a.size()])
	}
}

// sharedPool keeps buffers freed at the end of runs for later runs of the
// same (or another) program, so a plan run in a loop does not ask the Go
// heap (which zeroes them, and on a fresh page faults) for its
// intermediates every time. It keeps as many bytes as the largest set of
// buffers one run took (at least sharedPoolMin): a run reuses a buffer
// only for a value of the same element count, so it holds more distinct
// buffers than its peak of live bytes, and a pool capped at the peak
// dropped the rest, to be faulted in again by the next run (day 4b's scrub:
// 2.0 GB of buffers for a 1.3 GB peak; capped at the peak, 0.8 GB and
// 70,000-230,000 page faults a run, and 2.0-2.4 s, after the first).
// A run's buffers displace those no run has taken since (another
// program's sizes). FreeBuffers empties it.
type sharedPool struct {
	mu      sync.Mutex
	free    map[poolKey][]*storage
	bytes   int64
	maxHeld int64 // the largest buffer set of a run that donated
}

// sharedPoolMin is the least the shared pool keeps (a variable for tests).
var sharedPoolMin int64 = 512 << 20

var global = &sharedPool{free: map[poolKey][]*storage{}}

// FreeBuffers drops the buffers the executor keeps between runs for reuse
// (up to the largest run's buffer set), so the Go heap can reclaim them.
func FreeBuffers() {
	global.mu.Lock()
	defer global.mu.Unlock()
	global.free = map[poolKey][]*storage{}
	global.bytes, global.maxHeld = 0, 0
}

func comparePoolKeys(a, b poolKey) int {
	if a.dt != b.dt {
		return int(a.dt) - int(b.dt)
	}
	return a.n - b.n
}

func (g *sharedPool) take(k poolKey) *storage {
	g.mu.Lock()
	defer g.mu.Unlock()
	fs := g.free[k]
	if len(fs) == 0 {
		return nil
	}
	st := fs[len(fs)-1]
	g.free[k] = fs[:len(fs)-1]
	g.bytes -= st.bytes
	return st
}

// donate hands a finished run's free buffers to the shared pool.
func (x *execState) donate() {
	x.mu.Lock()
	defer x.mu.Unlock()
	global.mu.Lock()
	defer global.mu.Unlock()
	global.maxHeld = max(global.maxHeld, x.held)
	limit := max(sharedPoolMin, global.maxHeld)
	// Make room by dropping what the pool held that this run did not take
	// (another program's sizes): the next run is likelier to be this one.
	var incoming int64
	for _, fs := range x.free {
		for _, st := range fs {
			incoming += st.bytes
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(global.free), comparePoolKeys) {
		for global.bytes+incoming > limit && len(global.free[k]) > 0 {
			fs := global.free[k]
			global.bytes -= fs[len(fs)-1].bytes
			global.free[k] = fs[:len(fs)-1]
		}
	}
	for k, fs := range x.free {
		for _, st := range fs {
			if global.bytes+st.bytes > limit {
				return
			}
			st.refs = 0
			global.free[k] = append(global.free[k], st)
			global.bytes += st.bytes
		}
	}
	x.free = nil
}
