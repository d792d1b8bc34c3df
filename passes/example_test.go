package passes_test

import (
	"fmt"
	"os"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/passes"
)

// Run optimizes a program; the dump after einsum fusion shows the
// contraction path it chose as a comment line.
func ExampleRun() {
	src := `%0 = input "x" : f32[10,1000]
%1 = input "w" : f32[1000,10]
%2 = input "v" : f32[10]
%3 = einsum "ab,bc,c->a" %0 %1 %2 : f32[10]
%4 = slice [0] [5] %3 : f32[5]
output "y" %4
`
	p, err := ir.Parse("example.ir", []byte(src), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	q, rep, err := passes.Run(p, passes.Options{Check: true, DumpAfter: []string{"einsum"}, Dump: os.Stdout})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(q.Values), "values after", len(rep.Passes), "passes")
	// Output:
	// # after einsum
	// # path ab,b,ca->c [1000,10] [10] [5,1000]: dp: (0,1)->a [2.0e4 flops] (0,1)->c [1.0e4 flops] total 3.0e4 flops, peak 1000
	// %0 = input "x" : f32[10,1000]
	// %1 = input "w" : f32[1000,10]
	// %2 = input "v" : f32[10]
	// %3 = slice [0,0] [5,1000] %0 : f32[5,1000]
	// %4 = einsum "ab,b->a" %1 %2 : f32[1000]
	// %5 = einsum "ab,b->a" %3 %4 : f32[5]
	// output "y" %5
	// 6 values after 18 passes
}
