package tensor

import "slices"

// MaxEinsumIndexSpace bounds the points one reference einsum loop visits
// (about a minute of work), so a hostile spec is an error, not a hang.
const MaxEinsumIndexSpace = 1 << 31

// pairwiseFrom is the joint index space above which three or more inputs
// are contracted pairwise: summing 30 labels of size 2 over one loop is
// 2^30 points, while summing each label as soon as no later operand needs
// it is a few hundred.
var pairwiseFrom = 1 << 22 // a var so tests can force the pairwise path

// einsumPairwise computes Einsum by first summing each operand's private
// labels, then folding the operands left to right, keeping only labels a
// later operand or the output needs. Intermediates are float64 (int64 for
// all-integer inputs), so accuracy matches the single loop's; the result
// has dtype dt.
func einsumPairwise(inputs []*Tensor, inLabels [][]int, outLabels []int, sizes map[int]int, dt DType) (*Tensor, error) {
	n := len(inputs)
	work := Float64
	if dt == Int64 {
		work = Int64
	}
	ops := make([]*Tensor, n)
	labs := make([][]int, n)
	// needed reports whether l is used by the output or an operand in
	// [from, n) other than skip.
	needed := func(l, from, skip int) bool {
		if slices.Contains(outLabels, l) {
			return true
		}
		for k := from; k < n; k++ {
			if k != skip && slices.Contains(labs[k], l) {
				return true
			}
		}
		return false
	}
	for k, t := range inputs {
		ops[k], labs[k] = t.Cast(work), inLabels[k]
	}
	for k := range ops {
		var keep []int
		for _, l := range labs[k] {
			if !slices.Contains(keep, l) && needed(l, 0, k) {
				keep = append(keep, l)
			}
		}
		if len(keep) == len(labs[k]) {
			continue // nothing private and no repeats
		}
		t, err := Einsum([]*Tensor{ops[k]}, [][]int{labs[k]}, keep, nil)
		if err != nil {
			return nil, err
		}
		ops[k], labs[k] = t, keep
	}
	acc, accL := ops[0], labs[0]
	for k := 1; k < n-1; k++ {
		var keep []int
		for _, l := range append(slices.Clone(accL), labs[k]...) {
			if !slices.Contains(keep, l) && needed(l, k+1, -1) {
				keep = append(keep, l)
			}
		}
		t, err := Einsum([]*Tensor{acc, ops[k]}, [][]int{accL, labs[k]}, keep, nil)
		if err != nil {
			return nil, err
		}
		acc, accL = t, keep
	}
	out, err := Einsum([]*Tensor{acc, ops[n-1]}, [][]int{accL, labs[n-1]}, outLabels, sizes)
	if err != nil {
		return nil, err
	}
	return out.Cast(dt), nil
}
