package rowloop

import (
	"slices"
	"testing"
)

func TestLoopCoalesces(t *testing.T) {
	// contiguous operands collapse to one row
	s := []int{12, 4, 1}
	l := New([]int{2, 3, 4}, s, s)
	if l.n != 24 || len(l.outer) != 0 {
		t.Fatalf("contiguous: n=%d outer=%v", l.n, l.outer)
	}
	// a transposed operand blocks merging; size-1 axes vanish
	l = New([]int{2, 1, 3}, []int{3, 99, 1}, []int{1, 7, 2})
	if l.n != 3 || !slices.Equal(l.outer, []int{2}) || !slices.Equal(l.inner, []int{1, 2}) {
		t.Fatalf("transposed: n=%d outer=%v inner=%v", l.n, l.outer, l.inner)
	}
	var rows [][]int
	l.Each(0, l.Rows(), []int{0, 10}, func(p []int) { rows = append(rows, slices.Clone(p)) })
	if !slices.EqualFunc(rows, [][]int{{0, 10}, {3, 11}}, slices.Equal[[]int]) {
		t.Fatalf("rows %v", rows)
	}
	// zero-size shapes visit nothing; rank 0 visits one row of length 1
	n := 0
	New([]int{3, 0}, []int{0, 1}).Each(0, 1<<30, []int{0}, func([]int) { n++ })
	New(nil, []int{}).Each(0, 1<<30, []int{0}, func([]int) { n += 10 })
	if n != 10 {
		t.Fatalf("visited %d", n)
	}
}

// TestLoopRangesAndOffsets checks the exported walk against offsets
// computed by hand from the uncoalesced index: every sub-range [lo, hi)
// visits exactly rows lo..hi-1 of the full walk, Offsets agrees with Each,
// and SplitRange's pieces tile the range.
func TestLoopRangesAndOffsets(t *testing.T) {
	// shape [2,3,4]: operand 0 contiguous, operand 1 the [4,3,2] transpose
	// (strides 1,2,6 reading a contiguous [4,3,2]), operand 2 broadcast
	// along axis 1.
	shape := []int{2, 3, 4}
	s0, s1, s2 := []int{12, 4, 1}, []int{1, 2, 6}, []int{4, 0, 1}
	l := New(shape, s0, s1, s2)
	if l.Rows() != 6 || l.RowLen() != 4 || !slices.Equal(l.Outer(), []int{2, 3}) {
		t.Fatalf("rows=%d n=%d outer=%v", l.Rows(), l.RowLen(), l.Outer())
	}
	if l.Stride(0) != 1 || l.Stride(1) != 6 || l.Stride(2) != 1 || l.OuterStride(1, 0) != 1 || l.OuterStride(2, 1) != 0 {
		t.Fatalf("strides %d %d %d", l.Stride(0), l.Stride(1), l.Stride(2))
	}
	base := []int{100, 200, 300}
	var want [][]int
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			want = append(want, []int{100 + 12*i + 4*j, 200 + i + 2*j, 300 + 4*i})
		}
	}
	for lo := 0; lo <= 6; lo++ {
		for hi := lo; hi <= 7; hi++ {
			var got [][]int
			l.Each(lo, hi, base, func(p []int) { got = append(got, slices.Clone(p)) })
			w := want[lo:min(hi, 6)]
			if !slices.EqualFunc(got, w, slices.Equal[[]int]) {
				t.Fatalf("Each(%d,%d) = %v, want %v", lo, hi, got, w)
			}
		}
	}
	offs := make([]int, 3)
	for r, w := range want {
		l.Offsets(r, base, offs)
		if !slices.Equal(offs, w) {
			t.Fatalf("Offsets(%d) = %v, want %v", r, offs, w)
		}
	}
	for _, parts := range []int{1, 2, 3, 4, 7} {
		next := 3
		for c := 0; c < parts; c++ {
			lo, hi := SplitRange(3, 20, parts, c)
			if lo != next || hi < lo || hi-lo > 17/parts+1 || hi-lo < 17/parts {
				t.Fatalf("SplitRange(3,20,%d,%d) = [%d,%d)", parts, c, lo, hi)
			}
			next = hi
		}
		if next != 20 {
			t.Fatalf("parts=%d end at %d", parts, next)
		}
	}
	// an empty shape has no rows, whatever range is asked for
	e := New([]int{3, 0, 2}, []int{0, 2, 1})
	n := 0
	e.Each(0, 5, []int{0}, func([]int) { n++ })
	if e.Rows() != 0 || n != 0 {
		t.Fatalf("empty: rows=%d visited=%d", e.Rows(), n)
	}
}
