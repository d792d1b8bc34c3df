package tensor

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func rnd(t *testing.T, seed uint64, shape ...int) *Tensor {
	t.Helper()
	x, err := RandN(Float64, shape, seed)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func at(t *testing.T, x *Tensor, idx ...int) float64 {
	t.Helper()
	v, err := x.At(idx...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func einsumSpec(t *testing.T, spec string, sizes map[int]int, ins ...*Tensor) *Tensor {
	t.Helper()
	inL, outL, err := ParseEinsumSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Einsum(ins, inL, outL, sizes)
	if err != nil {
		t.Fatalf("%s: %v", spec, err)
	}
	return out
}

func TestEinsumMatmulTraceOuter(t *testing.T) {
	must := mk(t)
	a, b := rnd(t, 1, 3, 4), rnd(t, 2, 4, 5)
	got := einsumSpec(t, "ab,bc->ac", nil, a, b)
	want := make([]float64, 0, 15)
	for i := 0; i < 3; i++ {
		for k := 0; k < 5; k++ {
			s := 0.0
			for j := 0; j < 4; j++ {
				s += at(t, a, i, j) * at(t, b, j, k)
			}
			want = append(want, s)
		}
	}
	expect(t, got, Float64, []int{3, 5}, want...)
	// the transposed output and transposed inputs
	got = einsumSpec(t, "ba,cb->ca", nil, must(a.Permute([]int{1, 0})), must(b.Permute([]int{1, 0})))
	expect(t, must(got.Permute([]int{1, 0})).Contiguous(), Float64, []int{3, 5}, want...)

	sq := rnd(t, 3, 4, 4)
	tr := 0.0
	for i := 0; i < 4; i++ {
		tr += at(t, sq, i, i)
	}
	expect(t, einsumSpec(t, "aa->", nil, sq), Float64, []int{}, tr)
	expect(t, einsumSpec(t, "aa->a", nil, sq), Float64, []int{4}, at(t, sq, 0, 0), at(t, sq, 1, 1), at(t, sq, 2, 2), at(t, sq, 3, 3))

	u, v := rnd(t, 4, 2), rnd(t, 5, 3)
	var outer []float64
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			outer = append(outer, at(t, u, i)*at(t, v, j))
		}
	}
	expect(t, einsumSpec(t, "a,b->ab", nil, u, v), Float64, []int{2, 3}, outer...)
	// full contraction of three operands: sum_ijk u_i M_ij v_j w_k
	m, w := rnd(t, 6, 2, 3), rnd(t, 7, 4)
	s := 0.0
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 4; k++ {
				s += at(t, u, i) * at(t, m, i, j) * at(t, v, j) * at(t, w, k)
			}
		}
	}
	expect(t, einsumSpec(t, "a,ab,b,c->", nil, u, m, v, w), Float64, []int{}, s)
}

func TestEinsumDiagonalBroadcastEmbed(t *testing.T) {
	must := mk(t)
	// a label repeated within an input over three axes, kept and summed
	x := rnd(t, 8, 3, 2, 3, 3)
	var want []float64
	for j := 0; j < 2; j++ {
		s := 0.0
		for i := 0; i < 3; i++ {
			s += at(t, x, i, j, i, i)
		}
		want = append(want, s)
	}
	expect(t, einsumSpec(t, "abaa->b", nil, x), Float64, []int{2}, want...)

	// a label only in the output broadcasts with the size from sizes
	v := f64(t, []int{2}, 1, 2)
	expect(t, einsumSpec(t, "a->ab", map[int]int{1: 3}, v), Float64, []int{2, 3}, 1, 1, 1, 2, 2, 2)
	expect(t, einsumSpec(t, "a->ba", map[int]int{1: 2}, v), Float64, []int{2, 2}, 1, 2, 1, 2)

	// a repeated output label embeds a diagonal
	expect(t, einsumSpec(t, "a->aa", nil, f64(t, []int{3}, 1, 2, 3)), Float64, []int{3, 3},
		1, 0, 0, 0, 2, 0, 0, 0, 3)
	// embed plus a summed label: out[i,i,j] = sum_k m[i,k] n[k,j]
	m, n := rnd(t, 9, 2, 3), rnd(t, 10, 3, 2)
	got := einsumSpec(t, "ak,kb->aab", nil, m, n)
	for i := 0; i < 2; i++ {
		for i2 := 0; i2 < 2; i2++ {
			for j := 0; j < 2; j++ {
				w := 0.0
				if i == i2 {
					for k := 0; k < 3; k++ {
						w += at(t, m, i, k) * at(t, n, k, j)
					}
				}
				if g := at(t, got, i, i2, j); abs(g-w) > 1e-12 {
					t.Fatalf("aab[%d,%d,%d] = %v, want %v", i, i2, j, g, w)
				}
			}
		}
	}
	// broadcast-only output label repeated: identity matrix of size 3 times 2
	expect(t, einsumSpec(t, "->aa", map[int]int{0: 2}), Float64, []int{2, 2}, 1, 0, 0, 1)
	// zero inputs, no output: scalar 1
	expect(t, must(Einsum(nil, nil, nil, nil)), Float64, []int{}, 1)
	// a rank-0 operand in the middle
	expect(t, einsumSpec(t, "a,,a->", nil, v, ScalarOf(Float64, 3), v), Float64, []int{}, 15)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestEinsumDTypes(t *testing.T) {
	must := mk(t)
	a := f32(t, []int{2, 2}, 1, 2, 3, 4)
	b := f32(t, []int{2}, 1, 1)
	expect(t, einsumSpec(t, "ab,b->a", nil, a, b), Float32, []int{2}, 3, 7)
	expect(t, einsumSpec(t, "ab,b->a", nil, a, b.Cast(Float64)), Float64, []int{2}, 3, 7)
	ai := i64(t, []int{2, 2}, 1, 2, 3, 4)
	expect(t, einsumSpec(t, "ab,ab->", nil, ai, ai), Int64, []int{}, 30)
	expect(t, einsumSpec(t, "ab,ab->", nil, ai, a), Float32, []int{}, 30)
	// zero-size label: the sum is empty
	z := must(Zeros(Float64, []int{3, 0}))
	expect(t, einsumSpec(t, "ab->a", nil, z), Float64, []int{3}, 0, 0, 0)
}

func TestEinsumErrors(t *testing.T) {
	a := arange(t, 2, 3)
	cases := []struct {
		name  string
		ins   []*Tensor
		inL   [][]int
		outL  []int
		sizes map[int]int
		msg   string
	}{
		{"count", []*Tensor{a}, nil, nil, nil, "label lists"},
		{"rank", []*Tensor{a}, [][]int{{0}}, nil, nil, "rank 2"},
		{"size clash", []*Tensor{a, a}, [][]int{{0, 1}, {1, 0}}, nil, nil, "label 1 has size 3"},
		{"diag clash", []*Tensor{a}, [][]int{{0, 0}}, nil, nil, "label 0 has size 2"},
		{"sizes clash", []*Tensor{a}, [][]int{{0, 1}}, []int{0}, map[int]int{0: 5}, "label 0 has size 2 in the inputs but 5"},
		{"no size", []*Tensor{a}, [][]int{{0, 1}}, []int{0, 7}, nil, "output label 7"},
		{"negative size", nil, nil, []int{7}, map[int]int{7: -1}, "negative size"},
	}
	for _, c := range cases {
		_, err := Einsum(c.ins, c.inL, c.outL, c.sizes)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.msg)
		}
	}
}

func TestParseEinsumSpec(t *testing.T) {
	cases := []struct {
		spec string
		in   [][]int
		out  []int
	}{
		{"ab,bc->ac", [][]int{{0, 1}, {1, 2}}, []int{0, 2}},
		{" a b , b c -> a c ", [][]int{{0, 1}, {1, 2}}, []int{0, 2}},
		{"->", [][]int{}, []int{}},
		{"->z", [][]int{}, []int{25}},
		{"ab,,c->", [][]int{{0, 1}, {}, {2}}, []int{}},
		{"aA->Za", [][]int{{0, 26}}, []int{51, 0}},
		{"a->ab", [][]int{{0}}, []int{0, 1}},
	}
	for _, c := range cases {
		in, out, err := ParseEinsumSpec(c.spec)
		if err != nil {
			t.Fatalf("%q: %v", c.spec, err)
		}
		if !slices.EqualFunc(in, c.in, slices.Equal[[]int]) || !slices.Equal(out, c.out) {
			t.Fatalf("%q: got %v -> %v, want %v -> %v", c.spec, in, out, c.in, c.out)
		}
	}
	for _, bad := range []string{"ab", "ab->c->d", "a1->a", "...a->a", "ab->é", "a-b>c", ""} {
		if _, _, err := ParseEinsumSpec(bad); err == nil {
			t.Errorf("%q: expected an error", bad)
		}
	}
}

func FuzzParseEinsumSpec(f *testing.F) {
	for _, s := range []string{"ab,bc->ac", "->", "ab,,c->", "aa->a", "a->aa", " a b -> b ", "abc", "a,b->->", "Zz->zZ", "a\x00->"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		in, out, err := ParseEinsumSpec(spec)
		if err != nil {
			return
		}
		for _, ls := range append(slices.Clone(in), out) {
			for _, l := range ls {
				if l < 0 || l >= 52 {
					t.Fatalf("%q: label %d out of range", spec, l)
				}
			}
		}
		// printing and re-parsing is a fixed point
		text := FormatEinsumSpec(in, out, nil)
		in2, out2, err := ParseEinsumSpec(text)
		if err != nil {
			t.Fatalf("%q reprinted as %q: %v", spec, text, err)
		}
		if !slices.EqualFunc(in, in2, slices.Equal[[]int]) || !slices.Equal(out, out2) {
			t.Fatalf("%q: round trip through %q changed the labels", spec, text)
		}
	})
}

func BenchmarkEinsumRef(b *testing.B) {
	x, _ := RandN(Float64, []int{32, 64, 48}, 1)
	y, _ := RandN(Float64, []int{32, 48, 40}, 2)
	in := [][]int{{0, 1, 2}, {0, 2, 3}}
	out := []int{0, 1, 3}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Einsum([]*Tensor{x, y}, in, out, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// A product of -0 stays -0, as multiplying gives it (numpy's einsum, the
// fast executor's product kernels); a sum starts from +0, as GEMMs do.
func TestEinsumSignOfZero(t *testing.T) {
	negZero := math.Copysign(0, -1)
	a, err := FromFloat64([]int{1, 2}, []float64{0, negZero})
	if err != nil {
		t.Fatal(err)
	}
	b, err := FromFloat64([]int{2}, []float64{-1, -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, dt := range []DType{Float64, Float32} {
		prod, err := Einsum([]*Tensor{a.Cast(dt), b.Cast(dt)}, [][]int{{0, 1}, {1}}, []int{0, 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// 0·-1 = -0, -0·-1 = +0
		if got := prod.Float64s(); !math.Signbit(got[0]) || math.Signbit(got[1]) {
			t.Errorf("%v product: %v, want [-0 0] (signs %v %v)", dt, got, math.Signbit(got[0]), math.Signbit(got[1]))
		}
		sum, err := Einsum([]*Tensor{a.Cast(dt), b.Cast(dt)}, [][]int{{0, 1}, {1}}, []int{0}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := sum.Float64s(); math.Signbit(got[0]) {
			t.Errorf("%v sum: %v, want +0", dt, got)
		}
	}
}
