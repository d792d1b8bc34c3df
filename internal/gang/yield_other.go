//go:build !linux

package gang

// osYield is a no-op where sched_yield is not called directly.
func osYield() {}
