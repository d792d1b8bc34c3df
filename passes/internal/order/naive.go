package order

// LeftToRight is the naive order ((A0 A1) A2) ...: the baseline that Plan
// is measured against. It ignores MemCap but sets OverCap when the path
// breaks it; the error reports only an invalid Problem.
func LeftToRight(p Problem) (Path, error) {
	in, err := newInstance(p)
	if err != nil {
		return Path{}, err
	}
	if in.n < 2 {
		return in.single(), nil
	}
	// After (0,1) the running result is last and the next input is first.
	pairs := [][2]int{{0, 1}}
	for k := in.n - 2; k >= 1; k-- {
		pairs = append(pairs, [2]int{0, k})
	}
	p2 := in.replay("left-to-right", pairs)
	return p2, nil
}
