package tensor

import "testing"

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
