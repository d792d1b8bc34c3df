package main

import (
	"bufio"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// memoryLimit is -max-memory, or else 90% of the smallest of: the memory
// the kernel reports as available, the cgroup's limit, GOMEMLIMIT and the
// address space and data rlimits less what the Go runtime itself maps (0, no limit,
// where none of them is known). eval checks its
// estimate against it because an allocation the machine cannot satisfy
// kills a Go process outright, with no chance to report an error.
func memoryLimit(flagValue int64) int64 {
	if flagValue > 0 {
		return flagValue
	}
	var best int64
	consider := func(b int64) {
		if b > 0 && (best == 0 || b < best) {
			best = b
		}
	}
	consider(memAvailable())
	consider(readBytes("/sys/fs/cgroup/memory.max"))
	consider(readBytes("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
	if gl := debug.SetMemoryLimit(-1); gl < math.MaxInt64 {
		consider(gl)
	}
	if as := addressSpaceLimit(); as > 0 {
		consider(max(as-runtimeAddressSpace, 1))
	}
	if d := dataLimit(); d > 0 {
		consider(max(d-runtimeDataSpace, 1))
		// Garbage the collector has not reclaimed counts against ulimit -d
		// too: make it collect before the heap reaches the rlimit.
		if gl := debug.SetMemoryLimit(-1); gl > d-runtimeDataSpace/2 {
			debug.SetMemoryLimit(d - runtimeDataSpace/2)
		}
	}
	return best / 10 * 9
}

// runtimeAddressSpace is the address space a circopt process maps beyond
// its data (binary, goroutine stacks, heap arenas' slack): what ulimit -v
// leaves for tensors is the limit less this.
const runtimeAddressSpace = 512 << 20

// runtimeDataSpace is the writable memory a circopt process uses beyond its
// tensors (the Go heap's slack before a collection, goroutine stacks,
// parser and compiler structures): what ulimit -d leaves for tensors is the
// limit less this.
const runtimeDataSpace = 128 << 20

// memAvailable reads MemAvailable from /proc/meminfo (0 if unknown).
func memAvailable() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil || kb <= 0 || kb > 1<<52 {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// readBytes reads a number of bytes from a cgroup file ("max" and
// absurdly large values mean no limit: 0).
func readBytes(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 || n >= 1<<60 {
		return 0
	}
	return n
}
