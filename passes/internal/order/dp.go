package order

import (
	"fmt"
	"math"
	"math/bits"
)

// DPMaxOperands bounds DP: its tables have 2^n entries and it does O(3^n)
// work, about 43M split evaluations at 16.
const DPMaxOperands = 16

// DP plans p exactly: the cheapest contraction tree (in FLOPs) whose
// intermediates all fit p.MemCap. It needs 2..DPMaxOperands operands to be
// useful; with 0 or 1 it returns the "single" path. When no tree fits the
// cap it returns the tree of smallest peak intermediate (cheapest among
// those) with OverCap set and an error wrapping ErrMemCap.
func DP(p Problem) (Path, error) {
	in, err := newInstance(p)
	if err != nil {
		return Path{}, err
	}
	if in.n > DPMaxOperands {
		return Path{}, fmt.Errorf("order: DP handles at most %d operands, got %d", DPMaxOperands, in.n)
	}
	return in.dp()
}

func (in *instance) dp() (Path, error) {
	if in.n < 2 {
		return in.single(), nil
	}
	t := in.newSubsetTable()
	if split, ok := t.cheapest(in.memCap); ok {
		return in.replay("dp", t.tree(split, leaves(in)).pairs(in.n)), nil
	}
	// No tree fits: find the least achievable peak, then the cheapest tree
	// under exactly that peak, so the fallback is optimal in (peak, FLOPs).
	peak := t.minPeak()
	split, ok := t.cheapest(peak)
	if !ok { // cannot happen: the min-peak tree itself is under that cap
		return Path{}, fmt.Errorf("order: internal error: no tree under the minimal peak %d", peak)
	}
	path := in.replay("dp", t.tree(split, leaves(in)).pairs(in.n))
	return path, fmt.Errorf("order: %w: cap %d elements, smallest achievable peak %d", ErrMemCap, in.memCap, peak)
}

// subsetTable holds, per subset S of operands (a bitmask), the labels of
// the tensor that contracting S yields, computed once.
type subsetTable struct {
	in   *instance
	full int
	lab  []labelSet // leaf: its own labels; else labels kept after contracting S
	elem []int64    // saturated element count of lab[S]
}

func (in *instance) newSubsetTable() *subsetTable {
	n := in.n
	full := 1<<n - 1
	t := &subsetTable{in: in, full: full,
		lab: make([]labelSet, 1<<n), elem: make([]int64, 1<<n)}
	w := in.words
	flat := make([]uint64, 2*w<<n)
	union := make([]labelSet, 1<<n)
	for S := 0; S <= full; S++ {
		union[S] = flat[S*w : (S+1)*w : (S+1)*w]
		if S != 0 {
			low := bits.TrailingZeros(uint(S))
			union[S].or(union[S&(S-1)], in.ops[low])
		}
	}
	outside := newLabelSet(w)
	for S := 1; S <= full; S++ {
		if bits.OnesCount(uint(S)) == 1 {
			t.lab[S] = in.ops[bits.TrailingZeros(uint(S))]
		} else {
			// Keep what the output or an operand outside S still needs.
			outside.or(in.out, union[full^S])
			k := labelSet(flat[(full+1+S)*w : (full+2+S)*w : (full+2+S)*w])
			k.and(union[S], outside)
			t.lab[S] = k
		}
		t.elem[S] = elements(in.prod(t.lab[S]))
	}
	return t
}

// splitCost is the FLOPs of contracting the results of a and b into S.
func (t *subsetTable) splitCost(a, b, S int, u labelSet) float64 {
	u.or(t.lab[a], t.lab[b])
	f := t.in.prod(u)
	if !u.equal(t.lab[S]) { // something is summed: multiply-add
		f *= 2
	}
	return f
}

// cheapest runs the FLOPs DP with every non-final intermediate at most
// limit elements (0 = unlimited) and returns the split table: split[S] is
// the part of S holding its lowest operand in the best tree for S.
func (t *subsetTable) cheapest(limit int64) ([]int, bool) {
	best := make([]float64, t.full+1)
	split := make([]int, t.full+1) // 0 = infeasible (or leaf)
	u := newLabelSet(t.in.words)
	for S := 1; S <= t.full; S++ {
		if S&(S-1) == 0 {
			continue
		}
		if limit > 0 && S != t.full && t.elem[S] > limit {
			continue
		}
		low := S & -S
		found := false
		// Each unordered split once: the part holding S's lowest operand.
		for a := (S - 1) & S; a > 0; a = (a - 1) & S {
			if a&low == 0 {
				continue
			}
			b := S ^ a
			if !t.feasible(a, split) || !t.feasible(b, split) {
				continue
			}
			c := best[a] + best[b] + t.splitCost(a, b, S, u)
			// The first feasible split is taken even if its cost is +Inf,
			// so overflowing sizes do not read as infeasible.
			if !found || c < best[S] {
				best[S], split[S], found = c, a, true
			}
		}
	}
	if !t.feasible(t.full, split) {
		return nil, false
	}
	return split, true
}

// bestCost is the FLOPs of the tree in split (cheapest must have succeeded).
func (t *subsetTable) bestCost(split []int) float64 {
	u := newLabelSet(t.in.words)
	var cost func(S int) float64
	cost = func(S int) float64 {
		if S&(S-1) == 0 {
			return 0
		}
		a := split[S]
		return cost(a) + cost(S^a) + t.splitCost(a, S^a, S, u)
	}
	return cost(t.full)
}

// tree builds the contraction tree of split over the given leaves (one
// per operand of t's instance).
func (t *subsetTable) tree(split []int, leaf []*tnode) *tnode {
	var build func(S int) *tnode
	build = func(S int) *tnode {
		if S&(S-1) == 0 {
			return leaf[bits.TrailingZeros(uint(S))]
		}
		a := split[S]
		return &tnode{leaf: -1, kids: [2]*tnode{build(a), build(S ^ a)}, lab: t.lab[S]}
	}
	return build(t.full)
}

func (t *subsetTable) feasible(S int, split []int) bool {
	return S&(S-1) == 0 || split[S] != 0
}

// minPeak is the bottleneck DP: the least possible largest non-final
// intermediate over all trees.
func (t *subsetTable) minPeak() int64 {
	peak := make([]int64, t.full+1)
	for S := 1; S <= t.full; S++ {
		if S&(S-1) == 0 {
			continue
		}
		own := t.elem[S]
		if S == t.full {
			own = 0
		}
		low := S & -S
		peak[S] = math.MaxInt64
		for a := (S - 1) & S; a > 0; a = (a - 1) & S {
			if a&low == 0 {
				continue
			}
			p := max(peak[a], peak[S^a], own)
			if p < peak[S] {
				peak[S] = p
			}
		}
	}
	return peak[t.full]
}
