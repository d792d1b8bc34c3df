package ablate

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
)

// Shuffle returns a permutation of 0..n-1 drawn from seed. It is a
// Fisher–Yates shuffle driven by splitmix64 with rejection sampling, written
// out here so the permutation for a seed never changes with the Go release.
func Shuffle(seed uint64, n int) []int64 {
	perm := make([]int64, n)
	for i := range perm {
		perm[i] = int64(i)
	}
	state := seed
	next := func() uint64 {
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		return z ^ (z >> 31)
	}
	for i := n - 1; i > 0; i-- {
		bound := uint64(i + 1)
		// reject the top partial block so every j is equally likely
		limit := ^uint64(0) - (^uint64(0) % bound)
		r := next()
		for r >= limit {
			r = next()
		}
		j := int(r % bound)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm
}

// Shuffled is x with its batch axis (axis 0) permuted: an Index with a
// Positions tensor on axis 0, x[perm]. Keeping the gather explicit (rather
// than a new input array) lets the compiler rewrite f(x[perm]) as
// f(x)[perm] when f is batch-wise and f(x) is already computed.
// Two calls with the same x, perm and name give the same (hash-equal)
// circuit, so the same shuffled subtree is shared across experiments.
func Shuffled(name string, x circuit.Circuit, perm []int64) (circuit.Circuit, error) {
	if x.Rank() < 1 {
		return nil, fmt.Errorf("ablate: cannot shuffle the batch axis of %s: it is a scalar", circuit.Label(x))
	}
	if len(perm) != x.Shape()[0] {
		return nil, fmt.Errorf("ablate: permutation of %d entries for %s with batch size %d", len(perm), circuit.Label(x), x.Shape()[0])
	}
	idx := make([]circuit.AxisIndex, x.Rank())
	idx[0] = circuit.Positions(perm...)
	for i := 1; i < len(idx); i++ {
		idx[i] = circuit.All()
	}
	return circuit.NewIndex(name, idx, x)
}
