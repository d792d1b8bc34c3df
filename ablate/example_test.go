package ablate_test

import (
	"fmt"

	"github.com/circopt/circopt/ablate"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/tensor"
)

// Ablate the hidden unit of a tiny model y = w·relu(x) + x in three ways and
// evaluate each on a batch of four inputs.
func Example() {
	xt, _ := tensor.FromFloat64([]int{4, 2}, []float64{1, 2, -1, 0, 3, 1, 0, -2})
	x, _ := circuit.NewArray(xt, "x")
	h, _ := circuit.NewGeneralFunction("h", "relu", x)
	wt, _ := tensor.FromFloat64([]int{2, 2}, []float64{2, 0, 0, 2})
	w, _ := circuit.NewArray(wt, "w")
	hw, _ := circuit.NewEinsumSpec("hw", "bi,oi->bo", h, w)
	y, _ := circuit.NewAdd("y", hw, x)

	zero, _ := ablate.ZeroAblate(y, match.Name("h"))
	mean, _ := ablate.MeanAblate(y, match.Name("h"))
	// h computed on the batch in another order: its x is x[perm]
	resampled, _ := ablate.ResampleAblate(y, match.Name("h"), "x", "x shuffled", ablate.Shuffle(1, 4))
	names := []string{"clean", "zero", "mean", "resample"}
	for i, c := range []circuit.Circuit{y, zero, mean, resampled} {
		out, err := circuit.Evaluate(c, circuit.EvalOptions{DType: tensor.Float64})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-8s rows 0 and 1 of y: %v\n", names[i], out.Float64s()[:4])
	}
	// Output:
	// clean    rows 0 and 1 of y: [3 6 -1 0]
	// zero     rows 0 and 1 of y: [1 2 -1 0]
	// mean     rows 0 and 1 of y: [3 3.5 1 1.5]
	// resample rows 0 and 1 of y: [7 4 1 4]
}
