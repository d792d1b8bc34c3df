package lower

import (
	"slices"
	"sort"

	"github.com/circopt/circopt/circuit"
)

// Raising view ops to Rearrange specs. A reshape is an einops spec when
// both shapes are products of one common sequence of factors ("atoms"):
// [6,4] -> [2,12] is "(a b) c -> a (b c)" with a=2, b=3, c=4. Otherwise
// ([6,4] -> [4,6]) it is a merge of every axis followed by a split.

// identitySpec is "a b c -> a b c" for rank axes.
func identitySpec(rank int) circuit.RearrangeSpec {
	sp := circuit.RearrangeSpec{In: [][]int{}, Out: [][]int{}, Sizes: []int{}}
	for i := 0; i < rank; i++ {
		sp.Sizes = append(sp.Sizes, -1)
		sp.In = append(sp.In, []int{i})
		sp.Out = append(sp.Out, []int{i})
	}
	return sp
}

// reshapeCircuit reshapes x to shape to (same element count).
func reshapeCircuit(x circuit.Circuit, to []int) (circuit.Circuit, error) {
	from := x.Shape()
	if slices.Equal(from, to) {
		return x, nil
	}
	if sp, ok := commonFactorSpec(from, to); ok {
		return circuit.NewRearrange("", sp, x)
	}
	merge := circuit.RearrangeSpec{In: [][]int{}, Out: [][]int{{}}, Sizes: []int{}}
	for i := range from {
		merge.Sizes = append(merge.Sizes, -1)
		merge.In = append(merge.In, []int{i})
		merge.Out[0] = append(merge.Out[0], i)
	}
	flat, err := circuit.NewRearrange("", merge, x)
	if err != nil {
		return nil, err
	}
	split := circuit.RearrangeSpec{In: [][]int{{}}, Out: [][]int{}, Sizes: []int{}}
	for i, d := range to {
		split.Sizes = append(split.Sizes, d)
		split.In[0] = append(split.In[0], i)
		split.Out = append(split.Out, []int{i})
	}
	return circuit.NewRearrange("", split, flat)
}

// commonFactorSpec finds the one-spec form of a reshape. The prefix
// products of both shapes, merged and sorted, must each divide the next;
// the ratios are the atoms, and each axis is the group of atoms between its
// two prefix products (a size-1 axis is the empty group "()"). Shapes with
// a zero dimension have no useful factorization.
func commonFactorSpec(from, to []int) (circuit.RearrangeSpec, bool) {
	prefix := func(s []int) []int {
		p := []int{1}
		for _, d := range s {
			p = append(p, p[len(p)-1]*d)
		}
		return p
	}
	if slices.Contains(from, 0) || slices.Contains(to, 0) {
		return circuit.RearrangeSpec{}, false
	}
	pin, pout := prefix(from), prefix(to)
	q := append(slices.Clone(pin), pout...)
	sort.Ints(q)
	q = slices.Compact(q)
	for j := 1; j < len(q); j++ {
		if q[j]%q[j-1] != 0 {
			return circuit.RearrangeSpec{}, false
		}
	}
	// atom j spans breakpoints q[j]..q[j+1]
	at := make(map[int]int, len(q))
	for j, v := range q {
		at[v] = j
	}
	groups := func(p []int) [][]int {
		gs := make([][]int, 0, len(p)-1)
		for k := 0; k+1 < len(p); k++ {
			g := []int{}
			for j := at[p[k]]; j < at[p[k+1]]; j++ {
				g = append(g, j)
			}
			gs = append(gs, g)
		}
		return gs
	}
	sp := circuit.RearrangeSpec{In: groups(pin), Out: groups(pout), Sizes: make([]int, len(q)-1)}
	for j := range sp.Sizes {
		sp.Sizes[j] = -1
	}
	// an atom alone in its input group takes that axis's size; the atoms of
	// a split group need their sizes written down
	for _, g := range sp.In {
		if len(g) > 1 {
			for _, j := range g {
				sp.Sizes[j] = q[j+1] / q[j]
			}
		}
	}
	return sp, true
}

// broadcastCircuit expands x to shape to with numpy rules: new leading axes
// become repeats, and a size-1 axis that grows is dropped on the input side
// ("()") and repeated on the output side.
func broadcastCircuit(x circuit.Circuit, to []int) (circuit.Circuit, error) {
	from := x.Shape()
	if slices.Equal(from, to) {
		return x, nil
	}
	sp := circuit.RearrangeSpec{In: [][]int{}, Out: [][]int{}, Sizes: []int{}}
	newID := func(size int) int {
		sp.Sizes = append(sp.Sizes, size)
		return len(sp.Sizes) - 1
	}
	lead := len(to) - len(from)
	for i := 0; i < lead; i++ {
		sp.Out = append(sp.Out, []int{newID(to[i])})
	}
	for i, d := range from {
		if d == to[lead+i] {
			id := newID(-1)
			sp.In = append(sp.In, []int{id})
			sp.Out = append(sp.Out, []int{id})
			continue
		}
		sp.In = append(sp.In, []int{})
		sp.Out = append(sp.Out, []int{newID(to[lead+i])})
	}
	return circuit.NewRearrange("", sp, x)
}
