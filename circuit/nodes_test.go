package circuit

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gonum.org/v1/gonum/mat"

	"github.com/circopt/circopt/tensor"
)

// Shared test utilities for the circuit package's tests.

// approx compares float slices with a relative and absolute tolerance.
var approx = cmpopts.EquateApprox(1e-12, 1e-12)

// must unwraps a constructor result that the test expects to succeed; an
// error panics, which fails the test with a stack pointing at the call.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

func tensorOf(t testing.TB, shape []int, data ...float64) *tensor.Tensor {
	t.Helper()
	return must(tensor.FromFloat64(shape, data))
}

// mkArr is a float64 Array of the given shape and data.
func mkArr(t testing.TB, name string, shape []int, data ...float64) *Array {
	t.Helper()
	return must(NewArray(tensorOf(t, shape, data...), name))
}

// seq is 0, 1, 2, ... n-1 (plus offset).
func seq(n int, offset float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i) + offset
	}
	return out
}

// iotaArr is an Array whose flat entries are 0, 1, 2, ...
func iotaArr(t testing.TB, name string, shape ...int) *Array {
	t.Helper()
	return mkArr(t, name, shape, seq(numel(shape), 0)...)
}

// randArr is a float64 standard-normal Array.
func randArr(t testing.TB, name string, seed uint64, shape ...int) *Array {
	t.Helper()
	return must(RandArray(shape, seed, tensor.Float64, name))
}

func mkSym(t testing.TB, name string, shape ...int) *Symbol {
	t.Helper()
	return must(NewSymbol(shape, "", name))
}

// eval64 evaluates c in float64 and returns its shape and flat data.
func eval64(t testing.TB, c Circuit, bind map[string]*tensor.Tensor) ([]int, []float64) {
	t.Helper()
	v, err := Evaluate(c, EvalOptions{DType: tensor.Float64, Bindings: bind})
	if err != nil {
		t.Fatal(err)
	}
	if v.DType() != tensor.Float64 {
		t.Fatalf("float64 evaluation returned %v", v.DType())
	}
	return v.Shape(), v.Float64s()
}

// checkValue evaluates c and compares shape and values.
func checkValue(t testing.TB, c Circuit, wantShape []int, want []float64) {
	t.Helper()
	if !slices.Equal(c.Shape(), wantShape) {
		t.Fatalf("%s: node shape %v, want %v", Label(c), c.Shape(), wantShape)
	}
	shape, got := eval64(t, c, nil)
	if !slices.Equal(shape, wantShape) {
		t.Fatalf("%s: value shape %v, want %v", Label(c), shape, wantShape)
	}
	if d := cmp.Diff(want, got, approx); d != "" {
		t.Fatalf("%s: value mismatch (-want +got):\n%s", Label(c), d)
	}
}

// wantErr fails unless err is non-nil and mentions every fragment.
func wantErr(t testing.TB, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected an error mentioning %q, got none", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Fatalf("error %q does not mention %q", err, f)
		}
	}
}

func ptr(i int) *int { return &i }

// ---- leaves ----

func TestArray(t *testing.T) {
	a := mkArr(t, "a", []int{2, 3}, 1, 2, 3, 4, 5, 6)
	checkValue(t, a, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6})
	if a.Kind() != KindArray || a.Name() != "a" || len(a.Children()) != 0 {
		t.Fatalf("array fields: kind %v name %q children %d", a.Kind(), a.Name(), len(a.Children()))
	}
	if _, err := NewArray(nil, "n"); err == nil {
		t.Fatal("nil tensor accepted")
	}
	if _, err := a.WithChildren([]Circuit{a}); err == nil {
		t.Fatal("array accepted a child")
	}
	// a rank-0 array
	s := mkArr(t, "s", []int{}, 7)
	checkValue(t, s, []int{}, []float64{7})
	// equal content gives an equal node; different content a different one
	if !Equal(a, mkArr(t, "a", []int{2, 3}, 1, 2, 3, 4, 5, 6)) {
		t.Error("equal arrays hash differently")
	}
	if Equal(a, mkArr(t, "a", []int{2, 3}, 1, 2, 3, 4, 5, 7)) {
		t.Error("different arrays hash equal")
	}
	if Equal(a, mkArr(t, "a", []int{3, 2}, 1, 2, 3, 4, 5, 6)) {
		t.Error("reshaped array hashes equal")
	}
}

func TestScalar(t *testing.T) {
	s := must(NewScalar(2.5, []int{2, 2}, "s"))
	checkValue(t, s, []int{2, 2}, []float64{2.5, 2.5, 2.5, 2.5})
	s0 := must(NewScalar(-1, nil, ""))
	checkValue(t, s0, []int{}, []float64{-1})
	if _, err := NewScalar(1, []int{2, -1}, "bad"); err == nil {
		t.Fatal("negative dimension accepted")
	}
	if Equal(s, must(NewScalar(2, []int{2, 2}, "s"))) {
		t.Error("scalars of different values hash equal")
	}
	if Equal(s, must(NewScalar(2.5, []int{4}, "s"))) {
		t.Error("scalars of different shapes hash equal")
	}
}

func TestSymbolBinding(t *testing.T) {
	const id = "0123abcd-0000-4000-8000-00000000beef"
	s := must(NewSymbol([]int{2}, id, "x"))
	if s.UUID != id {
		t.Fatalf("uuid %q", s.UUID)
	}
	val := tensorOf(t, []int{2}, 3, 4)
	// by name
	_, got := eval64(t, s, map[string]*tensor.Tensor{"x": val})
	if d := cmp.Diff([]float64{3, 4}, got); d != "" {
		t.Fatal(d)
	}
	// by uuid
	_, got = eval64(t, s, map[string]*tensor.Tensor{id: val})
	if d := cmp.Diff([]float64{3, 4}, got); d != "" {
		t.Fatal(d)
	}
	// an unnamed symbol binds by uuid only
	u := must(NewSymbol([]int{2}, strings.ToUpper(id), ""))
	if u.UUID != id {
		t.Fatalf("uuid not lower-cased: %q", u.UUID)
	}
	_, got = eval64(t, u, map[string]*tensor.Tensor{id: val})
	if d := cmp.Diff([]float64{3, 4}, got); d != "" {
		t.Fatal(d)
	}
	// a symbol used inside a larger circuit
	sum := must(NewAdd("", s, mkArr(t, "one", []int{}, 1)))
	_, got = eval64(t, sum, map[string]*tensor.Tensor{"x": val})
	if d := cmp.Diff([]float64{4, 5}, got); d != "" {
		t.Fatal(d)
	}

	_, err := Evaluate(sum, EvalOptions{DType: tensor.Float64})
	wantErr(t, err, "unbound", "x")
	_, err = Evaluate(s, EvalOptions{Bindings: map[string]*tensor.Tensor{"x": tensorOf(t, []int{3}, 1, 2, 3)}})
	wantErr(t, err, "shape", "[2]", "[3]")
	_, err = Evaluate(s, EvalOptions{Bindings: map[string]*tensor.Tensor{"x": tensorOf(t, []int{2, 1}, 1, 2)}})
	wantErr(t, err, "shape")

	if _, err := NewSymbol([]int{2}, "not-a-uuid", "x"); err == nil {
		t.Error("bad uuid accepted")
	}
	if _, err := NewSymbol([]int{-2}, "", "x"); err == nil {
		t.Error("negative shape accepted")
	}
	// fresh uuids differ, so fresh symbols differ
	a, b := mkSym(t, "x", 2), mkSym(t, "x", 2)
	if a.UUID == b.UUID || Equal(a, b) {
		t.Error("two fresh symbols are equal")
	}
	if _, err := ParseUUID(NewUUID()); err != nil {
		t.Errorf("NewUUID does not parse: %v", err)
	}
}

// ---- Add ----

func TestAdd(t *testing.T) {
	a := mkArr(t, "a", []int{2, 3}, 1, 2, 3, 4, 5, 6)
	row := mkArr(t, "r", []int{3}, 10, 20, 30)
	col := mkArr(t, "c", []int{2, 1}, 100, 200)
	one := mkArr(t, "one", []int{1, 3}, 1, 1, 1)
	sc := mkArr(t, "s", []int{}, 0.5)
	cases := []struct {
		name  string
		kids  []Circuit
		shape []int
		want  []float64
	}{
		{"same", []Circuit{a, a}, []int{2, 3}, []float64{2, 4, 6, 8, 10, 12}},
		{"right-aligned row", []Circuit{a, row}, []int{2, 3}, []float64{11, 22, 33, 14, 25, 36}},
		{"row first", []Circuit{row, a}, []int{2, 3}, []float64{11, 22, 33, 14, 25, 36}},
		{"column", []Circuit{a, col}, []int{2, 3}, []float64{101, 102, 103, 204, 205, 206}},
		{"row and column", []Circuit{row, col}, []int{2, 3}, []float64{110, 120, 130, 210, 220, 230}},
		{"size-1 leading", []Circuit{one, col}, []int{2, 3}, []float64{101, 101, 101, 201, 201, 201}},
		{"scalar", []Circuit{a, sc}, []int{2, 3}, []float64{1.5, 2.5, 3.5, 4.5, 5.5, 6.5}},
		{"three", []Circuit{a, row, sc}, []int{2, 3}, []float64{11.5, 22.5, 33.5, 14.5, 25.5, 36.5}},
		{"one child", []Circuit{row}, []int{3}, []float64{10, 20, 30}},
		{"no children", nil, []int{}, []float64{0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := must(NewAdd("sum", tc.kids...))
			checkValue(t, n, tc.shape, tc.want)
		})
	}
	_, err := NewAdd("bad", a, mkArr(t, "q", []int{2}, 1, 2))
	wantErr(t, err, "bad", "[2,3]", "[2]")
	_, err = NewAdd("nil", a, nil)
	wantErr(t, err, "nil")
	// WithChildren recomputes the shape
	n := must(NewAdd("sum", a, row))
	n2 := must(n.WithChildren([]Circuit{row, row}))
	if !slices.Equal(n2.Shape(), []int{3}) || n2.Name() != "sum" {
		t.Errorf("WithChildren: shape %v name %q", n2.Shape(), n2.Name())
	}
}

// ---- Einsum ----

func TestEinsumValues(t *testing.T) {
	A := randArr(t, "A", 1, 2, 3)
	B := randArr(t, "B", 2, 3, 4)
	M := iotaArr(t, "M", 3, 3)
	v := mkArr(t, "v", []int{3}, 1, 2, 3)
	w := mkArr(t, "w", []int{2}, 10, 20)
	X := randArr(t, "X", 3, 5, 2, 3)
	Y := randArr(t, "Y", 4, 5, 3, 4)

	// matmul through gonum
	var mm mat.Dense
	mm.Mul(mat.NewDense(2, 3, A.Value.Float64s()), mat.NewDense(3, 4, B.Value.Float64s()))
	// batch matmul through gonum, batch by batch
	var bmm []float64
	for b := 0; b < 5; b++ {
		var p mat.Dense
		p.Mul(mat.NewDense(2, 3, X.Value.Float64s()[b*6:b*6+6]), mat.NewDense(3, 4, Y.Value.Float64s()[b*12:b*12+12]))
		bmm = append(bmm, p.RawMatrix().Data...)
	}
	// A summed over its rows, by hand
	a := A.Value.Float64s()
	colSums := []float64{a[0] + a[3], a[1] + a[4], a[2] + a[5]}
	total := colSums[0] + colSums[1] + colSums[2]

	cases := []struct {
		name  string
		spec  string
		kids  []Circuit
		shape []int
		want  []float64
	}{
		{"matmul", "ab,bc->ac", []Circuit{A, B}, []int{2, 4}, mm.RawMatrix().Data},
		{"trace", "aa->", []Circuit{M}, []int{}, []float64{0 + 4 + 8}},
		{"diagonal", "aa->a", []Circuit{M}, []int{3}, []float64{0, 4, 8}},
		{"embed diagonal", "a->aa", []Circuit{v}, []int{3, 3}, []float64{1, 0, 0, 0, 2, 0, 0, 0, 3}},
		{"outer", "a,b->ab", []Circuit{w, v}, []int{2, 3}, []float64{10, 20, 30, 20, 40, 60}},
		{"batch", "bij,bjk->bik", []Circuit{X, Y}, []int{5, 2, 4}, bmm},
		{"sum rows", "ab->b", []Circuit{A}, []int{3}, colSums},
		{"sum all", "ab->", []Circuit{A}, []int{}, []float64{total}},
		{"transpose", "ab->ba", []Circuit{iotaArr(t, "T", 2, 3)}, []int{3, 2}, []float64{0, 3, 1, 4, 2, 5}},
		{"dot", "a,a->", []Circuit{v, v}, []int{}, []float64{14}},
		{"elementwise", "a,a->a", []Circuit{v, v}, []int{3}, []float64{1, 4, 9}},
		{"matvec", "ab,b->a", []Circuit{M, v}, []int{3}, []float64{0 + 2 + 6, 3 + 8 + 15, 6 + 14 + 24}},
		{"no operands", "->", nil, []int{}, []float64{1}},
		{"rank-0 operand", "->", []Circuit{mkArr(t, "s", []int{}, 3)}, []int{}, []float64{3}},
		{"scalar times", "a,->a", []Circuit{v, mkArr(t, "s", []int{}, 3)}, []int{3}, []float64{3, 6, 9}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := must(NewEinsumSpec("", tc.spec, tc.kids...))
			checkValue(t, e, tc.shape, tc.want)
			if got := e.Spec(); got != strings.ReplaceAll(tc.spec, " ", "") && tc.name != "batch" {
				t.Errorf("Spec() = %q, want %q", got, tc.spec)
			}
		})
	}
}

func TestEinsumErrors(t *testing.T) {
	A := iotaArr(t, "A", 2, 3)
	B := iotaArr(t, "B", 4, 4)
	cases := []struct {
		name string
		spec string
		kids []Circuit
		frag []string
	}{
		{"output label not in inputs", "ab->ac", []Circuit{A}, []string{"output axis c"}},
		{"size mismatch", "ab,bc->ac", []Circuit{A, B}, []string{"axis b", "size"}},
		{"diagonal size mismatch", "aa->a", []Circuit{A}, []string{"axis a"}},
		{"rank too large", "abc->a", []Circuit{A}, []string{"rank 2", "3 axes"}},
		{"rank too small", "a->a", []Circuit{A}, []string{"rank 2", "1 axes"}},
		{"operand count", "ab,bc->ac", []Circuit{A}, []string{"2 axis lists for 1 operands"}},
		{"bad spec", "a b->#", []Circuit{A}, []string{"bad einsum spec"}},
		{"missing arrow", "ab", []Circuit{A}, []string{"bad einsum spec"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewEinsumSpec("E", tc.spec, tc.kids...)
			wantErr(t, err, append([]string{"Einsum \"E\""}, tc.frag...)...)
		})
	}
	if _, err := NewEinsum("", [][]int{{0, 1}}, []int{0}, nil); err == nil {
		t.Error("nil operand accepted")
	}
}

func TestEinsumLabelsNormalized(t *testing.T) {
	A, B := iotaArr(t, "A", 2, 3), iotaArr(t, "B", 3, 4)
	e1 := must(NewEinsum("", [][]int{{7, 40}, {40, 3}}, []int{7, 3}, A, B))
	e2 := must(NewEinsumSpec("", "xy,yz->xz", A, B))
	if !Equal(e1, e2) {
		t.Errorf("relabelled einsums differ: %s vs %s", e1.Spec(), e2.Spec())
	}
	if e1.Spec() != "ab,bc->ac" {
		t.Errorf("spec %q", e1.Spec())
	}
	if got := e1.LabelSizes(); got[0] != 2 || got[1] != 3 || got[2] != 4 {
		t.Errorf("label sizes %v", got)
	}
	e3 := must(NewEinsumSpec("", "ab,bc->ca", A, B))
	if Equal(e1, e3) {
		t.Error("different output orders hash equal")
	}
}

// ---- Rearrange ----

func TestRearrangeValues(t *testing.T) {
	x62 := iotaArr(t, "x", 6, 2)
	x234 := iotaArr(t, "y", 2, 3, 4)
	v := mkArr(t, "v", []int{2}, 5, 7)

	// (a:2 b) c -> c a b: out[c,a,b] = x[a*3+b, c]
	var split []float64
	for c := 0; c < 2; c++ {
		for a := 0; a < 2; a++ {
			for b := 0; b < 3; b++ {
				split = append(split, float64((a*3+b)*2+c))
			}
		}
	}
	// a b c -> c a b: out[c,a,b] = y[a,b,c]
	var perm []float64
	for c := 0; c < 4; c++ {
		for a := 0; a < 2; a++ {
			for b := 0; b < 3; b++ {
				perm = append(perm, float64(a*12+b*4+c))
			}
		}
	}
	// a (b c) -> (c a) b on [2,3,4] merged as [2,12]: out[(c a), b] = y[a,b,c]
	var mixed []float64
	for c := 0; c < 4; c++ {
		for a := 0; a < 2; a++ {
			for b := 0; b < 3; b++ {
				mixed = append(mixed, float64(a*12+b*4+c))
			}
		}
	}
	y2x12 := mkArr(t, "m", []int{2, 12}, seq(24, 0)...)

	cases := []struct {
		name  string
		spec  string
		in    Circuit
		shape []int
		want  []float64
	}{
		{"split with size", "(a:2 b) c -> c a b", x62, []int{2, 2, 3}, split},
		{"split with second size", "(a b:3) c -> c a b", x62, []int{2, 2, 3}, split},
		{"repeat", "a -> a 3", v, []int{2, 3}, []float64{5, 5, 5, 7, 7, 7}},
		{"repeat in front", "a -> 3 a", v, []int{3, 2}, []float64{5, 7, 5, 7, 5, 7}},
		{"named repeat", "a -> a r:2", v, []int{2, 2}, []float64{5, 5, 7, 7}},
		{"repeat merged inner", "a -> (a r:2)", v, []int{4}, []float64{5, 5, 7, 7}},
		{"repeat merged outer (tile)", "a -> (r:3 a)", v, []int{6}, []float64{5, 7, 5, 7, 5, 7}},
		{"unit group in", "a () b -> b a", mkArr(t, "w", []int{2, 1, 2}, 1, 2, 3, 4), []int{2, 2}, []float64{1, 3, 2, 4}},
		{"drop unit axis", "() a -> a", mkArr(t, "u", []int{1, 3}, 1, 2, 3), []int{3}, []float64{1, 2, 3}},
		{"insert unit axis", "a -> a ()", v, []int{2, 1}, []float64{5, 7}},
		{"merge", "a b -> (a b)", iotaArr(t, "z", 2, 3), []int{6}, seq(6, 0)},
		{"merge transposed", "a b -> (b a)", iotaArr(t, "z", 2, 3), []int{6}, []float64{0, 3, 1, 4, 2, 5}},
		{"transpose", "a b -> b a", iotaArr(t, "z", 2, 3), []int{3, 2}, []float64{0, 3, 1, 4, 2, 5}},
		{"permute", "a b c -> c a b", x234, []int{4, 2, 3}, perm},
		{"split and merge", "a (b c:4) -> (c a) b", y2x12, []int{8, 3}, mixed},
		{"identity", "a b c -> a b c", x234, []int{2, 3, 4}, seq(24, 0)},
		{"rank 0 to repeat", " -> 2", mkArr(t, "s", []int{}, 9), []int{2}, []float64{9, 9}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := must(NewRearrangeString("", tc.spec, tc.in))
			checkValue(t, r, tc.shape, tc.want)
			// the canonical string parses back to an equal node
			r2 := must(NewRearrangeString("", r.Spec.String(), tc.in))
			if !Equal(r, r2) {
				t.Errorf("spec %q reprinted as %q gives a different node", tc.spec, r.Spec.String())
			}
		})
	}
}

func TestRearrangeSpecQueries(t *testing.T) {
	id := must(ParseRearrangeSpec("a b -> a b"))
	if !id.IsIdentity() || id.Permutation() == nil {
		t.Error("identity spec not recognized")
	}
	p := must(ParseRearrangeSpec("a b c -> c a b"))
	if p.IsIdentity() {
		t.Error("permutation reported as identity")
	}
	if d := cmp.Diff([]int{2, 0, 1}, p.Permutation()); d != "" {
		t.Error(d)
	}
	if must(ParseRearrangeSpec("(a b) -> a b")).Permutation() != nil {
		t.Error("split reported as permutation")
	}
	ps := PermuteSpec([]int{2, 0, 1})
	x := iotaArr(t, "x", 2, 3, 4)
	r1 := must(NewRearrange("", ps, x))
	r2 := must(NewRearrangeString("", "a b c -> c a b", x))
	_, v1 := eval64(t, r1, nil)
	_, v2 := eval64(t, r2, nil)
	if d := cmp.Diff(v2, v1); d != "" || !slices.Equal(r1.Shape(), []int{4, 2, 3}) {
		t.Errorf("PermuteSpec: shape %v diff %s", r1.Shape(), d)
	}
	r3 := must(NewRearrangeString("", "(a:2 b) c -> c a b", iotaArr(t, "x", 6, 2)))
	if d := cmp.Diff([]int{2, 3, 2}, r3.AxisSizes()); d != "" {
		t.Errorf("AxisSizes: %s", d)
	}
}

func TestRearrangeErrors(t *testing.T) {
	parseBad := []struct{ spec, frag string }{
		{"a b -> a", "dropped"},
		{"a b -> ", "dropped"},
		{"a a -> a", "twice on the left"},
		{"a b -> a b b", "twice on the right"},
		{"a b", "->"},
		{"a -> b -> c", "->"},
		{"a -> a b", "needs a size"},
		{"(a (b c)) -> a b c", "nested"},
		{"a) -> a", "unmatched"},
		{"(a b -> a b", "unclosed"},
		{"a:2 -> a:3", "sizes 2 and 3"},
		{"a + b -> a b", "unexpected character"},
		{"a:x -> a", "bad axis size"},
		{"_a -> _a", "bad axis name"},
		{"a -> a -3", "unexpected character"},
	}
	for _, tc := range parseBad {
		t.Run(tc.spec, func(t *testing.T) {
			_, err := ParseRearrangeSpec(tc.spec)
			wantErr(t, err, tc.frag)
			_, err = NewRearrangeString("R", tc.spec, iotaArr(t, "x", 2, 3))
			wantErr(t, err, "Rearrange \"R\"", tc.frag)
		})
	}
	x := iotaArr(t, "x", 6, 2)
	conformBad := []struct{ spec, frag string }{
		{"(a b) c -> c a b", "two axes of unknown size"},
		{"(a:4 b) c -> c a b", "does not divide by 4"},
		{"a b c -> a b c", "rank 2"},
		{"a:5 b -> a b", "needs 5"},
		{"() a -> a", "needs 1"},
		{"(a:2 b:2) c -> a b c", "needs 4"},
		// sizes whose product overflows int must not wrap into a small shape
		{"a c -> a c (b:4294967296 d:4294967296)", "elements"},
		{"a c -> a (c b:4294967296 d:4294967296)", "elements"},
		{"(a:4294967296 b:4294967296 c) d -> a b c d", "elements"},
	}
	for _, tc := range conformBad {
		t.Run(tc.spec, func(t *testing.T) {
			_, err := NewRearrangeString("R", tc.spec, x)
			wantErr(t, err, "Rearrange \"R\"", tc.frag)
		})
	}
	// a hand-built spec that skips the parser is still checked
	_, err := NewRearrange("R", RearrangeSpec{In: [][]int{{0}, {1}}, Out: [][]int{{0}}, Sizes: []int{-1, -1}}, iotaArr(t, "y", 2, 3))
	wantErr(t, err, "dropped")
	_, err = NewRearrange("R", RearrangeSpec{In: [][]int{{0}}, Out: [][]int{{5}}, Sizes: []int{-1}}, iotaArr(t, "y", 2))
	wantErr(t, err, "out of range")
	if _, err := NewRearrangeString("R", "a -> a", nil); err == nil {
		t.Error("nil child accepted")
	}
}

// ---- Index ----

func TestIndexValues(t *testing.T) {
	x := iotaArr(t, "x", 3, 4) // x[i,j] = 4i+j
	cases := []struct {
		name  string
		idx   []AxisIndex
		shape []int
		want  []float64
	}{
		{"int", []AxisIndex{Int(1)}, []int{4}, []float64{4, 5, 6, 7}},
		{"negative int", []AxisIndex{Int(-1)}, []int{4}, []float64{8, 9, 10, 11}},
		{"int on second axis", []AxisIndex{All(), Int(-2)}, []int{3}, []float64{2, 6, 10}},
		{"two ints", []AxisIndex{Int(2), Int(1)}, []int{}, []float64{9}},
		{"slice", []AxisIndex{Slice(1, 3)}, []int{2, 4}, seq(8, 4)},
		{"slice second axis", []AxisIndex{All(), Slice(1, 3)}, []int{3, 2}, []float64{1, 2, 5, 6, 9, 10}},
		{"negative slice", []AxisIndex{Slice(-2, -1)}, []int{1, 4}, []float64{4, 5, 6, 7}},
		{"stop clamped", []AxisIndex{Slice(-2, 100)}, []int{2, 4}, seq(8, 4)},
		{"start clamped", []AxisIndex{Slice(-10, 1)}, []int{1, 4}, seq(4, 0)},
		{"empty slice", []AxisIndex{Slice(2, 1)}, []int{0, 4}, []float64{}},
		{"start past end", []AxisIndex{Slice(7, 9)}, []int{0, 4}, []float64{}},
		{"open start", []AxisIndex{{Kind: IndexSlice, Stop: ptr(1)}}, []int{1, 4}, seq(4, 0)},
		{"open stop", []AxisIndex{{Kind: IndexSlice, Start: ptr(-1)}}, []int{1, 4}, seq(4, 8)},
		{"positions", []AxisIndex{Positions(2, 0)}, []int{2, 4}, []float64{8, 9, 10, 11, 0, 1, 2, 3}},
		{"orthogonal positions", []AxisIndex{Positions(2, 0), Positions(-1, 1)}, []int{2, 2}, []float64{11, 9, 3, 1}},
		{"repeated positions", []AxisIndex{Positions(1, 1, 1), Int(0)}, []int{3}, []float64{4, 4, 4}},
		{"empty positions", []AxisIndex{Positions()}, []int{0, 4}, []float64{}},
		{"mixed", []AxisIndex{Slice(0, 2), Positions(3, 0, 3)}, []int{2, 3}, []float64{3, 0, 3, 7, 4, 7}},
		{"int then positions", []AxisIndex{Int(-1), Positions(0, 3)}, []int{2}, []float64{8, 11}},
		{"empty index", nil, []int{3, 4}, seq(12, 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := must(NewIndex("", tc.idx, x))
			if len(n.Idx) != 2 {
				t.Errorf("index not padded to rank: %s", FormatIndex(n.Idx))
			}
			checkValue(t, n, tc.shape, tc.want)
		})
	}
	// a 3-d orthogonal gather against explicit loops
	y := iotaArr(t, "y", 3, 4, 5)
	p0, p2 := []int64{2, 0}, []int64{4, -5, 1}
	n := must(NewIndex("", []AxisIndex{Positions(p0...), Slice(1, 3), Positions(p2...)}, y))
	var want []float64
	for _, i := range p0 {
		for j := 1; j < 3; j++ {
			for _, k := range p2 {
				if k < 0 {
					k += 5
				}
				want = append(want, float64(int(i)*20+j*5+int(k)))
			}
		}
	}
	checkValue(t, n, []int{2, 2, 3}, want)
}

func TestIndexErrors(t *testing.T) {
	x := iotaArr(t, "x", 3, 4)
	cases := []struct {
		name string
		idx  []AxisIndex
		frag string
	}{
		{"int too big", []AxisIndex{Int(3)}, "out of range"},
		{"int too negative", []AxisIndex{Int(-4)}, "out of range"},
		{"second axis", []AxisIndex{All(), Int(4)}, "axis 1"},
		{"position too big", []AxisIndex{Positions(0, 3)}, "out of range"},
		{"position too negative", []AxisIndex{All(), Positions(-5)}, "out of range"},
		{"too many axes", []AxisIndex{Int(0), Int(0), Int(0)}, "rank 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewIndex("I", tc.idx, x)
			wantErr(t, err, "Index \"I\"", tc.frag)
		})
	}
	if _, err := NewIndex("I", nil, nil); err == nil {
		t.Error("nil child accepted")
	}
}

func TestIndexFormatParse(t *testing.T) {
	idx := []AxisIndex{Slice(0, 2), Int(-3), All(), Positions(1, 0), {Kind: IndexSlice, Start: ptr(-1)}}
	s := FormatIndex(idx)
	if s != "[0:2,-3,:,[1,0],-1:]" {
		t.Fatalf("FormatIndex = %q", s)
	}
	back := must(ParseIndex(s))
	if FormatIndex(back) != s {
		t.Fatalf("round trip %q -> %q", s, FormatIndex(back))
	}
	for _, bad := range []string{"0:2", "[1:2:3]", "[a]", "[[1,x]]", "[1,,2]", "[[1]"} {
		if _, err := ParseIndex(bad); err == nil {
			t.Errorf("ParseIndex(%q) accepted", bad)
		}
	}
}

// ---- Concat ----

func TestConcat(t *testing.T) {
	a := iotaArr(t, "a", 2, 2)            // 0 1 / 2 3
	b := mkArr(t, "b", []int{1, 2}, 7, 8) // 7 8
	c := mkArr(t, "c", []int{2, 1}, 5, 6)
	cases := []struct {
		name  string
		axis  int
		kids  []Circuit
		shape []int
		want  []float64
	}{
		{"axis 0", 0, []Circuit{a, b}, []int{3, 2}, []float64{0, 1, 2, 3, 7, 8}},
		{"axis 1", 1, []Circuit{a, c}, []int{2, 3}, []float64{0, 1, 5, 2, 3, 6}},
		{"negative axis", -1, []Circuit{c, a, c}, []int{2, 4}, []float64{5, 0, 1, 5, 6, 2, 3, 6}},
		{"negative axis -2", -2, []Circuit{b, a}, []int{3, 2}, []float64{7, 8, 0, 1, 2, 3}},
		{"single", 0, []Circuit{a}, []int{2, 2}, []float64{0, 1, 2, 3}},
		{"empty part", 0, []Circuit{a, mkArr(t, "e", []int{0, 2})}, []int{2, 2}, []float64{0, 1, 2, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := must(NewConcat("", tc.axis, tc.kids...))
			checkValue(t, n, tc.shape, tc.want)
			if n.Axis < 0 {
				t.Errorf("axis not normalized: %d", n.Axis)
			}
		})
	}
	errs := []struct {
		name string
		axis int
		kids []Circuit
		frag string
	}{
		{"off-axis mismatch", 0, []Circuit{a, c}, "differ off axis 0"},
		{"rank mismatch", 0, []Circuit{a, mkArr(t, "v", []int{2}, 1, 2)}, "different ranks"},
		{"axis too big", 2, []Circuit{a, a}, "out of range"},
		{"axis too negative", -3, []Circuit{a, a}, "out of range"},
		{"rank 0", 0, []Circuit{mkArr(t, "s", []int{}, 1)}, "out of range"},
		{"no children", 0, nil, "at least one"},
		{"nil child", 0, []Circuit{a, nil}, "nil"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewConcat("C", tc.axis, tc.kids...)
			wantErr(t, err, "Concat \"C\"", tc.frag)
		})
	}
	// -1 and 1 are the same node on rank 2
	if !Equal(must(NewConcat("", -1, a, c)), must(NewConcat("", 1, a, c))) {
		t.Error("axis -1 and 1 differ")
	}
}

// ---- Scatter ----

func TestScatter(t *testing.T) {
	x := mkArr(t, "x", []int{2, 2}, 1, 2, 3, 4)
	s := must(NewScatter("", []AxisIndex{Slice(1, 3), Slice(1, 3)}, []int{3, 4}, x))
	checkValue(t, s, []int{3, 4}, []float64{
		0, 0, 0, 0,
		0, 1, 2, 0,
		0, 3, 4, 0,
	})
	if d := cmp.Diff([]int{1, 1}, s.Starts()); d != "" {
		t.Error(d)
	}
	// negative bounds and a padded index
	s2 := must(NewScatter("", []AxisIndex{Slice(-2, 4)}, []int{4, 2}, x))
	checkValue(t, s2, []int{4, 2}, []float64{0, 0, 0, 0, 1, 2, 3, 4})
	s3 := must(NewScatter("", []AxisIndex{All(), {Kind: IndexSlice, Stop: ptr(2)}}, []int{2, 5}, x))
	checkValue(t, s3, []int{2, 5}, []float64{1, 2, 0, 0, 0, 3, 4, 0, 0, 0})

	_, err := NewScatter("S", []AxisIndex{Int(0), Slice(0, 2)}, []int{3, 2}, x)
	wantErr(t, err, "Scatter \"S\"", "only slice")
	_, err = NewScatter("S", []AxisIndex{Positions(0, 1)}, []int{3, 2}, x)
	wantErr(t, err, "only slice")
	_, err = NewScatter("S", []AxisIndex{Slice(0, 3)}, []int{3, 2}, x)
	wantErr(t, err, "Scatter \"S\"", "[3,2]", "[2,2]")
	_, err = NewScatter("S", []AxisIndex{Slice(0, 2)}, []int{2, 3}, x)
	wantErr(t, err, "[2,3]")
	_, err = NewScatter("S", []AxisIndex{Slice(0, 2), All(), All()}, []int{2, 2}, x)
	wantErr(t, err, "more axes")
	_, err = NewScatter("S", nil, []int{2, -2}, x)
	wantErr(t, err, "Scatter")
	_, err = NewScatter("S", nil, []int{2}, x)
	wantErr(t, err, "[2,2]")
}

// ---- GeneralFunction ----

func TestGeneralFunctionElementwise(t *testing.T) {
	// Independent formulas (not the package's closures) at a few points.
	phi := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	ref := map[string]func(float64) float64{
		"relu": func(x float64) float64 { return math.Max(x, 0) },
		"gelu": func(x float64) float64 { return x * phi(x) },
		"gelu_new": func(x float64) float64 {
			return x / 2 * (1 + math.Tanh(0.7978845608028654*(x+0.044715*math.Pow(x, 3))))
		},
		"sigmoid":      func(x float64) float64 { return math.Exp(x) / (1 + math.Exp(x)) },
		"tanh":         func(x float64) float64 { return (math.Exp(2*x) - 1) / (math.Exp(2*x) + 1) },
		"exp":          func(x float64) float64 { return math.Pow(math.E, x) },
		"log":          func(x float64) float64 { return math.Log2(x) / math.Log2(math.E) },
		"sin":          math.Sin,
		"cos":          func(x float64) float64 { return math.Sin(x + math.Pi/2) },
		"rsqrt":        func(x float64) float64 { return math.Pow(x, -0.5) },
		"reciprocal":   func(x float64) float64 { return math.Pow(x, -1) },
		"abs":          func(x float64) float64 { return math.Sqrt(x * x) },
		"step":         func(x float64) float64 { return map[bool]float64{true: 1, false: 0}[x > 0] },
		"log_exp_p_1":  func(x float64) float64 { return math.Log(1 + math.Exp(x)) },
		"gaussian_pdf": func(x float64) float64 { return 0.3989422804014327 * math.Exp(-x*x/2) },
		"gaussian_cdf": phi,
		"logit":        func(x float64) float64 { return -math.Log(1/x - 1) },
	}
	// points inside every function's domain
	pts := []float64{0.25, 0.5, 0.75, 1.5, 3}
	mixed := []float64{-2, -0.5, 0, 0.5, 2}
	positive := map[string]bool{"log": true, "rsqrt": true, "reciprocal": true, "logit": true}
	for name, f := range ref {
		t.Run(name, func(t *testing.T) {
			xs := mixed
			if positive[name] {
				xs = pts
				if name == "logit" {
					xs = []float64{0.1, 0.25, 0.5, 0.75, 0.9}
				}
			}
			x := mkArr(t, "x", []int{5}, xs...)
			g := must(NewGeneralFunction("", name, x))
			want := make([]float64, len(xs))
			for i, v := range xs {
				want[i] = f(v)
			}
			_, got := eval64(t, g, nil)
			if d := cmp.Diff(want, got, cmpopts.EquateApprox(1e-12, 1e-14)); d != "" {
				t.Fatalf("%s (-want +got):\n%s", name, d)
			}
			if g.Name() != name+"(x)" {
				t.Errorf("autoname %q", g.Name())
			}
			spec, ok := LookupFunction(name)
			if !ok || spec.Elementwise == nil || spec.Arity != 1 || spec.LastDim {
				t.Errorf("spec %+v", spec)
			}
		})
	}
	// spot values known by heart
	spots := []struct {
		fn   string
		x, y float64
	}{
		{"sigmoid", 0, 0.5}, {"gaussian_cdf", 0, 0.5}, {"gaussian_cdf", 1, 0.8413447460685429},
		{"gelu", 1, 0.8413447460685429}, {"logit", 0.5, 0}, {"logit", 0.75, math.Log(3)},
		{"log_exp_p_1", 0, math.Ln2}, {"log_exp_p_1", 800, 800}, {"log_exp_p_1", -800, 0},
		{"rsqrt", 4, 0.5}, {"reciprocal", 4, 0.25}, {"step", 0, 0}, {"relu", math.Copysign(0, -1), 0},
		{"gaussian_pdf", 0, 1 / math.Sqrt(2*math.Pi)}, {"gelu_new", 0, 0}, {"abs", -3, 3},
	}
	for _, s := range spots {
		g := must(NewGeneralFunction("", s.fn, mkArr(t, "x", []int{}, s.x)))
		_, got := eval64(t, g, nil)
		if math.Abs(got[0]-s.y) > 1e-12 {
			t.Errorf("%s(%v) = %v, want %v", s.fn, s.x, got[0], s.y)
		}
	}
	// every registered function is covered by some test here
	covered := map[string]bool{"softmax": true, "log_softmax": true, "min": true, "max": true, "last_dim_size": true, "pow": true}
	for n := range ref {
		covered[n] = true
	}
	for _, n := range FunctionNames() {
		if !covered[n] {
			t.Errorf("function %q has no test", n)
		}
	}
	if len(FunctionNames()) != len(covered) {
		t.Errorf("FunctionNames() = %v, tests cover %d", FunctionNames(), len(covered))
	}
}

func TestGeneralFunctionLastDim(t *testing.T) {
	data := []float64{1, 2, 3, -1, 0, 5}
	x := mkArr(t, "x", []int{2, 3}, data...)
	var sm, lsm []float64
	for r := 0; r < 2; r++ {
		row := data[r*3 : r*3+3]
		z := 0.0
		for _, v := range row {
			z += math.Exp(v)
		}
		for _, v := range row {
			sm = append(sm, math.Exp(v)/z)
			lsm = append(lsm, v-math.Log(z))
		}
	}
	cases := []struct {
		fn    string
		shape []int
		want  []float64
	}{
		{"softmax", []int{2, 3}, sm},
		{"log_softmax", []int{2, 3}, lsm},
		{"max", []int{2}, []float64{3, 5}},
		{"min", []int{2}, []float64{1, -1}},
		{"last_dim_size", []int{2}, []float64{3, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.fn, func(t *testing.T) {
			checkValue(t, must(NewGeneralFunction("", tc.fn, x)), tc.shape, tc.want)
			// rank 1 in, rank 0 out for the reductions
			v := mkArr(t, "v", []int{3}, 1, 2, 3)
			g := must(NewGeneralFunction("", tc.fn, v))
			if want := len(tc.shape) - 1; g.Rank() != want {
				t.Errorf("rank-1 input gives rank %d, want %d", g.Rank(), want)
			}
			_, err := NewGeneralFunction("F", tc.fn, mkArr(t, "s", []int{}, 1))
			wantErr(t, err, "GeneralFunction \"F\"", "rank at least 1")
		})
	}
	// min and max of an empty last axis are undefined; last_dim_size is 0
	empty := iotaArr(t, "e", 2, 0)
	for _, fn := range []string{"min", "max"} {
		_, err := NewGeneralFunction("F", fn, empty)
		wantErr(t, err, "GeneralFunction \"F\"", "empty last axis")
	}
	checkValue(t, must(NewGeneralFunction("", "last_dim_size", empty)), []int{2}, []float64{0, 0})
	checkValue(t, must(NewGeneralFunction("", "softmax", empty)), []int{2, 0}, []float64{})
	checkValue(t, must(NewGeneralFunction("", "max", iotaArr(t, "e", 0, 2))), []int{0}, []float64{})
	// softmax is over the last axis only: a [3,2] input normalizes pairs
	y := mkArr(t, "y", []int{3, 2}, 0, 0, 1, 1, 0, math.Log(3))
	checkValue(t, must(NewGeneralFunction("", "softmax", y)), []int{3, 2}, []float64{0.5, 0.5, 0.5, 0.5, 0.25, 0.75})
	// large inputs do not overflow
	big := mkArr(t, "b", []int{2}, 1000, 1000)
	checkValue(t, must(NewGeneralFunction("", "softmax", big)), []int{2}, []float64{0.5, 0.5})
}

func TestGeneralFunctionPow(t *testing.T) {
	base := mkArr(t, "b", []int{2, 3}, 1, 2, 3, 4, 5, 6)
	cases := []struct {
		name  string
		exp   Circuit
		shape []int
		want  []float64
	}{
		{"scalar exponent", mkArr(t, "e", []int{}, 2), []int{2, 3}, []float64{1, 4, 9, 16, 25, 36}},
		{"row exponent", mkArr(t, "e", []int{3}, 0, 1, 0.5), []int{2, 3}, []float64{1, 2, math.Sqrt(3), 1, 5, math.Sqrt(6)}},
		{"column exponent", mkArr(t, "e", []int{2, 1}, -1, 2), []int{2, 3}, []float64{1, 0.5, 1.0 / 3, 16, 25, 36}},
		{"exponent broadcasts base up", mkArr(t, "e", []int{2, 2, 1}, 1, 2, 0, 3), []int{2, 2, 3}, []float64{
			1, 2, 3, 16, 25, 36, 1, 1, 1, 64, 125, 216}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := must(NewGeneralFunction("", "pow", base, tc.exp))
			checkValue(t, g, tc.shape, tc.want)
			if g.Name() != "pow(b, e)" {
				t.Errorf("autoname %q", g.Name())
			}
		})
	}
	_, err := NewGeneralFunction("P", "pow", base, mkArr(t, "e", []int{2}, 1, 2))
	wantErr(t, err, "GeneralFunction \"P\"", "broadcastable")
	_, err = NewGeneralFunction("P", "pow", base)
	wantErr(t, err, "takes 2")
	_, err = NewGeneralFunction("P", "relu", base, base)
	wantErr(t, err, "takes 1")
	_, err = NewGeneralFunction("P", "nope", base)
	wantErr(t, err, "unknown function")
	_, err = NewGeneralFunction("P", "relu", nil)
	wantErr(t, err, "nil")
}

// ---- Tag ----

func TestTag(t *testing.T) {
	x := mkArr(t, "x", []int{2}, 1, 2)
	const u1 = "11111111-1111-4111-8111-111111111111"
	const u2 = "22222222-2222-4222-8222-222222222222"
	t1 := must(NewTag("", u1, x))
	checkValue(t, t1, []int{2}, []float64{1, 2})
	if Equal(t1, x) {
		t.Error("tag hashes like its child")
	}
	if t1.Name() != "x tag" {
		t.Errorf("autoname %q", t1.Name())
	}
	t2 := must(NewTag("", u2, x))
	if Equal(t1, t2) {
		t.Error("tags with different uuids hash equal")
	}
	if !Equal(t1, must(NewTag("", u1, x))) {
		t.Error("equal tags hash differently")
	}
	fresh := must(NewTag("", "", x))
	if Equal(fresh, t1) || fresh.UUID == "" {
		t.Error("fresh tag not distinct")
	}
	// tags keep equal subtrees apart: an Add of two tagged copies has three distinct nodes
	sum := must(NewAdd("", t1, t2))
	if n := CountNodes(sum); n != 4 {
		t.Errorf("CountNodes = %d, want 4 (x, two tags, add)", n)
	}
	checkValue(t, sum, []int{2}, []float64{2, 4})
	if _, err := NewTag("T", "bad", x); err == nil {
		t.Error("bad uuid accepted")
	}
	if _, err := NewTag("T", u1, nil); err == nil {
		t.Error("nil child accepted")
	}
}

// ---- autonaming ----

func TestAutonaming(t *testing.T) {
	a, b, c := mkArr(t, "a", []int{2}, 1, 2), mkArr(t, "b", []int{2}, 3, 4), mkArr(t, "c", []int{2}, 5, 6)
	x := mkArr(t, "x", []int{2}, 7, 8)
	unnamed := mkArr(t, "", []int{2}, 0, 0)
	c4 := mkArr(t, "c", []int{4}, 1, 2, 3, 4)
	add := func(cs ...Circuit) Circuit { return must(NewAdd("", cs...)) }
	mul := func(p, q Circuit) Circuit { return must(NewEinsumSpec("", "a,a->a", p, q)) }
	rearr := func(p Circuit) Circuit { return must(NewRearrangeString("", "a -> a", p)) }
	idx := func(p Circuit) Circuit { return must(NewIndex("", []AxisIndex{Slice(0, 1)}, p)) }
	fn := func(f string, p ...Circuit) Circuit { return must(NewGeneralFunction("", f, p...)) }
	cat := func(cs ...Circuit) Circuit { return must(NewConcat("", 0, cs...)) }
	scat := func(p Circuit) Circuit { return must(NewScatter("", []AxisIndex{Slice(1, 3)}, []int{4}, p)) }
	tag := func(p Circuit) Circuit { return must(NewTag("", "", p)) }

	long := strings.Repeat("L", 150)
	lx := mkArr(t, long, []int{2}, 1, 1)
	cases := []struct {
		got  Circuit
		want string
	}{
		{add(a, b), "a + b"},
		{mul(a, b), "a * b"},
		{rearr(x), "x rearrange"},
		{idx(x), "x idx"},
		{fn("relu", x), "relu(x)"},
		{cat(a, b), "a ++ b"},
		{scat(x), "x scatter"},
		{tag(x), "x tag"},
		{add(a, b, c), "a + b + c"},
		{mul(add(a, b), c), "(a + b) * c"},
		{add(mul(a, b), c), "a * b + c"},
		{add(add(a, b), c), "a + b + c"},
		{mul(mul(a, b), c), "a * b * c"},
		{rearr(add(a, b)), "(a + b) rearrange"},
		{idx(mul(a, b)), "(a * b) idx"},
		{tag(cat(a, b)), "(a ++ b) tag"},
		{add(cat(a, b), c4), "(a ++ b) + c"},
		{mul(cat(a, b), c4), "(a ++ b) * c"},
		{cat(add(a, b), c), "(a + b) ++ c"},
		{cat(cat(a, b), c), "(a ++ b) ++ c"},
		{fn("relu", add(a, b)), "relu(a + b)"},
		{add(fn("relu", x), a), "relu(x) + a"},
		{mul(rearr(x), a), "x rearrange * a"},
		{rearr(rearr(x)), "x rearrange rearrange"},
		{rearr(fn("relu", x)), "relu(x) rearrange"},
		{idx(tag(x)), "x tag idx"},
		{add(a, unnamed), ""},
		{rearr(unnamed), ""},
		{fn("relu", unnamed), ""},
		{must(NewAdd("explicit", a, b)), "explicit"},
		{add(lx, a), strings.Repeat("L", 100) + "... + a"},
		{mul(add(lx, a), b), "(" + strings.Repeat("L", 99) + "... * b"},
		{cat(lx, a), strings.Repeat("L", 100) + "... ++ a"},
		{fn("relu", lx), "relu(" + strings.Repeat("L", 100) + "...)"},
		{rearr(lx), long + " rearrange"},
		{idx(lx), long + " idx"},
		{tag(lx), long + " tag"},
	}
	for i, tc := range cases {
		if tc.got == nil {
			continue
		}
		if tc.got.Name() != tc.want {
			t.Errorf("case %d: autoname %q, want %q", i, tc.got.Name(), tc.want)
		}
	}
	// a multi-byte rune at the cut is not split
	multi := mkArr(t, strings.Repeat("a", 99)+"é"+"zz", []int{2}, 1, 1)
	n := add(multi, a).Name()
	if want := strings.Repeat("a", 99) + "... + a"; n != want {
		t.Errorf("rune-boundary cut: %q, want %q", n, want)
	}
	// exactly 100 bytes is not shortened
	hundred := mkArr(t, strings.Repeat("h", 100), []int{2}, 1, 1)
	if n := add(hundred, a).Name(); n != strings.Repeat("h", 100)+" + a" {
		t.Errorf("100-byte name shortened: %q", n)
	}
	// an explicit empty name stays empty (and disables autonaming)
	r := add(a, b).Rename("")
	if r.Name() != "" || !r.AutonameDisabled() {
		t.Errorf("Rename(\"\") gave name %q AD %v", r.Name(), r.AutonameDisabled())
	}
	// a disabled autoname propagates through WithChildren
	r2 := must(r.WithChildren([]Circuit{b, a}))
	if r2.Name() != "" {
		t.Errorf("WithChildren re-autonamed an AD node: %q", r2.Name())
	}
}

// ---- identity ----

func TestIdentity(t *testing.T) {
	const u = "33333333-3333-4333-8333-333333333333"
	build := func(name string) Circuit {
		x := mkArr(t, "x", []int{2, 3}, 1, 2, 3, 4, 5, 6)
		w := mkArr(t, "w", []int{3}, 1, 0, -1)
		s := must(NewSymbol([]int{3}, u, "s"))
		e := must(NewEinsumSpec("", "ab,b->a", x, must(NewAdd("", w, s))))
		r := must(NewRearrangeString("", "a -> a 2", e))
		return must(NewGeneralFunction(name, "relu", r))
	}
	a1, a2 := build("out"), build("out")
	if a1 == a2 {
		t.Fatal("test builds the same pointer twice")
	}
	if !Equal(a1, a2) || a1.Hash() != a2.Hash() {
		t.Error("independently built equal trees hash differently")
	}
	if Equal(a1, build("other")) {
		t.Error("different root names hash equal")
	}
	if Equal(a1, build("")) {
		t.Error("named and autonamed roots hash equal")
	}
	// renaming a deep node changes every ancestor's hash
	x := mkArr(t, "x", []int{2}, 1, 2)
	y := x.Rename("y")
	if Equal(x, y) || y.Name() != "y" || x.Name() != "x" {
		t.Errorf("Rename: %q %q equal=%v", x.Name(), y.Name(), Equal(x, y))
	}
	if x.Rename("x") != Circuit(x) {
		t.Error("Rename to the same name did not return the node itself")
	}
	ax := must(NewAdd("sum", x, x))
	ay := must(NewAdd("sum", y, y))
	if Equal(ax, ay) {
		t.Error("parents of differently named children hash equal")
	}
	// renaming keeps the value
	_, vx := eval64(t, ax, nil)
	_, vy := eval64(t, ay, nil)
	if d := cmp.Diff(vx, vy); d != "" {
		t.Error(d)
	}
	// kind matters: a Scalar and an Array of equal value differ
	s := must(NewScalar(1, []int{2}, "k"))
	k := mkArr(t, "k", []int{2}, 1, 1)
	if Equal(s, k) {
		t.Error("Scalar and Array hash equal")
	}
	// named axes and the AD flag are part of the hash
	if Equal(k, k.WithInfo(map[int]string{0: "pos"}, false)) {
		t.Error("named axes ignored by the hash")
	}
	if Equal(k, k.WithInfo(nil, true)) {
		t.Error("AD flag ignored by the hash")
	}
	if !Equal(k, k.WithInfo(map[int]string{}, false)) {
		t.Error("an empty named-axes map changes the hash")
	}
}

func TestWalkVisitsSharedOnce(t *testing.T) {
	x := mkArr(t, "x", []int{2}, 1, 2)
	shared := must(NewGeneralFunction("", "relu", x))
	a := must(NewAdd("a", shared, shared))
	b := must(NewEinsumSpec("b", "a,a->a", shared, a))
	root := must(NewConcat("root", 0, a, b, shared))
	var order []string
	count := map[Hash]int{}
	Walk([]Circuit{root, a}, func(c Circuit) {
		order = append(order, c.Name())
		count[c.Hash()]++
	})
	want := []string{"x", "relu(x)", "a", "b", "root"}
	if d := cmp.Diff(want, order); d != "" {
		t.Errorf("Walk order (-want +got):\n%s", d)
	}
	for h, n := range count {
		if n != 1 {
			t.Errorf("node %s visited %d times", h.Short(), n)
		}
	}
	if n := CountNodes(root); n != 5 {
		t.Errorf("CountNodes = %d, want 5", n)
	}
	// equal nodes built separately are one node to Walk
	x2 := mkArr(t, "x", []int{2}, 1, 2)
	if n := CountNodes(must(NewAdd("", x, x2))); n != 2 {
		t.Errorf("CountNodes over two equal leaves = %d, want 2", n)
	}
}

func TestKinds(t *testing.T) {
	ks := AllKinds()
	if len(ks) != 12 {
		t.Fatalf("AllKinds has %d kinds", len(ks))
	}
	for _, k := range ks {
		back, ok := ParseKind(k.String())
		if !ok || back != k {
			t.Errorf("ParseKind(%q) = %v %v", k.String(), back, ok)
		}
	}
	if _, ok := ParseKind("Nope"); ok {
		t.Error("ParseKind accepted Nope")
	}
}

func TestWithInfoCopiesNamedAxes(t *testing.T) {
	x := mkArr(t, "x", []int{2, 3}, 1, 2, 3, 4, 5, 6)
	m := map[int]string{0: "batch"}
	n := x.WithInfo(m, false)
	h := n.Hash()
	m[1] = "feature" // the caller reuses its map
	if len(n.NamedAxes()) != 1 || n.Hash() != h {
		t.Errorf("node changed with the caller's map: %v", n.NamedAxes())
	}
	// rebuilt nodes keep named axes while the shape is unchanged
	g := must(NewGeneralFunction("g", "exp", x)).WithInfo(map[int]string{1: "f"}, false)
	g2 := must(g.WithChildren([]Circuit{mkArr(t, "y", []int{2, 3}, 0, 0, 0, 0, 0, 0)}))
	if d := cmp.Diff(map[int]string{1: "f"}, g2.NamedAxes()); d != "" {
		t.Error(d)
	}
	g3 := must(g.WithChildren([]Circuit{mkArr(t, "y", []int{3}, 0, 0, 0)}))
	if g3.NamedAxes() != nil {
		t.Errorf("named axes kept across a shape change: %v", g3.NamedAxes())
	}
}

func TestFormatParseNumber(t *testing.T) {
	cases := []struct {
		v    float64
		want string
	}{
		{1, "1"}, {-3, "-3"}, {0, "0"}, {math.Copysign(0, -1), "-0"}, {0.5, "0.5"},
		{0.00001, "0.00001"}, {1e21, "1000000000000000000000"}, {123.25, "123.25"},
		{math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {0.1, "0.1"},
	}
	for _, tc := range cases {
		got := FormatNumber(tc.v)
		if got != tc.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", tc.v, got, tc.want)
		}
		back, err := ParseNumber(got)
		if err != nil || back != tc.v || math.Signbit(back) != math.Signbit(tc.v) {
			t.Errorf("ParseNumber(%q) = %v, %v", got, back, err)
		}
	}
	if s := FormatNumber(math.NaN()); s != "nan" {
		t.Errorf("NaN prints %q", s)
	}
	if v, err := ParseNumber("nan"); err != nil || !math.IsNaN(v) {
		t.Errorf("ParseNumber(nan) = %v %v", v, err)
	}
	for _, s := range []string{"1e-3", " 2 ", "+inf", "-1.5E2"} {
		if _, err := ParseNumber(s); err != nil {
			t.Errorf("ParseNumber(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "abc", "1..2", "--1"} {
		if _, err := ParseNumber(s); err == nil {
			t.Errorf("ParseNumber(%q) accepted", s)
		}
	}
}

func TestAxisIndexQueries(t *testing.T) {
	cases := []struct {
		ix       AxisIndex
		d        int
		identity bool
		resolve  []int
	}{
		{All(), 3, true, []int{0, 1, 2}},
		{Slice(0, 3), 3, true, []int{0, 1, 2}},
		{Slice(-3, 99), 3, true, []int{0, 1, 2}},
		{Slice(0, 2), 3, false, []int{0, 1}},
		{Slice(-1, 3), 3, false, []int{2}},
		{Int(-1), 3, false, []int{2}},
		{Int(0), 1, false, []int{0}},
		{Positions(0, 1, 2), 3, false, []int{0, 1, 2}},
		{Positions(-1, -3), 3, false, []int{2, 0}},
		{All(), 0, true, []int{}},
	}
	for _, tc := range cases {
		if got := tc.ix.IsIdentity(tc.d); got != tc.identity {
			t.Errorf("%s.IsIdentity(%d) = %v", tc.ix, tc.d, got)
		}
		got, err := tc.ix.Resolve(tc.d)
		if err != nil {
			t.Errorf("%s.Resolve(%d): %v", tc.ix, tc.d, err)
			continue
		}
		if d := cmp.Diff(tc.resolve, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s.Resolve(%d): %s", tc.ix, tc.d, d)
		}
	}
	for _, bad := range []AxisIndex{Int(3), Int(-4), Positions(3), Positions(-4)} {
		if _, err := bad.Resolve(3); err == nil {
			t.Errorf("%s.Resolve(3) accepted", bad)
		}
	}
}

// TestRearrangeSpecNormalized checks that axis ids are renumbered by first
// appearance and unused ids dropped, so equal printed specs hash equal.
func TestRearrangeSpecNormalized(t *testing.T) {
	x, err := NewSymbol([]int{2, 3}, "", "x")
	if err != nil {
		t.Fatal(err)
	}
	odd := RearrangeSpec{In: [][]int{{4}, {1}}, Out: [][]int{{1}, {4}}, Sizes: []int{7, -1, 9, 9, -1}}
	a, err := NewRearrange("", odd, x)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewRearrangeString("", "a b -> b a", x)
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(a, b) || a.Spec.String() != "a b -> b a" {
		t.Errorf("spec %q (hash equal: %v), want \"a b -> b a\"", a.Spec.String(), Equal(a, b))
	}
	back, err := ParseCircuits(Print(a), ParseOptions{})
	if err != nil || !Equal(back[0], a) {
		t.Errorf("print/parse round trip: %v", err)
	}
}
