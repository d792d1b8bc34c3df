//go:build unix

package main

import "syscall"

// addressSpaceLimit is the soft RLIMIT_AS (ulimit -v) in bytes, 0 if none.
func addressSpaceLimit() int64 { return softLimit(syscall.RLIMIT_AS) }

// dataLimit is the soft RLIMIT_DATA (ulimit -d) in bytes, 0 if none. Linux
// counts writable private mappings against it, so it bounds the heap the
// process really uses, unlike RLIMIT_AS, which also counts the Go runtime's
// address-space reservations.
func dataLimit() int64 { return softLimit(syscall.RLIMIT_DATA) }

func softLimit(resource int) int64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(resource, &rl); err != nil || rl.Cur == 0 || rl.Cur >= 1<<60 {
		return 0
	}
	return int64(rl.Cur)
}
