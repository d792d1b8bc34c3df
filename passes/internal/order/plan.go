package order

// DPThreshold is the largest operand count Plan solves exactly with DP;
// above it Plan is greedy. At 8, DP evaluates 3^8 = 6561 splits (a few
// tens of microseconds), well below a compile-time budget.
const DPThreshold = 8

// Plan chooses the contraction order for p: DP for 2..DPThreshold
// operands, Greedy beyond, "single" for 0 or 1. Invalid problems (a label
// without a size, a negative size or cap) give an error and a zero Path.
// When no order fits MemCap, Plan returns a valid path with OverCap set
// (for DP, the one with the least possible peak) and an error wrapping
// ErrMemCap; callers that accept the overflow can use the path.
func Plan(p Problem) (Path, error) {
	in, err := newInstance(p)
	if err != nil {
		return Path{}, err
	}
	switch {
	case in.n < 2:
		return in.single(), nil
	case in.n <= DPThreshold:
		return in.dp()
	default:
		return in.greedy()
	}
}
