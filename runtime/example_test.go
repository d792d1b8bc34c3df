package runtime_test

import (
	"fmt"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

func ExampleRun() {
	p, err := ir.Parse("ex.ir", []byte(`%0 = input "x" : f32[2,2]
%1 = einsum "ab,ab->a" %0 %0 : f32[2]
%2 = rsqrt %1 : f32[2]
output "inv_norm" %2
`), nil)
	if err != nil {
		panic(err)
	}
	x, _ := tensor.FromFloat32([]int{2, 2}, []float32{3, 4, 0, 2})
	out, stats, err := runtime.Run(p, map[string]*tensor.Tensor{"x": x}, tensor.Float32)
	if err != nil {
		panic(err)
	}
	fmt.Println(out["inv_norm"].Float32s(), stats.TotalFLOPs, stats.PeakBytes)
	// Output: [0.2 0.5] 12 24
}
