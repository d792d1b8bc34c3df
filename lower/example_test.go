package lower_test

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/lower"
	"github.com/circopt/circopt/tensor"
)

// Two roots over one shared subtree lower to one program in which the
// subtree appears once.
func ExampleLower() {
	x, _ := circuit.NewSymbol([]int{2, 3}, "", "x")
	h, _ := circuit.NewRearrangeString("h", "a b -> b a", x)
	r, _ := circuit.NewGeneralFunction("r", "relu", h)
	m, _ := circuit.NewGeneralFunction("m", "max", h)
	p, err := lower.Lower([]circuit.Circuit{r, m}, lower.Options{DType: tensor.Float64})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(p)
	// Output:
	// %0 = input "x" : f64[2,3]
	// %1 = permute [1,0] %0 : f64[3,2]
	// %2 = relu %1 : f64[3,2]
	// %3 = reduce_max %1 : f64[3]
	// output "r" %2
	// output "m" %3
}

// Raise turns a program back into circuits that print in the text format:
// the reshape and permute that "(a b:2) -> b a" lowered to come back as two
// Rearranges, and the input as a Symbol with a name-derived uuid.
func ExampleRaise() {
	x, _ := circuit.NewSymbol([]int{4}, "", "x")
	y, _ := circuit.NewRearrangeString("y", "(a b:2) -> b a", x)
	p, _ := lower.Lower([]circuit.Circuit{y}, lower.Options{})
	cs, err := lower.Raise(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(circuit.Print(cs[0]))
	// Output:
	// 0 'y' Rearrange a b -> b a
	//   1 'x rearrange' Rearrange (a:2 b:2) -> a:2 b:2
	//     2 'x' [4] Symbol c3f05861-7e4d-851e-8bf8-a77e1e35c28f
}
