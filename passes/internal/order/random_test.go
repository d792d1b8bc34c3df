package order

import (
	"math/rand/v2"
	"testing"
	"time"
)

// exhaustiveLimit is the largest operand count the random tests brute
// force: 8 operands are 2.5e6 sequences before pruning, still fast with it.
const exhaustiveLimit = 8

// Twenty seeded random einsums of 4..12 operands. Where brute force is
// feasible Plan (DP there) must be within 1.5x of it — in fact equal — and
// raw greedy (before refinement) is reported against it. Above, Plan is
// greedy: its path must replay to the output and stay within 1.5x of the
// exact DP optimum (DP itself runs up to 16 operands).
func TestRandomAgainstExhaustive(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 11))
	worstGreedy, worstPlan := 1.0, 1.0
	for k := 0; k < 20; k++ {
		n := 4 + k%9
		p := randomProblem(r, n)
		got, err := Plan(p)
		if err != nil {
			t.Fatalf("case %d: %v", k, err)
		}
		mustValid(t, p, got)
		naive, _ := LeftToRight(p)
		mustValid(t, p, naive)
		if got.FLOPs > naive.FLOPs*(1+1e-9) {
			t.Errorf("case %d (%d operands): Plan %g above LeftToRight %g", k, n, got.FLOPs, naive.FLOPs)
		}
		g, _ := Greedy(p)
		mustValid(t, p, g)
		if n > exhaustiveLimit {
			if got.Method != "greedy" {
				t.Errorf("case %d: %d operands planned by %s", k, n, got.Method)
			}
			opt, err := DP(p)
			if err != nil {
				t.Fatalf("case %d: %v", k, err)
			}
			mustValid(t, p, opt)
			if got.FLOPs > 1.5*opt.FLOPs || got.FLOPs < opt.FLOPs*(1-1e-9) {
				t.Errorf("case %d: greedy %g vs optimal %g\n%s", k, got.FLOPs, opt.FLOPs, describe(p))
			}
			worstPlan = max(worstPlan, got.FLOPs/opt.FLOPs)
			t.Logf("case %2d: n=%2d greedy %.3g, optimal %.3g (%.3fx), raw greedy %.3fx, left-to-right %.1fx",
				k, n, got.FLOPs, opt.FLOPs, got.FLOPs/opt.FLOPs, rawGreedy(p)/opt.FLOPs, naive.FLOPs/got.FLOPs)
			continue
		}
		start := time.Now()
		ex, err := Exhaustive(p)
		if err != nil {
			t.Fatalf("case %d: %v", k, err)
		}
		mustValid(t, p, ex)
		if got.FLOPs > 1.5*ex.FLOPs {
			t.Errorf("case %d: Plan %g more than 1.5x exhaustive %g\n%s", k, got.FLOPs, ex.FLOPs, describe(p))
		}
		if got.Method != "dp" || !approxEqual(got.FLOPs, ex.FLOPs) {
			t.Errorf("case %d: DP %s differs from exhaustive %s\n%s", k, got, ex, describe(p))
		}
		if g.FLOPs < ex.FLOPs*(1-1e-9) {
			t.Errorf("case %d: greedy %g below exhaustive %g", k, g.FLOPs, ex.FLOPs)
		}
		ratio := rawGreedy(p) / ex.FLOPs
		if ex.FLOPs == 0 {
			ratio = 1
		}
		worstGreedy = max(worstGreedy, ratio)
		t.Logf("case %2d: n=%2d dp %.3g = exhaustive (%v), raw greedy %.3fx, left-to-right %.1fx", k, n, got.FLOPs, time.Since(start).Round(time.Millisecond), ratio, naive.FLOPs/got.FLOPs)
	}
	t.Logf("worst raw-greedy/optimal where brute force ran: %.3f; worst Plan/optimal for 9..12 operands: %.3f", worstGreedy, worstPlan)
}

// Many more small random problems: every method gives a valid path, DP
// equals brute force, and nothing beats brute force.
func TestRandomSmallAllMethods(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var sum, worst float64
	count := 0
	for k := 0; k < 300; k++ {
		p := randomProblem(r, 2+r.IntN(5))
		ex, err := Exhaustive(p)
		if err != nil {
			t.Fatal(err)
		}
		mustValid(t, p, ex)
		for _, f := range []func(Problem) (Path, error){Plan, DP, Greedy, LeftToRight} {
			got, err := f(p)
			if err != nil {
				t.Fatal(err)
			}
			mustValid(t, p, got)
			if got.FLOPs < ex.FLOPs*(1-1e-9) {
				t.Errorf("%s %g below exhaustive %g\n%s", got.Method, got.FLOPs, ex.FLOPs, describe(p))
			}
			if got.Method == "dp" && !approxEqual(got.FLOPs, ex.FLOPs) {
				t.Errorf("DP %s != exhaustive %s\n%s", got, ex, describe(p))
			}
			if got.Method == "greedy" && ex.FLOPs > 0 {
				q := rawGreedy(p) / ex.FLOPs
				sum += q
				count++
				worst = max(worst, q)
			}
		}
	}
	t.Logf("raw greedy (unrefined)/optimal over %d problems: mean %.3f, worst %.3f", count, sum/float64(count), worst)
}

// Plan is deterministic.
func TestDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for k := 0; k < 20; k++ {
		p := randomProblem(r, 2+r.IntN(11))
		a, _ := Plan(p)
		for range 3 {
			b, _ := Plan(p)
			if a.String() != b.String() {
				t.Fatalf("nondeterministic:\n%s\n%s", a, b)
			}
		}
	}
}

// rawGreedy is the cheaper of the two greedy scorings before refinement.
func rawGreedy(p Problem) float64 {
	in, err := newInstance(p)
	if err != nil || in.n < 2 {
		return 0
	}
	a := in.replay("greedy", in.greedyWith(scoreSizeReduction))
	b := in.replay("greedy", in.greedyWith(scoreFLOPs))
	return min(a.FLOPs, b.FLOPs)
}
