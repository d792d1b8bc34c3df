package gang

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// spinWork is about n nanoseconds of arithmetic, its result kept in sink.
func spinWork(n int) {
	s := 0.0
	for i := range n {
		s += float64(i) * 1e-9
	}
	sink.Add(uint64(s))
}

var sink atomic.Uint64

// BenchmarkFor: a loop of 8 chunks of about 3 µs each, run back to back
// (as a plan's kernels run): with GOMAXPROCS=2 the helper is awake and
// takes half. "spawn" is the same loop with a goroutine per loop.
func BenchmarkFor(b *testing.B) {
	for _, chunk := range []int{500, 4000} {
		b.Run(fmt.Sprintf("gang/chunk=%d", chunk), func(b *testing.B) {
			for b.Loop() {
				For(8, func(int) { spinWork(chunk) })
			}
		})
		b.Run(fmt.Sprintf("spawn/chunk=%d", chunk), func(b *testing.B) {
			for b.Loop() {
				var next atomic.Int64
				work := func() {
					for next.Add(1) <= 8 {
						spinWork(chunk)
					}
				}
				var wg sync.WaitGroup
				for range runtime.GOMAXPROCS(0) - 1 {
					wg.Go(work)
				}
				work()
				wg.Wait()
			}
		})
	}
}

// TestForCallsEachChunkOnce: every chunk runs exactly once, whatever
// GOMAXPROCS and loop size, with loops back to back (helpers awake) and
// after a pause long enough for them to park.
func TestForCallsEachChunkOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 2, 3, 8, 100, 1000} {
			for round := range 3 {
				if round == 2 {
					time.Sleep(2 * Spin)
				}
				counts := make([]atomic.Int32, n)
				For(n, func(c int) {
					spinWork(200)
					counts[c].Add(1)
				})
				for c := range counts {
					if k := counts[c].Load(); k != 1 {
						t.Fatalf("GOMAXPROCS %d, n %d: chunk %d ran %d times", procs, n, c, k)
					}
				}
				if pool.slot.Load() != nil { // the next loop would find the helpers busy
					t.Fatalf("GOMAXPROCS %d, n %d: the loop still holds the helpers after For returned", procs, n)
				}
			}
		}
	}
}

// TestForUsesHelpers: with two Ps a loop of long chunks runs some on a
// helper, so two chunks overlap in time.
func TestForUsesHelpers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	if runtime.NumCPU() < 2 {
		t.Skip("needs two CPUs to see a helper run beside the caller")
	}
	var running, most atomic.Int32
	// on a loaded machine the helper's thread may wait for a core: give it
	// up to 5 s of loops
	for start := time.Now(); time.Since(start) < 5*time.Second; {
		For(16, func(int) {
			r := running.Add(1)
			for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
			}
			spinWork(200_000)
			running.Add(-1)
		})
		if most.Load() >= 2 {
			return
		}
	}
	t.Fatalf("no two chunks ran at once in 5 s of loops of 16")
}

// TestForReraisesPanics: a chunk's panic reaches the caller after the
// other chunks finished, and the pool still works after it.
func TestForReraisesPanics(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	var finished atomic.Int32
	func() {
		defer func() {
			if r := recover(); r != "chunk 5" {
				t.Fatalf("recovered %v, want chunk 5's panic", r)
			}
			if k := finished.Load(); k != 15 {
				t.Fatalf("%d other chunks finished before the panic returned, want 15", k)
			}
		}()
		For(16, func(c int) {
			if c == 5 {
				panic("chunk 5")
			}
			spinWork(20_000)
			finished.Add(1)
		})
	}()
	var sum atomic.Int64
	For(10, func(c int) { sum.Add(int64(c)) })
	if sum.Load() != 45 {
		t.Fatalf("after a panic, a loop summed %d, want 45", sum.Load())
	}
}

// TestForNestedAndConcurrent: a For inside a chunk, and Fors on several
// goroutines at once, run every chunk (the ones that find the helpers busy
// run on their own goroutine).
func TestForNestedAndConcurrent(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	var total atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				For(8, func(int) {
					For(4, func(int) { total.Add(1) })
				})
			}
		})
	}
	wg.Wait()
	if got, want := total.Load(), int64(4*50*8*4); got != want {
		t.Fatalf("ran %d inner chunks, want %d", got, want)
	}
}

// TestHelpersPark: idle helpers stop spinning and block.
func TestHelpersPark(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	For(8, func(int) { spinWork(1000) })
	deadline := time.Now().Add(2 * time.Second)
	for pool.parked.Load() < pool.started.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d helpers parked 2 s after the last loop", pool.parked.Load(), pool.started.Load())
		}
		time.Sleep(Spin)
	}
}
