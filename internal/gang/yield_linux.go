package gang

import "syscall"

// osYield gives the thread's CPU to another runnable thread on it, if
// any: a spinning goroutine that shares its core with the thread doing the
// work (another process holds the other core) must not take half of it.
// Alone on its core, the call returns at once.
func osYield() { syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
