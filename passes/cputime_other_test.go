//go:build !unix

package passes

import "time"

// cpuTime is unavailable here; tests bounding CPU time skip the bound.
func cpuTime() (time.Duration, bool) { return 0, false }
