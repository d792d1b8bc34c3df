// Command day4a reproduces REMIX day 4a (causal scrubbing on a tiny
// hand-built model): with -gen it writes data.npz, then it scrubs every
// hypothesis file here and prints the README's table.
//
//	go run ./examples/day4a [-gen] [-n 10000] [-seed 11]
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/scrub"
	"github.com/circopt/circopt/tensor"
)

// hypotheses are the notebook's, in its order: file, description.
var hypotheses = [][2]string{
	{"shuffled_labels.json", "baseline: labels resampled, everything else exact"},
	{"hypothesis.json", "the notebook's hypothesis (x0>3 or x1>3 via A, B, D)"},
	{"ex1_or_only.json", "exercise 1: only 'x0>3 or x1>3', via x0, x1 anywhere"},
	{"ex2a_x0_to_A_random.json", "exercise 2: x0 -> A randomly resampled"},
	{"ex2b_x0_to_A_exact.json", "exercise 2: x0 -> A kept"},
	{"ex3_flow_only.json", "exercise 3: information flow only (all exact)"},
	{"and_instead_of_or.json", "other: D computes AND instead of OR (wrong)"},
}

func main() {
	dir := flag.String("dir", "examples/day4a", "the example's directory")
	gen := flag.Bool("gen", false, "regenerate data.npz first")
	n := flag.Int("n", 10000, "samples per scrub")
	seed := flag.Uint64("seed", 11, "sampling seed")
	flag.Parse()
	if err := run(*dir, *gen, *n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(dir string, gen bool, n int, seed uint64) error {
	data := filepath.Join(dir, "data.npz")
	if gen {
		if err := scrub.WriteNpz(data, makeDataset(10000, 33)); err != nil {
			return err
		}
	}
	ds, err := scrub.LoadDataset(data)
	if err != nil {
		return err
	}
	cs, err := circuit.ParseFile(filepath.Join(dir, "model.circ"), circuit.ParseOptions{})
	if err != nil {
		return err
	}
	var rows []string
	var base *scrub.Result
	for _, h := range hypotheses {
		r, err := scrub.RunFile(filepath.Join(dir, h[0]), cs[0], ds, n, seed, scrub.RunOptions{})
		if err != nil {
			return err
		}
		if base == nil {
			base = r // the baseline row: its scrubbed loss is the shuffled-label loss
		}
		rows = append(rows, fmt.Sprintf("| %s | [`%s`](%s) | %.4f ± %.4f | %.3f |", h[1], h[0], h[0], r.Scrubbed.Mean, r.Scrubbed.Stderr, r.LossRecovered))
	}
	fmt.Printf("n = %d reference examples, seed %d, float32 (`go run ./examples/day4a -n %d -seed %d`)\n\n", n, seed, n, seed)
	fmt.Println("| baseline | loss |")
	fmt.Println("|---|---|")
	fmt.Printf("| original (reference data) | %.4f ± %.4f |\n", base.Original.Mean, base.Original.Stderr)
	fmt.Printf("| shuffled labels | %.4f ± %.4f |\n", base.Scrubbed.Mean, base.Scrubbed.Stderr)
	fmt.Printf("| random inputs (every input array from its own random datum) | %.4f ± %.4f |\n\n", base.Random.Mean, base.Random.Stderr)
	fmt.Println("| hypothesis | file | scrubbed loss | loss recovered |")
	fmt.Println("|---|---|---|---|")
	for _, r := range rows {
		fmt.Println(r)
	}
	return nil
}

// makeDataset draws n triples of digits 0-9 and the notebook's label
// (x0 > 3 or x1 > 3), plus the feature columns the hypotheses agree on.
func makeDataset(n int, seed uint64) map[string]*tensor.Tensor {
	rng := rand.New(rand.NewPCG(seed, 0))
	cols := map[string][]float32{}
	xs := make([]float32, 0, 3*n)
	b := func(v bool) float32 {
		if v {
			return 1
		}
		return 0
	}
	for range n {
		x := [3]int{rng.IntN(10), rng.IntN(10), rng.IntN(10)}
		for _, v := range x {
			xs = append(xs, float32(v))
		}
		or := x[0] > 3 || x[1] > 3
		and := x[0] > 3 && x[1] > 3
		label := or
		cols["labels"] = append(cols["labels"], b(label))
		cols["x0"] = append(cols["x0"], float32(x[0]))
		cols["x1"] = append(cols["x1"], float32(x[1]))
		cols["x0_gt_3"] = append(cols["x0_gt_3"], b(x[0] > 3))
		cols["x1_gt_3"] = append(cols["x1_gt_3"], b(x[1] > 3))
		cols["x0_or_x1_gt_3"] = append(cols["x0_or_x1_gt_3"], b(or))
		cols["or_agrees_with_label"] = append(cols["or_agrees_with_label"], b(or == label))
		cols["x0_and_x1_gt_3"] = append(cols["x0_and_x1_gt_3"], b(and))
		cols["and_agrees_with_label"] = append(cols["and_agrees_with_label"], b(and == label))
	}
	out := map[string]*tensor.Tensor{}
	out["xs"], _ = tensor.FromFloat32([]int{n, 3}, xs)
	for k, v := range cols {
		out[k], _ = tensor.FromFloat32([]int{n}, v)
	}
	return out
}
