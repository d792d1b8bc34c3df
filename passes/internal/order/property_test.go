package order

import (
	"errors"
	"testing"

	"pgregory.net/rapid"
)

// genProblem draws a small einsum: up to 6 operands over up to 7 labels
// (sizes 0..9, so zero extents occur), any output, sometimes a cap.
func genProblem(t *rapid.T) Problem {
	nl := rapid.IntRange(0, 7).Draw(t, "labels")
	p := Problem{Sizes: map[int]int{}}
	for l := 0; l < nl; l++ {
		p.Sizes[l] = rapid.IntRange(0, 9).Draw(t, "size")
	}
	n := rapid.IntRange(0, 6).Draw(t, "operands")
	for i := 0; i < n; i++ {
		var ls []int
		if nl > 0 {
			ls = rapid.SliceOfN(rapid.IntRange(0, nl-1), 0, 4).Draw(t, "op")
		}
		p.Operands = append(p.Operands, Operand{Labels: ls})
	}
	p.Output = rapid.SliceOfN(rapid.IntRange(0, nl+1), 0, 4).Draw(t, "out")
	if rapid.Bool().Draw(t, "capped") {
		p.MemCap = rapid.Int64Range(1, 200).Draw(t, "cap")
	}
	return p
}

// Every method yields a valid path; DP equals brute force in FLOPs (and in
// peak when no order fits the cap); nothing is cheaper than brute force.
func TestPropertyMethodsAgree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genProblem(t)
		ex, errEx := Exhaustive(p)
		if errEx != nil && !errors.Is(errEx, ErrMemCap) {
			t.Fatal(errEx)
		}
		if errs := checkPath(p, ex); len(errs) > 0 {
			t.Fatalf("exhaustive %s: %v", ex, errors.Join(errs...))
		}
		for _, f := range []func(Problem) (Path, error){Plan, DP, Greedy, LeftToRight} {
			got, err := f(p)
			if err != nil && !errors.Is(err, ErrMemCap) {
				t.Fatal(err)
			}
			if errs := checkPath(p, got); len(errs) > 0 {
				t.Fatalf("%s %s: %v", got.Method, got, errors.Join(errs...))
			}
			if (err != nil) != got.OverCap && got.Method != "left-to-right" {
				t.Fatalf("%s: error %v with OverCap %v", got.Method, err, got.OverCap)
			}
			if got.Method == "dp" || got.Method == "single" {
				if (errEx != nil) != (err != nil) || !approxEqual(got.FLOPs, ex.FLOPs) ||
					errEx != nil && got.MaxIntermediate != ex.MaxIntermediate {
					t.Fatalf("DP %s (%v)\nexhaustive %s (%v)", got, err, ex, errEx)
				}
			}
			if !ex.OverCap && !got.OverCap && got.FLOPs < ex.FLOPs*(1-1e-9) {
				t.Fatalf("%s %s cheaper than exhaustive %s", got.Method, got, ex)
			}
		}
	})
}
