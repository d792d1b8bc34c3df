package circuit_test

import (
	"fmt"
	"log"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/tensor"
)

// Build a circuit, print it in the text format, zero-ablate a node with a
// matcher, and evaluate both versions together (shared subtrees once).
func Example_build() {
	xt, err := tensor.FromFloat64([]int{2, 3}, []float64{1, -2, 3, -4, 5, -6})
	if err != nil {
		log.Fatal(err)
	}
	x, _ := circuit.NewArray(xt, "x")
	h, _ := circuit.NewGeneralFunction("h", "relu", x)
	y, err := circuit.NewAdd("y", h, x) // x appears twice: printed once, then by ident
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(circuit.PrintCircuits([]circuit.Circuit{y}, circuit.PrintOptions{HashPrefix: 8}))

	ablated, err := match.Update(y, match.Name("h"), func(c circuit.Circuit) (circuit.Circuit, error) {
		return circuit.NewScalar(0, c.Shape(), "h zero")
	}, match.UpdateOptions{ErrorIfNothingMatched: true})
	if err != nil {
		log.Fatal(err)
	}
	outs, err := circuit.EvaluateAll([]circuit.Circuit{y, ablated}, circuit.EvalOptions{DType: tensor.Float64})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("y:      ", outs[0].Float64s())
	fmt.Println("ablated:", outs[1].Float64s())
	// Output:
	// 0 'y' Add
	//   1 'h' GeneralFunction relu
	//     2 'x' [2,3] Array 64cc5945
	//   2
	// y:       [2 -2 6 -4 10 -6]
	// ablated: [1 -2 3 -4 5 -6]
}
