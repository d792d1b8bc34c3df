// Package gang runs a split loop on the calling goroutine and a pool of
// helper goroutines that stay awake between loops, as OpenMP's threads do.
//
// Why: a goroutine started for a split (sync.WaitGroup.Go) runs on an idle
// P only once its parked OS thread has been woken, and on the 2-vCPU KVM
// machine circopt is measured on that takes about 100 µs — longer than
// most kernels a scrub or a small plan runs. A helper that spins for a
// while after its last chunk picks the next loop up in well under a
// microsecond, so splits of tens of microseconds pay off.
//
// Invariants:
//   - For(n, f) calls f(c) exactly once for every c in [0, n) and returns
//     after the last call has returned; which goroutine runs which chunk
//     is never observable in a result, so callers whose chunks write
//     disjoint outputs stay deterministic.
//   - The caller takes chunks from the same counter as the helpers, so a
//     loop never waits for a helper that has yet to wake; at worst the
//     caller runs every chunk itself.
//   - One loop at a time uses the helpers. A For that finds them busy
//     (a nested For, or one on another goroutine) runs its chunks on its
//     own goroutine.
//   - A panic in f is re-raised on the calling goroutine after every chunk
//     has finished.
//   - There are GOMAXPROCS−1 helpers at most; with GOMAXPROCS = 1 For is a
//     plain loop and no goroutine is started. Helpers spin for Spin after
//     their last chunk, yielding their P every 20 µs and their CPU (to
//     another thread on it, sched_yield) every 2 µs, then park until the
//     next loop.
//
// A goroutine queued behind a spinning helper runs once the helper yields
// its P, and a yielded helper is the first the scheduler picks again, so
// CPU-parallel code splits through For rather than starting goroutines of
// its own (a GEMM's goroutines did, and waited out each helper's spin).
package gang

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Spin is how long a helper keeps looking for work after its last chunk
// before it parks. Waking a parked helper costs about 100 µs on the
// measured VM, so spinning any shorter than that saves nothing.
const Spin = 300 * time.Microsecond

// callerSpin is how long the caller spins for helpers' last chunks before
// it blocks: blocking means being woken, which costs as much as a wake.
const callerSpin = time.Millisecond

// job is one For call.
type job struct {
	f    func(int)
	n    int64
	next atomic.Int64 // chunks handed out
	left atomic.Int64 // chunks not yet finished
	done chan struct{}
	pmu  sync.Mutex
	perr any // the first panic in f
	hasP bool
}

// pool is the process's helpers.
var pool struct {
	slot    atomic.Pointer[job] // the loop helpers work on; nil when none
	want    atomic.Int32        // helpers that may take chunks: GOMAXPROCS−1
	parked  atomic.Int32        // helpers blocked on wake
	wake    chan struct{}
	mu      sync.Mutex
	started atomic.Int32
}

// yieldGap is how long a spinning goroutine keeps its P before yielding
// it: often enough that a goroutine queued behind it (one it readied, a
// GC worker) waits little, seldom enough that yielding, which takes the
// scheduler's lock, costs little.
const yieldGap = 20 * time.Microsecond

// osYieldGap is how long a spinning goroutine keeps its CPU before
// offering it to another thread (osYield, about 0.4 µs): when another
// process holds the other core, the helper and the caller share one, and
// a helper that spun through its time slices took half of the caller's
// (day 4a on two threads, a busy loop on the other core: 0.8–1.0 ms a
// scrub against 0.4 on one thread).
const osYieldGap = 2 * time.Microsecond

// maxHelpers bounds the helpers (and wake's buffer).
const maxHelpers = 1024

func init() { pool.wake = make(chan struct{}, maxHelpers) }

// For calls f(c) for every c in [0, n), splitting the calls between the
// calling goroutine and the helpers, and returns when all have returned.
func For(n int, f func(c int)) {
	w := runtime.GOMAXPROCS(0)
	if n <= 1 || w == 1 {
		for c := range n {
			f(c)
		}
		return
	}
	j := &job{f: f, n: int64(n), done: make(chan struct{})}
	j.left.Store(int64(n))
	if !pool.slot.CompareAndSwap(nil, j) {
		for c := range n { // the helpers are busy with another loop
			f(c)
		}
		return
	}
	ensureHelpers(int32(min(w-1, maxHelpers)))
	for range min(int(pool.parked.Load()), n-1) {
		select {
		case pool.wake <- struct{}{}:
		default:
		}
	}
	j.work()
	pool.slot.CompareAndSwap(j, nil)
	j.wait()
	if j.hasP {
		panic(j.perr)
	}
}

// ensureHelpers starts helpers until there are want of them.
func ensureHelpers(want int32) {
	if pool.want.Load() != want {
		pool.want.Store(want)
	}
	if pool.started.Load() >= want {
		return
	}
	pool.mu.Lock()
	defer pool.mu.Unlock()
	for id := pool.started.Load(); id < want; id++ {
		go helper(id)
		pool.started.Store(id + 1)
	}
}

// work runs chunks until none are left to hand out.
func (j *job) work() {
	for {
		c := j.next.Add(1) - 1
		if c >= j.n {
			return
		}
		j.run(int(c))
	}
}

// run calls f(c), keeping a panic for the caller, and counts c finished.
func (j *job) run(c int) {
	defer func() {
		if r := recover(); r != nil {
			j.pmu.Lock()
			if !j.hasP {
				j.perr, j.hasP = r, true
			}
			j.pmu.Unlock()
		}
		if j.left.Add(-1) == 0 {
			close(j.done)
		}
	}()
	j.f(c)
}

// wait returns once every chunk has finished, spinning first.
func (j *job) wait() {
	if j.left.Load() == 0 {
		return
	}
	start := time.Now()
	sp := spinner{start, start}
	for i := 1; j.left.Load() > 0; i++ {
		if i%64 != 0 {
			continue
		}
		now := time.Now()
		if now.Sub(start) > callerSpin {
			<-j.done
			return
		}
		sp.pause(now)
	}
}

// helper takes chunks of the current loop while it is one of the wanted
// helpers, spins for Spin when there is none, then parks.
func helper(id int32) {
	idle := time.Now()
	sp := spinner{idle, idle}
	for i := 1; ; i++ {
		if id < pool.want.Load() {
			if j := pool.slot.Load(); j != nil && j.next.Load() < j.n {
				j.work()
				idle, i = time.Now(), 1
				continue
			}
		}
		if i%64 != 0 {
			continue
		}
		now := time.Now()
		if now.Sub(idle) < Spin {
			sp.pause(now)
			continue
		}
		pool.parked.Add(1)
		// a loop posted before parked rose has seen no parked helper
		if j := pool.slot.Load(); j == nil || j.next.Load() >= j.n || id >= pool.want.Load() {
			<-pool.wake
		}
		pool.parked.Add(-1)
		idle = time.Now()
		sp = spinner{idle, idle}
	}
}

// spinner paces a spinning goroutine's yields: of its CPU every
// osYieldGap, of its P every yieldGap.
type spinner struct{ osYielded, yielded time.Time }

// pause yields what is due at time now.
func (s *spinner) pause(now time.Time) {
	if now.Sub(s.osYielded) > osYieldGap {
		osYield()
		s.osYielded = now
	}
	if now.Sub(s.yielded) > yieldGap {
		runtime.Gosched()
		s.yielded = now
	}
}
