//go:build race

package circopt_test

// raceEnabled: the race detector slows instrumented kernels several times,
// so latency bounds are relaxed under it.
const raceEnabled = true
