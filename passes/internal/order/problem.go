package order

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"
)

// Operand is one einsum operand: its axis labels in axis order. A label
// repeated within one operand takes a diagonal; for costing it counts once.
type Operand struct{ Labels []int }

// Problem is one einsum to plan.
type Problem struct {
	Operands []Operand
	// Output labels in output order. Labels that occur in no operand are
	// broadcast by the caller; repeated labels are treated as one.
	Output []int
	// Sizes gives the extent of every label that occurs in an operand
	// (output-only labels need no size). Sizes must be >= 0.
	Sizes map[int]int
	// MemCap is the largest number of elements any intermediate may hold;
	// 0 means no cap. Inputs and the final output are not intermediates.
	MemCap int64
}

// ErrMemCap is wrapped by the error returned when no contraction order
// keeps every intermediate within Problem.MemCap.
var ErrMemCap = errors.New("no contraction order fits the memory cap")

// instance is a validated Problem with labels renumbered densely (id order
// = ascending label value) so label sets are bitsets.
type instance struct {
	n        int
	words    int
	labels   []int     // id -> label
	size     []float64 // id -> extent
	ops      []labelSet
	out      labelSet // output labels that occur in some operand
	outOrder []int    // ids of out, in output order, each once
	memCap   int64
}

// newInstance validates p; errors name the operand and label at fault.
func newInstance(p Problem) (*instance, error) {
	if p.MemCap < 0 {
		return nil, fmt.Errorf("order: MemCap %d is negative", p.MemCap)
	}
	present := map[int]bool{}
	for i, op := range p.Operands {
		for _, l := range op.Labels {
			s, ok := p.Sizes[l]
			if !ok {
				return nil, fmt.Errorf("order: operand %d: label %d has no size", i, l)
			}
			if s < 0 {
				return nil, fmt.Errorf("order: operand %d: label %d has negative size %d", i, l, s)
			}
			present[l] = true
		}
	}
	in := &instance{n: len(p.Operands), memCap: p.MemCap}
	for l := range present {
		in.labels = append(in.labels, l)
	}
	sort.Ints(in.labels)
	id := make(map[int]int, len(in.labels))
	for i, l := range in.labels {
		id[l] = i
		in.size = append(in.size, float64(p.Sizes[l]))
	}
	in.words = (len(in.labels) + 63) / 64
	in.ops = make([]labelSet, in.n)
	for i, op := range p.Operands {
		s := newLabelSet(in.words)
		for _, l := range op.Labels {
			s.add(id[l])
		}
		in.ops[i] = s
	}
	in.out = newLabelSet(in.words)
	for _, l := range p.Output {
		j, ok := id[l]
		if !ok || in.out.has(j) {
			continue
		}
		in.out.add(j)
		in.outOrder = append(in.outOrder, j)
	}
	return in, nil
}

// prod is the number of elements of a tensor with labels s: exactly 0 when
// some extent is 0 (so overflow to +Inf cannot turn into NaN).
func (in *instance) prod(s labelSet) float64 {
	// Plain loops, no closure: this is the DP's inner loop.
	p := 1.0
	for i, w := range s {
		for w != 0 {
			sz := in.size[i<<6|bits.TrailingZeros64(w)]
			if sz == 0 {
				return 0
			}
			p *= sz
			w &= w - 1
		}
	}
	return p
}

// ordered returns the labels of s: output labels first in output order,
// then the rest ascending. The final result thus comes out in output order.
func (in *instance) ordered(s labelSet) []int {
	res := []int{}
	for _, l := range in.outOrder {
		if s.has(l) {
			res = append(res, in.labels[l])
		}
	}
	s.forEach(func(l int) {
		if !in.out.has(l) {
			res = append(res, in.labels[l])
		}
	})
	return res
}

// sorted returns the labels of s ascending.
func (in *instance) sorted(s labelSet) []int {
	res := []int{}
	s.forEach(func(l int) { res = append(res, in.labels[l]) })
	return res
}

// elements converts a float element count to int64, saturating.
func elements(f float64) int64 {
	if f >= math.MaxInt64 || math.IsNaN(f) {
		return math.MaxInt64
	}
	return int64(f)
}

// exceeds reports whether an intermediate of e elements breaks the cap.
func (in *instance) exceeds(e int64) bool { return in.memCap > 0 && e > in.memCap }
