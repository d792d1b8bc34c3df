package circuit

import (
	"testing"

	"github.com/circopt/circopt/tensor"
)

func arr(t *testing.T, name string, shape []int, data ...float64) *Array {
	t.Helper()
	x, err := tensor.FromFloat64(shape, data)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewArray(x, name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func evalF64(t *testing.T, c Circuit) []float64 {
	t.Helper()
	v, err := Evaluate(c, EvalOptions{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	return v.Float64s()
}

func TestSmokeMLP(t *testing.T) {
	x := arr(t, "x", []int{2}, 1, -2)
	w := arr(t, "w", []int{3, 2}, 1, 2, 3, 4, 5, 6)
	b := arr(t, "b", []int{3}, 0.5, 0.5, 0.5)
	lin, err := Linear("lin", x, w, b)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewGeneralFunction("", "relu", lin)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name() != "relu(lin)" {
		t.Errorf("autoname %q", r.Name())
	}
	got := evalF64(t, r)
	// w·x = [1-4, 3-8, 5-12] = [-3,-5,-7] + 0.5 -> relu -> 0
	want := []float64{0, 0, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v want %v", got, want)
		}
	}
	sum, _ := NewAdd("", x, x)
	if sum.Name() != "x + x" {
		t.Errorf("autoname %q", sum.Name())
	}
	e, _ := Mul("", sum, x)
	if e.Name() != "(x + x) * x" {
		t.Errorf("autoname %q", e.Name())
	}
	if got := evalF64(t, e); got[0] != 2 || got[1] != 8 {
		t.Errorf("(x+x)*x = %v", got)
	}
}

func TestSmokeRearrange(t *testing.T) {
	x := arr(t, "x", []int{6, 2}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
	// without a size, the split is ambiguous
	if _, err := NewRearrangeString("", "(a b) c -> c a b", x); err == nil {
		t.Fatal("ambiguous split accepted")
	}
	r2, err := NewRearrangeString("", "(a:2 b) c -> c a b", x)
	if err != nil {
		t.Fatal(err)
	}
	if s := r2.Shape(); len(s) != 3 || s[0] != 2 || s[1] != 2 || s[2] != 3 {
		t.Fatalf("shape %v", s)
	}
	got := evalF64(t, r2)
	// x[(a b), c] with b=3: out[c,a,b] = x[a*3+b, c] = 2*(a*3+b)+c
	for c := 0; c < 2; c++ {
		for a := 0; a < 2; a++ {
			for b := 0; b < 3; b++ {
				if w := float64(2*(a*3+b) + c); got[c*6+a*3+b] != w {
					t.Fatalf("out[%d,%d,%d]=%v want %v", c, a, b, got[c*6+a*3+b], w)
				}
			}
		}
	}
	rep, err := NewRearrangeString("", "a c -> a c 3", x)
	if err != nil {
		t.Fatal(err)
	}
	if g := evalF64(t, rep); g[3] != 1 || g[5] != 1 || g[6] != 2 {
		t.Fatalf("repeat %v", g[:8])
	}
}
