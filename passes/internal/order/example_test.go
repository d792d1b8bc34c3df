package order_test

import (
	"fmt"

	"github.com/circopt/circopt/passes/internal/order"
)

// Labels 0..4 print as a..e. The chain ab,bc,cd,de->ae with a=10, b=1000,
// c=10, d=1000, e=10 is best contracted as (ab·bc)(cd·de).
func ExamplePlan() {
	p := order.Problem{
		Operands: []order.Operand{{Labels: []int{0, 1}}, {Labels: []int{1, 2}}, {Labels: []int{2, 3}}, {Labels: []int{3, 4}}},
		Output:   []int{0, 4},
		Sizes:    map[int]int{0: 10, 1: 1000, 2: 10, 3: 1000, 4: 10},
	}
	path, err := order.Plan(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(path)
	naive, _ := order.LeftToRight(p)
	fmt.Println(naive)
	// Output:
	// dp: (0,1)->ac [2.0e5 flops] (0,1)->ec [2.0e5 flops] (0,1)->ae [2.0e3 flops] total 4.0e5 flops, peak 100
	// left-to-right: (0,1)->ac [2.0e5 flops] (0,2)->ad [2.0e5 flops] (0,1)->ae [2.0e5 flops] total 6.0e5 flops, peak 10000
}

// With a memory cap the planner trades FLOPs for a smaller intermediate;
// when nothing fits it still returns the least-peak order, with an error.
func ExamplePlan_memCap() {
	p := order.Problem{ // ab,bc,cd->ad, a=2 b=10 c=100 d=10
		Operands: []order.Operand{{Labels: []int{0, 1}}, {Labels: []int{1, 2}}, {Labels: []int{2, 3}}},
		Output:   []int{0, 3},
		Sizes:    map[int]int{0: 2, 1: 10, 2: 100, 3: 10},
	}
	for _, limit := range []int64{0, 150, 50} {
		p.MemCap = limit
		path, err := order.Plan(p)
		fmt.Println(path, err != nil)
	}
	// Output:
	// dp: (0,1)->ac [4.0e3 flops] (0,1)->ad [4.0e3 flops] total 8.0e3 flops, peak 200 false
	// dp: (1,2)->db [2.0e4 flops] (0,1)->ad [4.0e2 flops] total 2.0e4 flops, peak 100 false
	// dp: (1,2)->db [2.0e4 flops] (0,1)->ad [4.0e2 flops] total 2.0e4 flops, peak 100 (over cap) true
}
