package order

import (
	"fmt"
	"math/bits"
)

// Greedy plans p by repeatedly contracting the best current pair (O(n^3)
// pair evaluations, any number of operands), then improves the tree by
// re-planning windows of up to refineWindow subtrees exactly (see refine).
// Two scorings seed it and the cheaper refined path is returned:
//
//   - size reduction: elements(result) - elements(left) - elements(right),
//     ties broken by FLOPs (opt_einsum's greedy score: shrink memory first);
//   - FLOPs of the step, ties broken by elements(result).
//
// Pairs that share a label are preferred (a batch label held by every
// current operand does not count); outer products are considered only when
// no remaining pair shares one. Pairs whose result would exceed
// MemCap are skipped (the final step is exempt); if every pair exceeds it
// the pair with the smallest result is taken, and the returned path has
// OverCap set and comes with an error wrapping ErrMemCap. Greedy can miss
// a cap-respecting order that exists; DP cannot.
func Greedy(p Problem) (Path, error) {
	in, err := newInstance(p)
	if err != nil {
		return Path{}, err
	}
	return in.greedy()
}

func (in *instance) greedy() (Path, error) {
	if in.n < 2 {
		return in.single(), nil
	}
	var best Path
	for k, score := range greedyScores {
		tree := in.treeOf(in.greedyWith(score))
		in.refine(tree)
		p := in.replay("greedy", tree.pairs(in.n))
		if k == 0 || better(p, best) {
			best = p
		}
	}
	if best.OverCap {
		return best, fmt.Errorf("order: %w: greedy found none under cap %d elements; best peak %d", ErrMemCap, in.memCap, best.MaxIntermediate)
	}
	return best, nil
}

// better orders candidate paths: within the cap first, then fewer FLOPs,
// then a smaller peak.
func better(a, b Path) bool {
	if a.OverCap != b.OverCap {
		return !a.OverCap
	}
	if a.FLOPs != b.FLOPs {
		return a.FLOPs < b.FLOPs
	}
	return a.MaxIntermediate < b.MaxIntermediate
}

// greedyScore returns the (primary, secondary) keys of a candidate pair;
// smaller is better.
type greedyScore func(s *state, i, j int, c pairCost) (float64, float64)

func scoreSizeReduction(s *state, i, j int, c pairCost) (float64, float64) {
	return c.elements - s.in.prod(s.nodes[i]) - s.in.prod(s.nodes[j]), c.flops
}

func scoreFLOPs(_ *state, _, _ int, c pairCost) (float64, float64) {
	return c.flops, c.elements
}

// greedyScores seed the refinement. On 160 random 9..12-operand einsums
// the cheaper refined path of these two was 1.050x optimal on average,
// worst 4.4x; more seeds (a variant size reduction, randomized scores)
// gained under 4% for 2-5x the time.
var greedyScores = []greedyScore{scoreSizeReduction, scoreFLOPs}

// greedyWith returns the greedy contraction sequence under one scoring.
func (in *instance) greedyWith(score greedyScore) [][2]int {
	s := newState(in)
	var pairs [][2]int
	for len(s.nodes) > 1 {
		final := len(s.nodes) == 2
		bi, bj := -1, -1
		var bTier int
		var bk1, bk2 float64
		for i := 0; i < len(s.nodes); i++ {
			for j := i + 1; j < len(s.nodes); j++ {
				c := s.cost(i, j)
				var tier int
				var k1, k2 float64
				switch {
				case !final && in.exceeds(elements(c.elements)):
					// Over the cap: last resort, smallest result first.
					tier, k1, k2 = 2, c.elements, c.flops
				case s.linked(i, j):
					tier = 0
					k1, k2 = score(s, i, j, c)
				default: // outer product
					tier = 1
					k1, k2 = score(s, i, j, c)
				}
				if bi < 0 || tier < bTier || tier == bTier && (k1 < bk1 || k1 == bk1 && k2 < bk2) {
					bi, bj, bTier, bk1, bk2 = i, j, tier, k1, k2
				}
			}
		}
		s.apply(bi, bj)
		pairs = append(pairs, [2]int{bi, bj})
	}
	return pairs
}

// linked reports whether nodes i and j share a label that not every
// current node holds: a batch label common to all operands links every
// pair and so says nothing about which pair to contract.
func (s *state) linked(i, j int) bool {
	a, b := s.nodes[i], s.nodes[j]
	for w := range a {
		for x := a[w] & b[w]; x != 0; x &= x - 1 {
			if s.count[w<<6|bits.TrailingZeros64(x)] < len(s.nodes) {
				return true
			}
		}
	}
	return false
}
