package match_test

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/tensor"
)

// The REMIX model logits = last(x + relu(first(x))): replace only the x that
// feeds the skip connection, as path patching does.
func ExampleUpdate() {
	arr := func(name string, seed uint64, shape ...int) circuit.Circuit {
		a, _ := circuit.RandArray(shape, seed, tensor.Float64, name)
		return a
	}
	x := arr("x", 1, 4)
	first, _ := circuit.Linear("first", x, arr("w1", 2, 4, 4), arr("b1", 3, 4))
	relu, _ := circuit.NewGeneralFunction("relu", "relu", first)
	skip, _ := circuit.NewAdd("skip", x, relu)
	last, _ := circuit.Linear("last", skip, arr("w2", 4, 2, 4), arr("b2", 5, 2))

	m, err := match.ParseMatcher(`'skip' > 'x'`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m)
	x2 := arr("x", 6, 4)
	patched, err := match.Update(last, m, func(circuit.Circuit) (circuit.Circuit, error) { return x2, nil },
		match.UpdateOptions{ErrorIfNothingMatched: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	xs, _ := match.Get(patched, match.Name("x"))
	fmt.Println(len(xs), "distinct x nodes after patching")
	viaFirst, _ := match.GetUnique(patched, match.Chain(match.Name("first"), match.Name("x")))
	fmt.Println("first still reads the original x:", circuit.Equal(viaFirst, x))
	// Output:
	// ["skip" -> Restrict{depth_range: 1:2, matcher: "x"}]
	// 2 distinct x nodes after patching
	// first still reads the original x: true
}

func ExampleGetPaths() {
	x, _ := circuit.NewScalar(1, nil, "x")
	f, _ := circuit.NewGeneralFunction("f", "exp", x)
	g, _ := circuit.NewAdd("g", f, x)
	paths, _ := match.GetAllPaths(g, match.Name("x"))
	for _, p := range paths {
		for i, n := range p {
			if i > 0 {
				fmt.Print(" > ")
			}
			fmt.Print(n.Name())
		}
		fmt.Println()
	}
	// Output:
	// g > f > x
	// g > x
}
