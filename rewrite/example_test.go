package rewrite_test

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/rewrite"
)

// The Add named "sum" collapses to its one remaining term, which keeps its
// own (empty) name: eliminating a node never renames what is left.
func ExampleSimp() {
	x, _ := circuit.NewSymbol([]int{3}, "1f9a6f2e-0c4b-4d8e-9a55-2b7c1d3e4f50", "x")
	zero, _ := circuit.NewScalar(0, nil, "")
	inner, _ := circuit.NewAdd("", x, zero)
	sum, _ := circuit.NewAdd("sum", inner, x)
	res, err := rewrite.Simp(sum, rewrite.SimpOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(res)
	fmt.Print(circuit.Print(res.Circuit))
	// Output:
	// fixed point after 2 passes, 4 rewrites
	// 0 Einsum a,->a
	//   1 'x' [3] Symbol 1f9a6f2e-0c4b-4d8e-9a55-2b7c1d3e4f50
	//   2 [] Scalar 2
}

func ExampleApply() {
	x, _ := circuit.NewSymbol([]int{2, 3}, "1f9a6f2e-0c4b-4d8e-9a55-2b7c1d3e4f50", "x")
	relu, _ := circuit.NewGeneralFunction("", "relu", x)
	row, _ := circuit.NewIndex("row", []circuit.AxisIndex{circuit.Int(0)}, relu)
	r, n, err := rewrite.Apply(row, []string{"push_down_index"}, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(n, "rewrite")
	fmt.Print(circuit.Print(r))
	// Output:
	// 1 rewrite
	// 0 'row' GeneralFunction relu
	//   1 'x idx' [3] Index [0,:]
	//     2 'x' [2,3] Symbol 1f9a6f2e-0c4b-4d8e-9a55-2b7c1d3e4f50
}

func ExampleAllRules() {
	for _, r := range rewrite.AllRules()[:3] {
		fmt.Printf("%-28s %s\n", r.Name, r.Doc)
	}
	// Output:
	// add_flatten                  an Add child of an Add is spliced into its parent
	// add_elim_zeros               zero Scalar terms of an Add are dropped (when the shape is kept)
	// add_collapse_scalar_inputs   several Scalar terms of an Add become one Scalar
}
