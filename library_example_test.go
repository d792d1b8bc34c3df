package circopt_test

import (
	"fmt"
	"log"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/ablate"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/tensor"
)

// The README's library section, runnable: build TwoLayerSkip from
// weights, path-patch its skip connection, and evaluate both circuits at
// once, compiled and with the reference evaluator. The lines between the
// README markers are the README's snippet, checked by TestREADMESnippet.
func Example_library() {
	// small weights: 4 inputs, 4 hidden units, 2 classes
	fill := func(shape []int, f func(i int) float64) *tensor.Tensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = f(i)
		}
		t, err := tensor.FromFloat64(shape, v)
		if err != nil {
			log.Fatal(err)
		}
		return t
	}
	weights := map[string]*tensor.Tensor{
		"first.weight": fill([]int{4, 4}, func(i int) float64 { return float64(i%5) - 2 }),
		"first.bias":   fill([]int{4}, func(i int) float64 { return 0.5 }),
		"last.weight":  fill([]int{2, 4}, func(i int) float64 { return float64(i%3) - 1 }),
		"last.bias":    fill([]int{2}, func(i int) float64 { return 0 }),
	}
	batch := fill([]int{3, 4}, func(i int) float64 { return float64(i*7%5) - 2 })
	bindings := map[string]*tensor.Tensor{"x": batch}
	must := func(c circuit.Circuit, err error) circuit.Circuit {
		if err != nil {
			log.Fatal(err)
		}
		return c
	}

	// README begin
	x := must(circuit.NewSymbol([]int{3, 4}, "", "x"))
	w1 := must(circuit.NewArray(weights["first.weight"], "first.weight"))
	b1 := must(circuit.NewArray(weights["first.bias"], "first.bias"))
	w2 := must(circuit.NewArray(weights["last.weight"], "last.weight"))
	b2 := must(circuit.NewArray(weights["last.bias"], "last.bias"))
	first := must(circuit.Linear("first", x, w1, b1))
	relu := must(circuit.NewGeneralFunction("relu", "relu", first))
	skip := must(circuit.NewAdd("skip", x, relu))
	model := must(circuit.Linear("last", skip, w2, b2))

	// path patching: replace only the x that feeds the skip connection by
	// x on a shuffled batch (package ablate also has zero, mean and
	// resample ablation)
	m, _ := match.ParseMatcher("'skip' > 'x'")
	patched := must(ablate.PatchPath(model, m, "x shuffled", ablate.Shuffle(0, 3)))

	// evaluate many variants at once: shared work (first(x)) is computed once
	outs, err := circopt.EvaluateMany([]circuit.Circuit{model, patched}, bindings, circopt.Options{})
	if err != nil {
		log.Fatal(err)
	}

	// or compile once, run many times with new bindings
	plan, err := circopt.Compile([]circuit.Circuit{model, patched}, circopt.Options{MaxMemory: 1 << 30})
	if err != nil {
		log.Fatal(err)
	}
	again, _, err := plan.Run(bindings)
	if err != nil {
		log.Fatal(err)
	}

	// the reference semantics
	v, err := circuit.Evaluate(model, circuit.EvalOptions{DType: tensor.Float64, Bindings: bindings})
	if err != nil {
		log.Fatal(err)
	}
	// README end

	fmt.Println("model:  ", outs[0].Float64s())
	fmt.Println("patched:", outs[1].Float64s())
	fmt.Println("plan agrees:", fmt.Sprint(again[1].Float64s()) == fmt.Sprint(outs[1].Float64s()))
	fmt.Println("reference:", v.Float64s())
	// Output:
	// model:   [-5 -2 -5.5 4.5 3 -2.5]
	// patched: [-11 3 2.5 4.5 1 -7.5]
	// plan agrees: true
	// reference: [-5 -2 -5.5 4.5 3 -2.5]
}
