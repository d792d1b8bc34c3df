package ir_test

import (
	"fmt"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

func ExampleBuilder() {
	b := ir.NewBuilder()
	x, _ := b.Input("x", ir.Type{DType: tensor.Float32, Shape: []int{4, 3}})
	y, _ := b.Input("y", ir.Type{DType: tensor.Float32, Shape: []int{5, 3}})
	e, _ := b.Add(ir.OpEinsum, ir.Attrs{"spec": "ab,cb->ac"}, x, y)
	s, _ := b.Add(ir.OpSoftmax, nil, e)
	_ = b.Output("probs", s)
	p := b.Build()
	fmt.Print(p)
	fmt.Println(len(ir.Verify(p)), "problems")
	// Output:
	// %0 = input "x" : f32[4,3]
	// %1 = input "y" : f32[5,3]
	// %2 = einsum "ab,cb->ac" %0 %1 : f32[4,5]
	// %3 = softmax %2 : f32[4,5]
	// output "probs" %3
	// 0 problems
}

func ExampleParse() {
	src := `%0 = input "x" : f32[2,3]
%1 = sum [1] %0 : f32[2]
%2 = exp %1 : f32[3]
output "y" %2
`
	_, err := ir.Parse("model.ir", []byte(src), nil)
	fmt.Println(err)
	// Output:
	// model.ir:3: %2: exp: declared type f32[3] but operands give f32[2]
}
