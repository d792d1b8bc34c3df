package order

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// spec builds a Problem from an einsum string over letters a..z (label =
// letter - 'a'), with sizes given per letter.
func spec(t testing.TB, s string, sizes map[rune]int) Problem {
	t.Helper()
	lhs, rhs, ok := strings.Cut(s, "->")
	if !ok {
		t.Fatalf("spec %q: no ->", s)
	}
	var p Problem
	p.Sizes = map[int]int{}
	for r, n := range sizes {
		p.Sizes[int(r-'a')] = n
	}
	labels := func(x string) []int {
		ls := []int{}
		for _, r := range x {
			if r < 'a' || r > 'z' {
				t.Fatalf("spec %q: bad label %q", s, r)
			}
			ls = append(ls, int(r-'a'))
		}
		return ls
	}
	if lhs != "" || strings.Contains(s, ",") {
		for _, op := range strings.Split(lhs, ",") {
			p.Operands = append(p.Operands, Operand{Labels: labels(op)})
		}
	}
	p.Output = labels(rhs)
	return p
}

// mustValid fails the test with every broken invariant of path.
func mustValid(t testing.TB, p Problem, path Path) {
	t.Helper()
	if errs := checkPath(p, path); len(errs) > 0 {
		t.Fatalf("invalid %s path %s: %v", path.Method, path, errors.Join(errs...))
	}
}

// randomProblem draws an einsum of n operands: ranks 0..4, some repeated
// labels (diagonals), a batch label shared by everything now and then,
// output labels drawn from the used ones plus sometimes a broadcast label.
func randomProblem(r *rand.Rand, n int) Problem {
	nl := n + 2 + r.IntN(n+1)
	p := Problem{Sizes: map[int]int{}}
	for l := 0; l < nl; l++ {
		p.Sizes[l] = 2 + r.IntN(15)
		if r.IntN(6) == 0 {
			p.Sizes[l] = 50 + r.IntN(150)
		}
	}
	batch := -1
	if r.IntN(4) == 0 {
		batch = nl
		p.Sizes[batch] = 2 + r.IntN(4)
	}
	used := map[int]bool{}
	for i := 0; i < n; i++ {
		rank := 1 + r.IntN(4)
		if r.IntN(12) == 0 {
			rank = 0
		}
		var ls []int
		for k := 0; k < rank; k++ {
			l := r.IntN(nl)
			ls = append(ls, l)
			used[l] = true
		}
		if rank > 0 && r.IntN(10) == 0 {
			ls = append(ls, ls[0]) // diagonal
		}
		if batch >= 0 {
			ls = append(ls, batch)
		}
		p.Operands = append(p.Operands, Operand{Labels: ls})
	}
	for l := 0; l < nl; l++ {
		if used[l] && r.IntN(5) == 0 {
			p.Output = append(p.Output, l)
		}
	}
	if batch >= 0 {
		p.Output = append(p.Output, batch)
	}
	if r.IntN(5) == 0 {
		p.Output = append(p.Output, nl+1) // broadcast: in no operand
	}
	r.Shuffle(len(p.Output), func(i, j int) { p.Output[i], p.Output[j] = p.Output[j], p.Output[i] })
	return p
}

func describe(p Problem) string {
	var ops []string
	for _, op := range p.Operands {
		ops = append(ops, fmt.Sprint(op.Labels))
	}
	return fmt.Sprintf("%s->%v sizes=%v cap=%d", strings.Join(ops, ","), p.Output, p.Sizes, p.MemCap)
}
