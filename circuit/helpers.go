package circuit

import (
	"fmt"
	"sort"
)

// The helpers below build common operations from the node kinds, as
// rust_circuit does: a mean is an einsum with a scalar, a difference is an
// add of a negated term.

func canonAxes(rank int, axes []int) ([]int, error) {
	seen := map[int]bool{}
	out := make([]int, len(axes))
	for i, a := range axes {
		if a < 0 {
			a += rank
		}
		if a < 0 || a >= rank {
			return nil, fmt.Errorf("axis %d out of range for rank %d", axes[i], rank)
		}
		if seen[a] {
			return nil, fmt.Errorf("axis %d given twice", axes[i])
		}
		seen[a] = true
		out[i] = a
	}
	sort.Ints(out)
	return out, nil
}

func identityLabels(rank int) []int {
	l := make([]int, rank)
	for i := range l {
		l[i] = i
	}
	return l
}

// allAxesIfNone is numpy's axis=None: no axes given means every axis.
func allAxesIfNone(rank int, axes []int) []int {
	if len(axes) == 0 {
		return identityLabels(rank)
	}
	return axes
}

// Sum reduces c over axes (negative axes count from the end; none given
// means every axis, as numpy's axis=None) with an einsum.
func Sum(name string, c Circuit, axes ...int) (*Einsum, error) {
	axes = allAxesIfNone(c.Rank(), axes)
	ax, err := canonAxes(c.Rank(), axes)
	if err != nil {
		return nil, nodeErr(KindEinsum, name, "sum of %s: %v", Label(c), err)
	}
	drop := map[int]bool{}
	for _, a := range ax {
		drop[a] = true
	}
	var out []int
	for i := 0; i < c.Rank(); i++ {
		if !drop[i] {
			out = append(out, i)
		}
	}
	return NewEinsum(name, [][]int{identityLabels(c.Rank())}, out, c)
}

// Mean averages c over axes (none given means every axis): a sum times
// the scalar 1/n.
func Mean(name string, c Circuit, axes ...int) (*Einsum, error) {
	axes = allAxesIfNone(c.Rank(), axes)
	ax, err := canonAxes(c.Rank(), axes)
	if err != nil {
		return nil, nodeErr(KindEinsum, name, "mean of %s: %v", Label(c), err)
	}
	n := 1
	drop := map[int]bool{}
	for _, a := range ax {
		n *= c.Shape()[a]
		drop[a] = true
	}
	if n == 0 {
		return nil, nodeErr(KindEinsum, name, "mean of %s over an empty axis", Label(c))
	}
	var out []int
	for i := 0; i < c.Rank(); i++ {
		if !drop[i] {
			out = append(out, i)
		}
	}
	s, err := NewScalar(1/float64(n), nil, "")
	if err != nil {
		return nil, err
	}
	return NewEinsum(name, [][]int{identityLabels(c.Rank()), {}}, out, c, s)
}

// Mul multiplies its operands elementwise with numpy broadcasting, as an
// einsum. Output axis i has label i; a size-1 operand axis that broadcasts
// against a larger size is indexed away first, since einsum labels must
// agree in size.
func Mul(name string, cs ...Circuit) (*Einsum, error) {
	shapes := make([][]int, len(cs))
	for i, c := range cs {
		if c == nil {
			return nil, nodeErr(KindEinsum, name, "operand %d is nil", i)
		}
		shapes[i] = c.Shape()
	}
	r := 0
	for _, s := range shapes {
		r = max(r, len(s))
	}
	out := identityLabels(r)
	full := make([]int, r)
	for i := range full {
		full[i] = 1
		for _, s := range shapes {
			j := i - (r - len(s))
			if j >= 0 && s[j] != 1 {
				if full[i] != 1 && full[i] != s[j] {
					return nil, nodeErr(KindEinsum, name, "operands are not broadcastable: %s", childShapes(cs))
				}
				full[i] = s[j]
			}
		}
	}
	axes := make([][]int, len(cs))
	var squeeze []Circuit
	for k, s := range shapes {
		lead := r - len(s)
		var labels []int
		var keep []AxisIndex
		needIdx := false
		for j, d := range s {
			if d == 1 && full[lead+j] != 1 {
				// a broadcast size-1 axis: index it away
				keep = append(keep, Int(0))
				needIdx = true
				continue
			}
			keep = append(keep, All())
			labels = append(labels, lead+j)
		}
		c := cs[k]
		if needIdx {
			x, err := NewIndex("", keep, c)
			if err != nil {
				return nil, err
			}
			c = x
		}
		squeeze = append(squeeze, c)
		if labels == nil {
			labels = []int{}
		}
		axes[k] = labels
	}
	return NewEinsum(name, axes, out, squeeze...)
}

// ScalarMul multiplies c by a constant.
func ScalarMul(name string, c Circuit, v float64) (*Einsum, error) {
	s, err := NewScalar(v, nil, "")
	if err != nil {
		return nil, err
	}
	l := identityLabels(c.Rank())
	return NewEinsum(name, [][]int{l, {}}, l, c, s)
}

// Sub is a - b with broadcasting: an Add of a and (-1)·b.
func Sub(name string, a, b Circuit) (*Add, error) {
	neg, err := ScalarMul("", b, -1)
	if err != nil {
		return nil, err
	}
	return NewAdd(name, a, neg)
}

// Linear is x·Wᵀ + b for a weight W of shape [out, in] and a bias b of shape
// [out] (nil for none), PyTorch's nn.Linear. Leading axes of x are batch axes.
func Linear(name string, x, w, b Circuit) (Circuit, error) {
	if w.Rank() != 2 {
		return nil, fmt.Errorf("linear %q: weight %s must have rank 2, has shape %s", name, Label(w), shapeString(w.Shape()))
	}
	if x.Rank() < 1 {
		return nil, fmt.Errorf("linear %q: input %s must have rank at least 1", name, Label(x))
	}
	r := x.Rank()
	xl := identityLabels(r)
	o := r
	wl := []int{o, r - 1}
	out := append(cloneInts(xl[:r-1]), o)
	ename := ""
	if b == nil {
		ename = name
	}
	e, err := NewEinsum(ename, [][]int{xl, wl}, out, x, w)
	if err != nil {
		return nil, fmt.Errorf("linear %q: %w", name, err)
	}
	if b == nil {
		return e, nil
	}
	if b.Rank() != 1 || b.Shape()[0] != w.Shape()[0] {
		return nil, fmt.Errorf("linear %q: bias %s has shape %s, want [%d]", name, Label(b), shapeString(b.Shape()), w.Shape()[0])
	}
	return NewAdd(name, e, b)
}

// Unsqueeze inserts size-1 axes at the given output positions.
func Unsqueeze(name string, c Circuit, axes ...int) (*Rearrange, error) {
	rank := c.Rank() + len(axes)
	ax, err := canonAxes(rank, axes)
	if err != nil {
		return nil, nodeErr(KindRearrange, name, "unsqueeze of %s: %v", Label(c), err)
	}
	at := map[int]bool{}
	for _, a := range ax {
		at[a] = true
	}
	sp := RearrangeSpec{}
	for j := 0; j < c.Rank(); j++ {
		sp.Sizes = append(sp.Sizes, -1)
		sp.In = append(sp.In, []int{j})
	}
	j := 0
	for i := 0; i < rank; i++ {
		if at[i] {
			sp.Out = append(sp.Out, []int{})
			continue
		}
		sp.Out = append(sp.Out, []int{j})
		j++
	}
	return NewRearrange(name, sp, c)
}

// Squeeze removes the given size-1 axes (all size-1 axes when none are given).
func Squeeze(name string, c Circuit, axes ...int) (*Rearrange, error) {
	if len(axes) == 0 {
		for i, d := range c.Shape() {
			if d == 1 {
				axes = append(axes, i)
			}
		}
	}
	ax, err := canonAxes(c.Rank(), axes)
	if err != nil {
		return nil, nodeErr(KindRearrange, name, "squeeze of %s: %v", Label(c), err)
	}
	at := map[int]bool{}
	for _, a := range ax {
		if c.Shape()[a] != 1 {
			return nil, nodeErr(KindRearrange, name, "squeeze of %s: axis %d has size %d, not 1", Label(c), a, c.Shape()[a])
		}
		at[a] = true
	}
	sp := RearrangeSpec{}
	for j := 0; j < c.Rank(); j++ {
		if at[j] {
			sp.In = append(sp.In, []int{})
			continue
		}
		sp.Sizes = append(sp.Sizes, -1)
		id := len(sp.Sizes) - 1
		sp.In = append(sp.In, []int{id})
		sp.Out = append(sp.Out, []int{id})
	}
	return NewRearrange(name, sp, c)
}

// Flatten merges all axes into one.
func Flatten(name string, c Circuit) (*Rearrange, error) {
	sp := RearrangeSpec{Out: [][]int{{}}}
	for j := 0; j < c.Rank(); j++ {
		sp.Sizes = append(sp.Sizes, -1)
		sp.In = append(sp.In, []int{j})
		sp.Out[0] = append(sp.Out[0], j)
	}
	return NewRearrange(name, sp, c)
}

// Permute reorders axes: result axis i is input axis perm[i].
func Permute(name string, c Circuit, perm ...int) (*Rearrange, error) {
	if len(perm) != c.Rank() {
		return nil, nodeErr(KindRearrange, name, "permutation %v for rank %d", perm, c.Rank())
	}
	sp := RearrangeSpec{}
	for j := range perm {
		sp.Sizes = append(sp.Sizes, -1)
		sp.In = append(sp.In, []int{j})
	}
	seen := map[int]bool{}
	for _, p := range perm {
		if p < 0 || p >= len(perm) || seen[p] {
			return nil, nodeErr(KindRearrange, name, "%v is not a permutation", perm)
		}
		seen[p] = true
		sp.Out = append(sp.Out, []int{p})
	}
	return NewRearrange(name, sp, c)
}
