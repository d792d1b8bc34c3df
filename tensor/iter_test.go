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

// TestRowLoopRangesAndOffsets checks the exported walk against offsets
// computed by hand from the uncoalesced index: every sub-range [lo, hi)
// visits exactly rows lo..hi-1 of the full walk, Offsets agrees with Each,
// and SplitRange's pieces tile the range.
func TestRowLoopRangesAndOffsets(t *testing.T) {
	// shape [2,3,4]: operand 0 contiguous, operand 1 the [4,3,2] transpose
	// (strides 1,2,6 reading a contiguous [4,3,2]), operand 2 broadcast
	// along axis 1.
	shape := []int{2, 3, 4}
	s0, s1, s2 := []int{12, 4, 1}, []int{1, 2, 6}, []int{4, 0, 1}
	l := NewRowLoop(shape, s0, s1, s2)
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
	e := NewRowLoop([]int{3, 0, 2}, []int{0, 2, 1})
	n := 0
	e.Each(0, 5, []int{0}, func([]int) { n++ })
	if e.Rows() != 0 || n != 0 {
		t.Fatalf("empty: rows=%d visited=%d", e.Rows(), n)
	}
}

// BenchmarkRowKernels times kernels that walk their operands row by row
// (elementwise add on contiguous and transposed operands, sums over either
// axis, a copy of a transposed view) on 512×512 float32.
func BenchmarkRowKernels(b *testing.B) {
	x, _ := RandN(Float32, []int{512, 512}, 1)
	y, _ := RandN(Float32, []int{512, 512}, 2)
	yt, _ := y.Permute([]int{1, 0})
	cases := []struct {
		name string
		f    func() (*Tensor, error)
	}{
		{"add", func() (*Tensor, error) { return Binary(OpAdd, x, y) }},
		{"addT", func() (*Tensor, error) { return Binary(OpAdd, x, yt) }},
		{"sum0", func() (*Tensor, error) { return Sum(x, []int{0}, false) }},
		{"sum1", func() (*Tensor, error) { return Sum(x, []int{1}, false) }},
		{"copyT", func() (*Tensor, error) { return yt.Contiguous(), nil }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
