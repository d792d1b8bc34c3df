package remix_test

import (
	"fmt"

	"github.com/circopt/circopt/ablate"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/remix"
	"github.com/circopt/circopt/tensor"
)

// Build a TwoLayerSkip from a state dict (here all zeros) and path-patch the
// skip connection's input with a shuffled batch: only the x directly under
// 'skip' becomes x[perm]; the x feeding first is untouched.
func ExampleBuildModel() {
	zeros := func(shape ...int) *tensor.Tensor { t, _ := tensor.Zeros(tensor.Float32, shape); return t }
	sd := map[string]*tensor.Tensor{
		"first.weight": zeros(784, 784), "first.bias": zeros(784),
		"last.weight": zeros(10, 784), "last.bias": zeros(10),
	}
	model, err := remix.BuildModel(sd, 4)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ := match.ParseMatcher(remix.MatchSkipInput)
	patched, err := ablate.PatchPath(model, m, "x shuffled", ablate.Shuffle(0, 4))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, q := range []string{"'skip' > 'x shuffled'", "'first' >> 'x shuffled'", "'first' >> 'x'"} {
		im, _ := match.ParseMatcher(q)
		found, _ := match.Get(patched, im)
		fmt.Printf("%-26s finds %d\n", q, len(found))
	}
	fmt.Println(circuit.CountNodes(patched)-circuit.CountNodes(model), "node added")
	// Output:
	// 'skip' > 'x shuffled'      finds 1
	// 'first' >> 'x shuffled'    finds 0
	// 'first' >> 'x'             finds 1
	// 1 node added
}
