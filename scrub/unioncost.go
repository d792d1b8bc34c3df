package scrub

import (
	"maps"
	"slices"

	"github.com/circopt/circopt/circuit"
)

// unionWork is what deciding between Run's two evaluations needs, per
// batch shape: the work per example of each, in nodeWork units.
//
//   - perVec: every distinct node that reads exactly one vector (a
//     (node, vector) pair), as the direct evaluation computes it on n rows;
//   - byUses: the same nodes written over the model's own inputs, each
//     model subtree once, summed by how many vectors read it (uses): the
//     union evaluation computes one on min(|U|, n·uses) rows (batch);
//   - gathers: the outputs of the maximal one-vector subtrees (the cuts),
//     which the union evaluation gathers at each vector's n positions;
//   - cuts: how many there are. Each cut's n positions are built into an
//     Index node, hashed and compiled into the plan: host work that costs
//     positionWork units per position (measured, below);
//   - nodes: the nodes of the per-example circuits. The union plan holds
//     the positions, so every new set of samples compiles it again, where
//     the direct plan serves every set of one shape: compileWork units a
//     node, charged once per run (not per example).
//
// What mixes vectors, or reads none, costs the same either way and is left
// out. Direct costs n·perVec, union Σ min(|U|, n·uses)·byUses[uses] +
// n·(gathers + positionWork·cuts); the gathers are counted at the maximal
// cuts, an upper bound where the union evaluation stops lower.
type unionWork struct {
	perVec, gathers, cuts, nodes float64
	byUses                       map[int]float64
	// vectors is the number of distinct index vectors, bounding |U| by
	// vectors·n.
	vectors int
}

// measureUnion is the unionWork of b's roots.
func measureUnion(b *unionBatcher) (unionWork, error) {
	w := unionWork{vectors: len(b.idx), byUses: map[int]float64{}}
	if err := b.countUses(); err != nil {
		return w, err
	}
	circuit.Walk(b.roots, func(circuit.Circuit) { w.nodes++ })
	seenVec, seenCanon := map[circuit.Hash]bool{}, map[circuit.Hash]bool{}
	err := b.cuts(b.roots, func(c circuit.Circuit, _ int) error {
		circuit.Walk([]circuit.Circuit{c}, func(x circuit.Circuit) {
			// what reads no vector costs the same either way
			if b.vecOf(x) < 0 || seenVec[x.Hash()] {
				return
			}
			seenVec[x.Hash()] = true
			nw := nodeWork(x)
			w.perVec += nw
			if ch := b.canonHash[x.Hash()]; !seenCanon[ch] {
				seenCanon[ch] = true
				w.byUses[b.uses[ch]] += nw
			}
		})
		w.gathers += float64(elements(c))
		w.cuts++
		return nil
	})
	return w, err
}

// positionWork is the host cost of one gathered position (building,
// hashing and lowering the Index that holds it) in nodeWork units. Measured
// with BenchmarkEvalWays on day 4a (10,000 examples, 11 cuts, work per
// example 74 direct, 22+11 union): the direct evaluation runs at ~1.8 ns
// per unit of work, and the union one spent ~60 ns more per gathered
// position than its work explains; 60/1.8 ≈ 35.
const positionWork = 35

// compileWork is compiling one node of the union plan, in nodeWork units.
// Measured: BenchmarkInterpNodes/nodes=2 (280 nodes, a new seed each run)
// took 37 ms the union way against 18 ms direct, where the work counted
// above saw a 4% gain; the union plan's compile of day 4a's 76 nodes
// (BenchmarkEvalWays union-cold against union) took ~14 ms. At day 4a's
// ~1.8 ns a unit that is 50,000-100,000 units a node; the lower bound is
// used, which still sends those two scrubs the direct way and the
// transformer heads (568 nodes, ~40% less work) the union way.
const compileWork = 50000

// nodeWork is a node's work per example: an Einsum's multiply-adds (the
// product of its label sizes), any other node's output elements.
func nodeWork(c circuit.Circuit) float64 {
	if e, ok := c.(*circuit.Einsum); ok {
		w := 1.0
		for _, s := range e.LabelSizes() {
			w *= float64(s)
		}
		return w
	}
	return float64(elements(c))
}

func elements(c circuit.Circuit) int {
	n := 1
	for _, s := range c.Shape() {
		n *= s
	}
	return n
}

// unionCheaper says whether the union evaluation of one scrub of n
// examples does less work than the direct one; rows is |U|, computed only
// when the bounds n <= |U| <= min(N, vectors·n) do not decide.
func (w unionWork) unionCheaper(n, datasetLen int, rows func() int) bool {
	direct := float64(n) * w.perVec
	cost := func(u int) float64 {
		c := float64(n)*(w.gathers+positionWork*w.cuts) + compileWork*w.nodes
		for _, uses := range slices.Sorted(maps.Keys(w.byUses)) { // a fixed order: the same sum every time
			c += float64(min(u, n*uses)) * w.byUses[uses]
		}
		return c
	}
	if cost(n) >= direct {
		return false
	}
	if cost(min(datasetLen, w.vectors*n)) < direct {
		return true
	}
	return cost(rows()) < direct
}
