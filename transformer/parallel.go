package transformer

import (
	"runtime"
	"sync"
)

// parallelFor runs min(GOMAXPROCS, n) workers; each calls next for the
// indices 0..n-1 it takes (ok false when none are left). Importing a
// 500 MB model is memory-bound copying and hashing: two cores halve it.
func parallelFor(n int, worker func(next func() (int, bool))) {
	var mu sync.Mutex
	i := 0
	next := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if i >= n {
			return 0, false
		}
		i++
		return i - 1, true
	}
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			worker(next)
		}()
	}
	wg.Wait()
}
