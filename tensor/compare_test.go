package tensor

import (
	"math"
	"testing"
)

func TestCompare(t *testing.T) {
	must := mk(t)
	nan, inf := math.NaN(), math.Inf(1)
	a := f64(t, []int{4}, 1, 2, nan, inf)
	b := f64(t, []int{4}, 1.5, 2, nan, inf)
	abs, rel, err := Compare(a, b)
	if err != nil || abs != 0.5 || rel != 0.5/1.5 {
		t.Fatalf("got %v %v %v", abs, rel, err)
	}
	abs, rel, err = Compare(f64(t, []int{2}, 1, nan), f64(t, []int{2}, 1, 3))
	if err != nil || !math.IsInf(abs, 1) || !math.IsInf(rel, 1) {
		t.Fatalf("NaN vs number: %v %v %v", abs, rel, err)
	}
	abs, rel, _ = Compare(f64(t, []int{1}, 1e-3), f64(t, []int{1}, 0))
	if abs != 1e-3 || !math.IsInf(rel, 1) {
		t.Fatalf("vs zero: %v %v", abs, rel)
	}
	// a strided float32 against a contiguous float64
	x := must(f32(t, []int{2, 2}, 1, 2, 3, 4).Permute([]int{1, 0}))
	abs, _, err = Compare(x, f64(t, []int{2, 2}, 1, 3, 2, 4))
	if err != nil || abs != 0 {
		t.Fatalf("strided compare %v %v", abs, err)
	}
	_, _, err = Compare(f64(t, []int{2}, 1, 2), f64(t, []int{2, 1}, 1, 2))
	wantErr(t, err, "shape mismatch")
}

func TestAllClose(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	a := f64(t, []int{3}, 1, 100, 0)
	b := f64(t, []int{3}, 1.001, 100.5, 0)
	if !AllClose(a, b, 1e-2, 0) {
		t.Fatal("within rtol")
	}
	if AllClose(a, b, 1e-3, 0) {
		t.Fatal("100 vs 100.5 is outside rtol 1e-3")
	}
	if !AllClose(f64(t, []int{1}, 0), f64(t, []int{1}, 1e-9), 0, 1e-8) {
		t.Fatal("within atol")
	}
	// asymmetric in numpy: rtol scales |b|
	if !AllClose(f64(t, []int{1}, 0), f64(t, []int{1}, 1), 1, 0) || AllClose(f64(t, []int{1}, 1), f64(t, []int{1}, 0), 1, 0) {
		t.Fatal("rtol must scale |b|")
	}
	if !AllClose(f64(t, []int{2}, nan, inf), f64(t, []int{2}, nan, inf), 0, 0) {
		t.Fatal("NaN==NaN and equal infinities")
	}
	if AllClose(f64(t, []int{1}, nan), f64(t, []int{1}, 0), 1, 1) || AllClose(f64(t, []int{1}, inf), f64(t, []int{1}, 1e300), 1, 1) {
		t.Fatal("NaN or Inf against a number")
	}
	if AllClose(f64(t, []int{1}, 1), f64(t, []int{1, 1}, 1), 1, 1) {
		t.Fatal("shape mismatch")
	}
}
