package order

import "fmt"

// ExhaustiveMaxOperands bounds Exhaustive: n operands have
// n!(n-1)!/2^(n-1) contraction sequences (2.5e6 at 8, 1.6e8 at 9, before
// pruning).
const ExhaustiveMaxOperands = 9

// Exhaustive is a brute-force oracle for tests: it enumerates every
// sequence of pairwise contractions (so every contraction tree), pruning
// only branches already costlier than the best found, and returns the
// cheapest one whose intermediates fit MemCap. When none fits it returns
// the sequence minimizing (peak, FLOPs) with OverCap set and an error
// wrapping ErrMemCap, matching DP's fallback.
func Exhaustive(p Problem) (Path, error) {
	in, err := newInstance(p)
	if err != nil {
		return Path{}, err
	}
	if in.n > ExhaustiveMaxOperands {
		return Path{}, fmt.Errorf("order: Exhaustive handles at most %d operands, got %d", ExhaustiveMaxOperands, in.n)
	}
	if in.n < 2 {
		return in.single(), nil
	}
	x := &search{in: in, capped: true}
	x.run(newState(in), 0, 0, nil)
	if x.found {
		return in.replay("exhaustive", x.best), nil
	}
	x = &search{in: in}
	x.run(newState(in), 0, 0, nil)
	path := in.replay("exhaustive", x.best)
	return path, fmt.Errorf("order: %w: cap %d elements, smallest achievable peak %d", ErrMemCap, in.memCap, x.bestPeak)
}

// search is one branch-and-bound run. capped: minimize FLOPs, rejecting
// intermediates over the cap; otherwise minimize (peak, FLOPs).
type search struct {
	in        *instance
	capped    bool
	found     bool
	best      [][2]int
	bestFLOPs float64
	bestPeak  int64
}

func (x *search) run(s *state, flops float64, peak int64, seq [][2]int) {
	if len(s.nodes) == 1 {
		x.found, x.bestFLOPs, x.bestPeak = true, flops, peak
		x.best = append([][2]int(nil), seq...)
		return
	}
	final := len(s.nodes) == 2
	for i := 0; i < len(s.nodes); i++ {
		for j := i + 1; j < len(s.nodes); j++ {
			c := s.cost(i, j)
			e := elements(c.elements)
			np := peak
			if !final && e > np {
				np = e
			}
			nf := flops + c.flops
			if x.capped {
				if !final && x.in.exceeds(e) {
					continue
				}
				if x.found && nf >= x.bestFLOPs {
					continue
				}
			} else if x.found && (np > x.bestPeak || np == x.bestPeak && nf >= x.bestFLOPs) {
				continue
			}
			child := s.clone()
			child.apply(i, j)
			x.run(child, nf, np, append(seq, [2]int{i, j}))
		}
	}
}
