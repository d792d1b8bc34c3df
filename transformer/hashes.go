package transformer

import (
	"sync"

	"github.com/circopt/circopt/tensor"
)

// ContentHashes is tensor.ContentHashHex of every weight, by name,
// computed once per Model (two weights sharing a tensor, as the tied
// unembedding does, hash once) on every core, and shared by Loaded, Dump
// and whoever stores the weights: hashing 500 MB was the largest single
// cost of an import. Like the module circuit it caches, it assumes
// Weights is not changed after the first call.
func (m *Model) ContentHashes() map[string]string {
	m.hashOnce.Do(func() {
		names := sortedNames(m.Weights)
		var uniq []*tensor.Tensor
		seen := map[*tensor.Tensor]int{}
		for _, n := range names {
			if _, ok := seen[m.Weights[n]]; !ok {
				seen[m.Weights[n]] = len(uniq)
				uniq = append(uniq, m.Weights[n])
			}
		}
		sums := make([]string, len(uniq))
		parallelFor(len(uniq), func(next func() (int, bool)) {
			for i, ok := next(); ok; i, ok = next() {
				sums[i] = tensor.ContentHashHex(uniq[i])
			}
		})
		m.hashes = make(map[string]string, len(names))
		for _, n := range names {
			m.hashes[n] = sums[seen[m.Weights[n]]]
		}
	})
	return m.hashes
}

// modelCache is what a Model computes once from its weights.
type modelCache struct {
	hashOnce sync.Once
	hashes   map[string]string
	// loaded caches the module library circuit (see Loaded).
	loaded *Loaded
}
