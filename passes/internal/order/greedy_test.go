package order

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// Greedy (with refinement) against the exact DP on 40 seeded einsums of
// 9..12 operands. Measured when written: mean 1.066x, worst 3.25x here
// (1.050x / 4.39x over 160 problems, 3 of them above 1.5x); the misses are
// bulky operands whose private labels DP sums early by pairing them with
// a tiny operand. The bounds guard against regressions.
func TestGreedyQualityAgainstDP(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	var sum, worst, rawSum float64
	const N = 40
	for k := 0; k < N; k++ {
		p := randomProblem(r, 9+k%4)
		g, err := Greedy(p)
		if err != nil {
			t.Fatal(err)
		}
		mustValid(t, p, g)
		opt, err := DP(p)
		if err != nil {
			t.Fatal(err)
		}
		raw := rawGreedy(p)
		if g.FLOPs > raw*(1+1e-9) {
			t.Errorf("case %d: refinement made greedy worse: %g > %g", k, g.FLOPs, raw)
		}
		if g.FLOPs < opt.FLOPs*(1-1e-9) {
			t.Errorf("case %d: greedy %g below the DP optimum %g", k, g.FLOPs, opt.FLOPs)
		}
		q := g.FLOPs / opt.FLOPs
		sum += q
		rawSum += raw / opt.FLOPs
		worst = max(worst, q)
	}
	t.Logf("greedy/optimal over %d problems of 9..12 operands: mean %.4f, worst %.3f (unrefined mean %.2f)", N, sum/N, worst, rawSum/N)
	if sum/N > 1.1 || worst > 4 {
		t.Errorf("greedy quality regressed: mean %.4f, worst %.3f", sum/N, worst)
	}
}

// Greedy under a cap on 9..11 operands: paths stay valid, an error comes
// exactly with OverCap, and when greedy reports success the cap holds.
func TestGreedyMemCap(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	missed := 0
	for k := 0; k < 30; k++ {
		p := randomProblem(r, 9+k%3)
		free, _ := Greedy(p)
		if free.MaxIntermediate < 2 {
			continue
		}
		p.MemCap = free.MaxIntermediate / 2
		g, err := Greedy(p)
		mustValid(t, p, g)
		if errors.Is(err, ErrMemCap) != g.OverCap || (err != nil && !errors.Is(err, ErrMemCap)) {
			t.Fatalf("case %d: error %v, OverCap %v", k, err, g.OverCap)
		}
		opt, errDP := DP(p)
		mustValid(t, p, opt)
		if errDP == nil && err != nil {
			missed++ // greedy is allowed to miss a fitting order
		}
		if errDP != nil && err == nil {
			t.Errorf("case %d: greedy fits the cap where DP says nothing does", k)
		}
	}
	t.Logf("greedy missed a fitting order in %d capped cases", missed)
}

// Large einsums go through greedy quickly and stay valid.
func TestGreedyLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{20, 40, 64, 65, 100} {
		p := randomProblem(r, n)
		got, err := Plan(p)
		if err != nil {
			t.Fatal(err)
		}
		mustValid(t, p, got)
		naive, _ := LeftToRight(p)
		if got.FLOPs > naive.FLOPs*(1+1e-9) {
			t.Errorf("n=%d: greedy %g above left-to-right %g", n, got.FLOPs, naive.FLOPs)
		}
		t.Logf("n=%3d: greedy %.3g, left-to-right %.3g", n, got.FLOPs, naive.FLOPs)
	}
}
