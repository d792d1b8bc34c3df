package match

import (
	"errors"
	"fmt"
	resyntax "regexp/syntax"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
)

// addChain is Scalar x under n single-child Adds named n0..n(n-1), with
// every prefix of the chain as a root (roots[i] is i Adds deep).
func addChain(n int) []circuit.Circuit {
	roots := []circuit.Circuit{must(circuit.NewScalar(1, []int{2}, "x"))}
	for i := 0; i < n; i++ {
		roots = append(roots, must(circuit.NewAdd(fmt.Sprintf("n%d", i), roots[i])))
	}
	return roots
}

// diamonds stacks k diamonds: d(i) = Add(l(i), r(i)), l and r both over
// d(i-1); the DAG has 3k+1 nodes and over 2^k root-to-leaf paths.
func diamonds(k int) circuit.Circuit {
	var c circuit.Circuit = must(circuit.NewScalar(1, []int{2}, "x"))
	for i := 0; i < k; i++ {
		l := must(circuit.NewAdd(fmt.Sprintf("l%d", i), c))
		r := must(circuit.NewAdd(fmt.Sprintf("r%d", i), c, c))
		c = must(circuit.NewAdd(fmt.Sprintf("d%d", i), l, r))
	}
	return c
}

func withStateLimit(t *testing.T, n int) {
	old := walkStateLimit
	walkStateLimit = n
	t.Cleanup(func() { walkStateLimit = old })
}

// TestNestedBelowIsPolynomial: ~130 bytes of nested '>>' over a 41-node
// chain reach few distinct states (they used to nest into exponentially
// many sets, exhausting memory).
func TestNestedBelowIsPolynomial(t *testing.T) {
	withStateLimit(t, 50000)
	root := addChain(40)[40]
	const k = 26
	for _, s := range []string{
		strings.Repeat("* >> (", k) + "*" + strings.Repeat(")", k),
		strings.Repeat("* >> ", k) + "*",
		strings.Repeat("(", k) + "*" + strings.Repeat(" >> *)", k),
	} {
		m, err := ParseMatcher(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Get(root, m)
		if err != nil {
			t.Fatalf("%d bytes: %v", len(s), err)
		}
		if len(got) != 41-k {
			t.Errorf("%d bytes: found %d nodes, want %d", len(s), len(got), 41-k)
		}
	}
}

// TestLongBangRunIsBounded: 100,000 '!' stop at the nesting bound.
func TestLongBangRunIsBounded(t *testing.T) {
	_, err := ParseMatcher(strings.Repeat("!", 100000) + "'x'")
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("col %d:", maxNesting+2)) {
		t.Fatalf("got %v, want a nesting error at col %d", err, maxNesting+2)
	}
}

// TestGetAllSharesWork: the roots of a file that are each a prefix of one
// chain cost the chain once, not the sum of their depths.
func TestGetAllSharesWork(t *testing.T) {
	const n = 2000
	roots := addChain(n)
	calls := 0
	m := Pred("count", func(c circuit.Circuit) bool { calls++; return c.Name() == "n7" || c.Name() == "x" })
	got, err := GetAll(roots, m)
	if err != nil {
		t.Fatal(err)
	}
	wantNames(t, "GetAll", got, "x", "n7")
	if calls > n+1 {
		t.Errorf("%d matcher calls for %d distinct nodes", calls, n+1)
	}
	if _, err := GetAll([]circuit.Circuit{roots[0], nil}, m); err == nil {
		t.Error("a nil root was accepted")
	}
}

// TestDiamondWalksBounded: over a DAG of 30 stacked diamonds (2^30 paths)
// nested path matchers stay cheap, and past MaxWalkStates every walk stops
// with a one-line error.
func TestDiamondWalksBounded(t *testing.T) {
	root := diamonds(30)
	nested := strings.Repeat("* >> (", 10) + "*" + strings.Repeat(")", 10)
	m, err := ParseMatcher(nested)
	if err != nil {
		t.Fatal(err)
	}
	withStateLimit(t, 20000)
	if ps, err := GetPaths(root, m); err != nil || len(ps) != 91-15 { // the top 5 diamonds are less than 10 deep
		t.Fatalf("GetPaths: %d paths, %v", len(ps), err)
	}
	rename := func(c circuit.Circuit) (circuit.Circuit, error) { return c.Rename(c.Name() + "'"), nil }
	if _, err := Update(root, m, rename, UpdateOptions{}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	walkStateLimit = 50
	for what, f := range map[string]func() error{
		"Get":         func() error { _, err := Get(root, m); return err },
		"GetPaths":    func() error { _, err := GetPaths(root, m); return err },
		"GetAllPaths": func() error { _, err := GetAllPaths(root, m); return err },
		"Update":      func() error { _, err := Update(root, m, rename, UpdateOptions{}); return err },
	} {
		err := f()
		if err == nil || !strings.Contains(err.Error(), "more than 50 (node, matcher state) pairs") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want the one-line state-limit error", what, err)
		}
	}
}

// TestMatcherErrorsWrap: a bad regular expression's error stays reachable
// through ParseMatcher's one-line message, also when the pattern holds a
// line break.
func TestMatcherErrorsWrap(t *testing.T) {
	for _, src := range []string{"/(/", "/(\n/"} {
		_, err := ParseMatcher(src)
		var se *resyntax.Error
		if !errors.As(err, &se) {
			t.Errorf("%q: %v does not wrap the regexp error", src, err)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: message %q has a line break", src, err)
		}
	}
}
