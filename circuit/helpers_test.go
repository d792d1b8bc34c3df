package circuit

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/gonum/mat"
)

// at3 is x[i,j,k] for a contiguous [*, d1, d2] slice.
func at3(x []float64, d1, d2, i, j, k int) float64 { return x[(i*d1+j)*d2+k] }

func TestSumMean(t *testing.T) {
	x := randArr(t, "x", 11, 2, 3, 4)
	v := x.Value.Float64s()
	// reference sums by explicit loops
	sumOver := func(keep func(i, j, k int) int, n int) []float64 {
		out := make([]float64, n)
		for i := 0; i < 2; i++ {
			for j := 0; j < 3; j++ {
				for k := 0; k < 4; k++ {
					out[keep(i, j, k)] += at3(v, 3, 4, i, j, k)
				}
			}
		}
		return out
	}
	cases := []struct {
		name  string
		axes  []int
		shape []int
		want  []float64
	}{
		{"last", []int{2}, []int{2, 3}, sumOver(func(i, j, k int) int { return i*3 + j }, 6)},
		{"negative last", []int{-1}, []int{2, 3}, sumOver(func(i, j, k int) int { return i*3 + j }, 6)},
		{"first", []int{0}, []int{3, 4}, sumOver(func(i, j, k int) int { return j*4 + k }, 12)},
		{"middle", []int{-2}, []int{2, 4}, sumOver(func(i, j, k int) int { return i*4 + k }, 8)},
		{"two unordered", []int{2, 0}, []int{3}, sumOver(func(i, j, k int) int { return j }, 3)},
		{"all", []int{0, 1, -1}, []int{}, sumOver(func(i, j, k int) int { return 0 }, 1)},
		{"none means all", nil, []int{}, sumOver(func(i, j, k int) int { return 0 }, 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkValue(t, must(Sum("", x, tc.axes...)), tc.shape, tc.want)
			n := numel(x.Shape()) / max(numel(tc.shape), 1)
			mean := make([]float64, len(tc.want))
			for i, s := range tc.want {
				mean[i] = s / float64(n)
			}
			checkValue(t, must(Mean("", x, tc.axes...)), tc.shape, mean)
		})
	}
	for _, bad := range [][]int{{1, 1}, {2, -1}, {3}, {-4}} {
		_, err := Sum("S", x, bad...)
		wantErr(t, err, "Einsum \"S\"")
		_, err = Mean("M", x, bad...)
		wantErr(t, err, "Einsum \"M\"")
	}
	_, err := Sum("S", x, 0, 0)
	wantErr(t, err, "twice")
	_, err = Mean("M", iotaArr(t, "e", 0, 2), 0)
	wantErr(t, err, "empty")
}

func TestMul(t *testing.T) {
	a := mkArr(t, "a", []int{2, 3}, 1, 2, 3, 4, 5, 6)
	row := mkArr(t, "r", []int{3}, 10, 20, 30)
	col := mkArr(t, "c", []int{2, 1}, 2, 3)
	r13 := mkArr(t, "q", []int{1, 3}, 1, 0, -1)
	s := mkArr(t, "s", []int{}, 0.5)
	u := mkArr(t, "u", []int{1, 1}, 4)
	b3 := mkArr(t, "b", []int{2, 1, 3}, 1, 1, 1, 2, 2, 2)
	cases := []struct {
		name  string
		kids  []Circuit
		shape []int
		want  []float64
	}{
		{"same shape", []Circuit{a, a}, []int{2, 3}, []float64{1, 4, 9, 16, 25, 36}},
		{"row", []Circuit{a, row}, []int{2, 3}, []float64{10, 40, 90, 40, 100, 180}},
		{"size-1 column", []Circuit{a, col}, []int{2, 3}, []float64{2, 4, 6, 12, 15, 18}},
		{"size-1 row", []Circuit{r13, a}, []int{2, 3}, []float64{1, 0, -3, 4, 0, -6}},
		{"column times row", []Circuit{col, row}, []int{2, 3}, []float64{20, 40, 60, 30, 60, 90}},
		{"size-1 both ways", []Circuit{col, r13}, []int{2, 3}, []float64{2, 0, -2, 3, 0, -3}},
		{"scalar", []Circuit{a, s}, []int{2, 3}, []float64{0.5, 1, 1.5, 2, 2.5, 3}},
		{"all size 1", []Circuit{u, s}, []int{1, 1}, []float64{2}},
		{"size-1 against size-1", []Circuit{u, u}, []int{1, 1}, []float64{16}},
		{"rank 3 middle size 1", []Circuit{b3, a}, []int{2, 2, 3}, []float64{1, 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12}},
		{"three operands", []Circuit{a, col, row}, []int{2, 3}, []float64{20, 80, 180, 120, 300, 540}},
		{"one operand", []Circuit{a}, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}},
		{"none", nil, []int{}, []float64{1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkValue(t, must(Mul("", tc.kids...)), tc.shape, tc.want)
		})
	}
	_, err := Mul("M", a, mkArr(t, "z", []int{2}, 1, 2))
	wantErr(t, err, "Einsum \"M\"", "broadcastable")
	_, err = Mul("M", a, nil)
	wantErr(t, err, "nil")
	if got := must(Mul("", a, row)).Name(); got != "a * r" {
		t.Errorf("autoname %q", got)
	}
}

func TestSubScalarMul(t *testing.T) {
	a := mkArr(t, "a", []int{2, 2}, 1, 2, 3, 4)
	b := mkArr(t, "b", []int{2}, 10, 20)
	checkValue(t, must(Sub("", a, b)), []int{2, 2}, []float64{-9, -18, -7, -16})
	checkValue(t, must(Sub("", b, a)), []int{2, 2}, []float64{9, 18, 7, 16})
	checkValue(t, must(Sub("", a, a)), []int{2, 2}, []float64{0, 0, 0, 0})
	checkValue(t, must(ScalarMul("", a, -2.5)), []int{2, 2}, []float64{-2.5, -5, -7.5, -10})
	checkValue(t, must(ScalarMul("", mkArr(t, "s", []int{}, 3), 2)), []int{}, []float64{6})
	if _, err := Sub("S", a, mkArr(t, "c", []int{3}, 1, 2, 3)); err == nil {
		t.Error("Sub of non-broadcastable shapes accepted")
	}
}

func TestLinear(t *testing.T) {
	W := randArr(t, "W", 21, 4, 3) // [out=4, in=3]
	b := randArr(t, "b", 22, 4)
	X := randArr(t, "X", 23, 5, 3)
	X3 := randArr(t, "X3", 24, 2, 5, 3)
	wm := mat.NewDense(4, 3, W.Value.Float64s())
	bv := b.Value.Float64s()
	ref := func(x []float64, rows int, bias bool) []float64 {
		var y mat.Dense
		y.Mul(mat.NewDense(rows, 3, x), wm.T())
		out := y.RawMatrix().Data
		if bias {
			for r := 0; r < rows; r++ {
				for o := 0; o < 4; o++ {
					out[r*4+o] += bv[o]
				}
			}
		}
		return out
	}
	cases := []struct {
		name  string
		x     Circuit
		b     Circuit
		shape []int
		want  []float64
	}{
		{"batched with bias", X, b, []int{5, 4}, ref(X.Value.Float64s(), 5, true)},
		{"batched no bias", X, nil, []int{5, 4}, ref(X.Value.Float64s(), 5, false)},
		{"two batch dims", X3, b, []int{2, 5, 4}, ref(X3.Value.Float64s(), 10, true)},
		{"vector", mkArr(t, "v", []int{3}, 1, -1, 2), b, []int{4}, ref([]float64{1, -1, 2}, 1, true)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := must(Linear("lin", tc.x, W, tc.b))
			if l.Name() != "lin" {
				t.Errorf("name %q", l.Name())
			}
			checkValue(t, l, tc.shape, tc.want)
		})
	}
	_, err := Linear("lin", X, b, nil)
	wantErr(t, err, "lin", "rank 2")
	_, err = Linear("lin", mkArr(t, "s", []int{}, 1), W, nil)
	wantErr(t, err, "rank at least 1")
	_, err = Linear("lin", randArr(t, "Y", 1, 5, 4), W, b)
	wantErr(t, err, "lin")
	_, err = Linear("lin", X, W, randArr(t, "bb", 1, 3))
	wantErr(t, err, "bias")
}

func TestShapeHelpers(t *testing.T) {
	x := iotaArr(t, "x", 2, 3)
	cases := []struct {
		name  string
		c     Circuit
		shape []int
		want  []float64
	}{
		{"unsqueeze front", must(Unsqueeze("", x, 0)), []int{1, 2, 3}, seq(6, 0)},
		{"unsqueeze middle", must(Unsqueeze("", x, 1)), []int{2, 1, 3}, seq(6, 0)},
		{"unsqueeze end", must(Unsqueeze("", x, -1)), []int{2, 3, 1}, seq(6, 0)},
		{"unsqueeze two", must(Unsqueeze("", x, 0, 3)), []int{1, 2, 3, 1}, seq(6, 0)},
		{"squeeze all", must(Squeeze("", iotaArr(t, "y", 1, 3, 1))), []int{3}, seq(3, 0)},
		{"squeeze one", must(Squeeze("", iotaArr(t, "y", 1, 3, 1), -1)), []int{1, 3}, seq(3, 0)},
		{"squeeze none", must(Squeeze("", x)), []int{2, 3}, seq(6, 0)},
		{"flatten", must(Flatten("", iotaArr(t, "z", 2, 3, 2))), []int{12}, seq(12, 0)},
		{"flatten rank 0", must(Flatten("", mkArr(t, "s", []int{}, 5))), []int{1}, []float64{5}},
		{"permute", must(Permute("", x, 1, 0)), []int{3, 2}, []float64{0, 3, 1, 4, 2, 5}},
		{"permute identity", must(Permute("", x, 0, 1)), []int{2, 3}, seq(6, 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkValue(t, tc.c, tc.shape, tc.want) })
	}
	// permute of rank 3 against loops
	y := iotaArr(t, "y", 2, 3, 4)
	p := must(Permute("", y, 2, 0, 1))
	var want []float64
	for k := 0; k < 4; k++ {
		for i := 0; i < 2; i++ {
			for j := 0; j < 3; j++ {
				want = append(want, float64(i*12+j*4+k))
			}
		}
	}
	checkValue(t, p, []int{4, 2, 3}, want)
	if d := cmp.Diff([]int{2, 0, 1}, p.Spec.Permutation()); d != "" {
		t.Error(d)
	}

	_, err := Squeeze("S", x, 0)
	wantErr(t, err, "Rearrange \"S\"", "size 2")
	_, err = Unsqueeze("U", x, 3)
	wantErr(t, err, "Rearrange \"U\"", "out of range")
	_, err = Unsqueeze("U", x, 1, 1)
	wantErr(t, err, "twice")
	_, err = Permute("P", x, 0)
	wantErr(t, err, "Rearrange \"P\"")
	_, err = Permute("P", x, 0, 0)
	wantErr(t, err, "not a permutation")
	_, err = Permute("P", x, 0, 2)
	wantErr(t, err, "not a permutation")
}
