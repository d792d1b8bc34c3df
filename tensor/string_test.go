package tensor

import "testing"

func TestStringShortestPerDType(t *testing.T) {
	f32, _ := FromFloat32([]int{2, 2}, []float32{0.1, 1.0 / 3, -2.5e-8, 1e20})
	f64, _ := FromFloat64([]int{2}, []float64{0.1, 1.0 / 3})
	i64, _ := FromInt64([]int{2}, []int64{1 << 60, -3})
	perm, _ := f32.Permute([]int{1, 0}) // strided: elements in C order of the view
	long, _ := FromFloat32([]int{10}, []float32{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1})
	for _, c := range []struct {
		t    *Tensor
		want string
	}{
		{f32, "Tensor(float32 [2 2] [0.1 0.33333334 -2.5e-08 1e+20])"},
		{f64, "Tensor(float64 [2] [0.1 0.3333333333333333])"},
		{i64, "Tensor(int64 [2] [1152921504606846976 -3])"},
		{perm, "Tensor(float32 [2 2] [0.1 -2.5e-08 0.33333334 1e+20])"},
		{long, "Tensor(float32 [10] [0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8] ...)"},
		{ScalarOf(Float32, 0.1), "Tensor(float32 [] [0.1])"},
	} {
		if got := c.t.String(); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}
