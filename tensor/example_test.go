package tensor_test

import (
	"fmt"

	"github.com/circopt/circopt/tensor"
)

func ExampleEinsum() {
	a, _ := tensor.FromFloat64([]int{2, 2}, []float64{1, 2, 3, 4})
	b, _ := tensor.FromFloat64([]int{2, 2}, []float64{5, 6, 7, 8})
	in, out, _ := tensor.ParseEinsumSpec("ab,bc->ac")
	c, _ := tensor.Einsum([]*tensor.Tensor{a, b}, in, out, nil)
	fmt.Println(c.Float64s())
	// trace: a repeated input label takes the diagonal, then it is summed
	tr, _ := tensor.Einsum([]*tensor.Tensor{a}, [][]int{{0, 0}}, nil, nil)
	fmt.Println(tr.Item())
	// Output:
	// [19 22 43 50]
	// 5 <nil>
}

func ExampleBinary() {
	x, _ := tensor.FromFloat64([]int{2, 3}, []float64{0, 1, 2, 3, 4, 5})
	col, _ := tensor.FromFloat64([]int{2, 1}, []float64{10, 20})
	y, _ := tensor.Binary(tensor.OpAdd, x, col) // col broadcasts across the row
	fmt.Println(y.Float64s())
	// Output: [10 11 12 23 24 25]
}
