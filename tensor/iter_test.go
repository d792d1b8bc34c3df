package tensor

import (
	"slices"
	"testing"
)

func TestRowLoopCoalesces(t *testing.T) {
	// contiguous operands collapse to one row
	s := ContiguousStrides([]int{2, 3, 4})
	l := newRowLoop([]int{2, 3, 4}, s, s)
	if l.n != 24 || len(l.outer) != 0 {
		t.Fatalf("contiguous: n=%d outer=%v", l.n, l.outer)
	}
	// a transposed operand blocks merging; size-1 axes vanish
	l = newRowLoop([]int{2, 1, 3}, []int{3, 99, 1}, []int{1, 7, 2})
	if l.n != 3 || !slices.Equal(l.outer, []int{2}) || !slices.Equal(l.inner, []int{1, 2}) {
		t.Fatalf("transposed: n=%d outer=%v inner=%v", l.n, l.outer, l.inner)
	}
	var rows [][]int
	l.each([]int{0, 10}, func(p []int) { rows = append(rows, slices.Clone(p)) })
	if !slices.EqualFunc(rows, [][]int{{0, 10}, {3, 11}}, slices.Equal[[]int]) {
		t.Fatalf("rows %v", rows)
	}
	// zero-size shapes visit nothing; rank 0 visits one row of length 1
	n := 0
	newRowLoop([]int{3, 0}, []int{0, 1}).each([]int{0}, func([]int) { n++ })
	newRowLoop(nil, []int{}).each([]int{0}, func([]int) { n += 10 })
	if n != 10 {
		t.Fatalf("visited %d", n)
	}
}
