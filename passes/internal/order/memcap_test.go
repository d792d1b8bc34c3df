package order

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// ab,bc,cd->ad with a=2, b=10, c=100, d=10, worked by hand:
//
//	(AB)C: 2·abc + 2·acd = 4000 + 4000 = 8000, intermediate ac = 200
//	A(BC): 2·bcd + 2·abd = 20000 + 400 = 20400, intermediate bd = 100
//	(AC)B: abcd + 2·abcd = 20000 + 40000 = 60000, intermediate abcd = 20000
var capSizes = map[rune]int{'a': 2, 'b': 10, 'c': 100, 'd': 10}

func TestMemCap(t *testing.T) {
	cases := []struct {
		cap     int64
		flops   float64
		peak    int64
		first   [2]int
		overCap bool
	}{
		{0, 8000, 200, [2]int{0, 1}, false},
		{200, 8000, 200, [2]int{0, 1}, false}, // the cap is inclusive
		{150, 20400, 100, [2]int{1, 2}, false},
		{100, 20400, 100, [2]int{1, 2}, false},
		// Nothing fits 50: the least peak (100) is returned with an error.
		{50, 20400, 100, [2]int{1, 2}, true},
	}
	for _, c := range cases {
		p := spec(t, "ab,bc,cd->ad", capSizes)
		p.MemCap = c.cap
		for _, f := range []func(Problem) (Path, error){Plan, DP, Greedy, Exhaustive} {
			got, err := f(p)
			if c.overCap != errors.Is(err, ErrMemCap) || (err != nil && !c.overCap) {
				t.Errorf("cap %d %s: error %v", c.cap, got.Method, err)
			}
			mustValid(t, p, got)
			if got.FLOPs != c.flops || got.MaxIntermediate != c.peak || got.OverCap != c.overCap ||
				[2]int{got.Steps[0].Left, got.Steps[0].Right} != c.first {
				t.Errorf("cap %d: %s, want %g flops, peak %d, first %v, overCap %v", c.cap, got, c.flops, c.peak, c.first, c.overCap)
			}
		}
		// The naive order ignores the cap but reports breaking it.
		naive, err := LeftToRight(p)
		if err != nil || naive.FLOPs != 8000 || naive.OverCap != (c.cap > 0 && c.cap < 200) {
			t.Errorf("cap %d: LeftToRight %s, %v", c.cap, naive, err)
		}
	}
}

// The final result is not an intermediate: a cap below the output's size
// still allows every order whose inner results fit.
func TestMemCapExemptsOutput(t *testing.T) {
	p := spec(t, "ab,bc->ac", map[rune]int{'a': 100, 'b': 2, 'c': 100})
	p.MemCap = 10
	got, err := Plan(p)
	if err != nil || got.OverCap || got.Steps[0].Elements != 10000 {
		t.Errorf("Plan %s, %v", got, err)
	}
}

// DP under a cap (and its min-peak fallback) matches brute force on random
// problems and random caps.
func TestMemCapRandomAgainstExhaustive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	fallbacks, tested := 0, 0
	for k := 0; k < 60; k++ {
		p := randomProblem(r, 3+r.IntN(4))
		free, err := DP(p)
		if err != nil || free.MaxIntermediate == 0 {
			continue
		}
		// Caps around the unconstrained peak force other orders or the fallback.
		p.MemCap = 1 + r.Int64N(free.MaxIntermediate)
		tested++
		dp, errDP := DP(p)
		ex, errEx := Exhaustive(p)
		mustValid(t, p, dp)
		mustValid(t, p, ex)
		if errors.Is(errDP, ErrMemCap) != errors.Is(errEx, ErrMemCap) {
			t.Fatalf("%s: DP error %v, Exhaustive error %v", describe(p), errDP, errEx)
		}
		if errDP != nil {
			fallbacks++
			if dp.MaxIntermediate != ex.MaxIntermediate {
				t.Errorf("%s: fallback peaks DP %d, exhaustive %d", describe(p), dp.MaxIntermediate, ex.MaxIntermediate)
			}
		} else if dp.MaxIntermediate > p.MemCap {
			t.Errorf("%s: DP peak %d over cap", describe(p), dp.MaxIntermediate)
		}
		if !approxEqual(dp.FLOPs, ex.FLOPs) {
			t.Errorf("%s: DP %s\nexhaustive %s", describe(p), dp, ex)
		}
		g, errG := Greedy(p)
		mustValid(t, p, g)
		if errG == nil && g.MaxIntermediate > p.MemCap {
			t.Errorf("%s: greedy peak %d over cap without error", describe(p), g.MaxIntermediate)
		}
	}
	t.Logf("%d of %d capped cases had no fitting order", fallbacks, tested)
	if fallbacks == 0 || fallbacks == tested {
		t.Errorf("capped cases do not exercise both outcomes")
	}
}
