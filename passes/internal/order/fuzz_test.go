package order

import (
	"errors"
	"testing"
)

// decodeProblem turns fuzz bytes into a Problem: byte 0 the operand count
// (0..7), then per operand a rank (0..4) and labels (0..9), then sizes
// (0..11, a label may be left without one), output labels and a cap.
func decodeProblem(data []byte) Problem {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	p := Problem{Sizes: map[int]int{}}
	n := next() % 8
	for i := 0; i < n; i++ {
		rank := next() % 5
		var ls []int
		for k := 0; k < rank; k++ {
			ls = append(ls, next()%10)
		}
		p.Operands = append(p.Operands, Operand{Labels: ls})
	}
	for l := 0; l < 10; l++ {
		if s := next(); s != 255 { // 255 leaves the label without a size
			p.Sizes[l] = s % 12
		}
	}
	for k := next() % 5; k > 0; k-- {
		p.Output = append(p.Output, next()%12)
	}
	p.MemCap = int64(next()%64) - 1 // -1 exercises the error
	return p
}

// FuzzPlan checks that no input panics, that invalid problems give errors
// and valid ones a path passing checkPath, and that DP matches brute force.
func FuzzPlan(f *testing.F) {
	f.Add([]byte{4, 2, 0, 1, 2, 1, 2, 2, 2, 3, 2, 3, 4, 10, 200, 10, 200, 10, 2, 0, 4, 0})
	f.Add([]byte{0})
	f.Add([]byte{1, 3, 0, 0, 1, 3, 4, 1, 0, 0})
	f.Add([]byte{3, 0, 1, 5, 1, 5, 7, 1, 1, 1, 1, 1, 11, 3, 1, 5, 11, 9})
	f.Add([]byte{2, 1, 0, 1, 1, 255, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := decodeProblem(data)
		ex, errEx := Exhaustive(p)
		for _, fn := range []func(Problem) (Path, error){Plan, DP, Greedy, LeftToRight} {
			got, err := fn(p)
			if (err != nil && !errors.Is(err, ErrMemCap)) != (errEx != nil && !errors.Is(errEx, ErrMemCap)) {
				t.Fatalf("validity disagrees: %v vs exhaustive %v", err, errEx)
			}
			if err != nil && !errors.Is(err, ErrMemCap) {
				continue
			}
			if errs := checkPath(p, got); len(errs) > 0 {
				t.Fatalf("%s %s: %v\n%s", got.Method, got, errors.Join(errs...), describe(p))
			}
			if got.Method == "dp" && !approxEqual(got.FLOPs, ex.FLOPs) {
				t.Fatalf("DP %s != exhaustive %s\n%s", got, ex, describe(p))
			}
		}
	})
}
