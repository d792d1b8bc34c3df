package bench

// Suite returns the benchmark workloads; quick shrinks them for tests.
func Suite(quick bool) ([]*Case, error) {
	type mk func() (*Case, error)
	var ms []mk
	if quick {
		ms = []mk{
			func() (*Case, error) { return MLPCase(16, 32, 64) },
			func() (*Case, error) { return AttentionCase(2, 8, 2, 8) },
			func() (*Case, error) { return ChainCase(4, 12, 10, 12, 10, 12) },
			func() (*Case, error) { return BatchedCase(4, 8, 8, 8) },
			func() (*Case, error) { return WideAddCase(8, 16, 12) },
			func() (*Case, error) { return SweepCase(30, 8, 16, 60) },
		}
	} else {
		ms = []mk{
			func() (*Case, error) { return MLPCase(128, 256, 1024) },
			func() (*Case, error) { return AttentionCase(4, 64, 4, 32) },
			func() (*Case, error) { return ChainCase(4, 48, 40, 48, 40, 48) },
			func() (*Case, error) { return BatchedCase(64, 64, 64, 64) },
			func() (*Case, error) { return WideAddCase(64, 256, 32) },
			func() (*Case, error) { return SweepCase(30, 64, 128, 480) },
		}
	}
	var out []*Case
	for _, m := range ms {
		c, err := m()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
