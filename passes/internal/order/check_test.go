package order

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// checkPath replays path on p with plain maps, independently of the
// package's bitsets, and returns every invariant it breaks: the steps'
// indices are in range, each step keeps exactly the labels still needed and
// sums the rest, every summed label is summed once, FLOPs and Elements
// follow the cost model and add up, and the last operand's labels equal
// the output labels present in the inputs.
func checkPath(p Problem, path Path) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	inOut := map[int]bool{}
	for _, l := range p.Output {
		inOut[l] = true
	}
	var ops []map[int]bool
	present := map[int]bool{}
	for _, op := range p.Operands {
		m := map[int]bool{}
		for _, l := range op.Labels {
			m[l] = true
			present[l] = true
		}
		ops = append(ops, m)
	}
	prod := func(m map[int]bool) float64 {
		f := 1.0
		for l := range m {
			f *= float64(p.Sizes[l])
		}
		return f
	}
	summedAt := map[int]int{}
	total := 0.0
	var peak int64
	for k, st := range path.Steps {
		var u map[int]bool
		var rest []map[int]bool
		switch {
		case st.Right == -1:
			if len(ops) != 1 || st.Left != 0 {
				bad("step %d: reduction step (%d) with %d operands", k, st.Left, len(ops))
				return errs
			}
			u, rest = ops[0], nil
		case st.Left < 0 || st.Left >= st.Right || st.Right >= len(ops):
			bad("step %d: indices (%d,%d) invalid for %d operands", k, st.Left, st.Right, len(ops))
			return errs
		default:
			u = map[int]bool{}
			for l := range ops[st.Left] {
				u[l] = true
			}
			for l := range ops[st.Right] {
				u[l] = true
			}
			for i, o := range ops {
				if i != st.Left && i != st.Right {
					rest = append(rest, o)
				}
			}
		}
		want := map[int]bool{}
		var summed []int
		for l := range u {
			needed := inOut[l]
			for _, o := range rest {
				needed = needed || o[l]
			}
			if needed {
				want[l] = true
			} else {
				summed = append(summed, l)
				if prev, ok := summedAt[l]; ok {
					bad("step %d: label %d summed again (first at step %d)", k, l, prev)
				}
				summedAt[l] = k
			}
		}
		sort.Ints(summed)
		got := map[int]bool{}
		for _, l := range st.Result {
			if got[l] {
				bad("step %d: label %d repeated in result %v", k, l, st.Result)
			}
			got[l] = true
		}
		if !mapsEqual(got, want) {
			bad("step %d: result %v, want labels %v", k, st.Result, keys(want))
		}
		if !slices.Equal(summed, st.Summed) && !(len(summed) == 0 && len(st.Summed) == 0) {
			bad("step %d: summed %v, want %v", k, st.Summed, summed)
		}
		var flops float64
		if st.Right == -1 {
			flops = prod(u)
		} else {
			flops = prod(u)
			if len(summed) > 0 {
				flops *= 2
			}
		}
		if !approxEqual(flops, st.FLOPs) {
			bad("step %d: FLOPs %g, want %g", k, st.FLOPs, flops)
		}
		if e := prod(want); !approxEqual(e, float64(st.Elements)) && !(e >= math.MaxInt64 && st.Elements == math.MaxInt64) {
			bad("step %d: Elements %d, want %g", k, st.Elements, e)
		}
		if k < len(path.Steps)-1 && st.Elements > peak {
			peak = st.Elements
		}
		total += flops
		ops = append(rest, want)
	}
	if !approxEqual(total, path.FLOPs) {
		bad("path FLOPs %g, steps add up to %g", path.FLOPs, total)
	}
	if peak != path.MaxIntermediate {
		bad("MaxIntermediate %d, steps give %d", path.MaxIntermediate, peak)
	}
	if p.MemCap > 0 && (peak > p.MemCap) != path.OverCap {
		bad("OverCap %v with peak %d and cap %d", path.OverCap, peak, p.MemCap)
	}
	wantFinal := []int{}
	for _, l := range p.Output {
		if present[l] && !slices.Contains(wantFinal, l) {
			wantFinal = append(wantFinal, l)
		}
	}
	if !slices.Equal(wantFinal, path.Final) {
		bad("Final %v, want %v", path.Final, wantFinal)
	}
	switch {
	case len(p.Operands) == 0:
		if len(path.Steps) != 0 {
			bad("%d steps for no operands", len(path.Steps))
		}
	case len(ops) != 1:
		bad("%d operands left after the path, want 1", len(ops))
	default:
		last := map[int]bool{}
		for _, l := range wantFinal {
			last[l] = true
		}
		if !mapsEqual(ops[0], last) {
			bad("final labels %v, want %v", keys(ops[0]), wantFinal)
		}
		if len(path.Steps) > 0 && !slices.Equal(path.Steps[len(path.Steps)-1].Result, wantFinal) {
			bad("last step result %v not in output order %v", path.Steps[len(path.Steps)-1].Result, wantFinal)
		}
	}
	for l := range present {
		if _, ok := summedAt[l]; !inOut[l] && !ok {
			bad("label %d is in no output and never summed", l)
		}
	}
	return errs
}

func approxEqual(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

func mapsEqual(a, b map[int]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func keys(m map[int]bool) []int {
	var ks []int
	for k := range m {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	return ks
}
