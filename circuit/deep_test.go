package circuit

import (
	"fmt"
	"runtime/debug"
	"strings"
	"testing"
)

func addChain(n int) Circuit {
	var c Circuit = must(NewScalar(1, []int{2}, "x"))
	for i := 0; i < n; i++ {
		c = must(NewAdd("", c))
	}
	return c
}

// TestPrintDeepChainLinear: a deep chain prints in size linear in its depth
// ("@N" lines restart the indentation) and parses back to the same circuit,
// with and without arrows.
func TestPrintDeepChainLinear(t *testing.T) {
	const n = 5000
	c := addChain(n)
	for _, arrows := range []bool{false, true} {
		s := PrintCircuits([]Circuit{c}, PrintOptions{Arrows: arrows})
		if len(s) > 300*n {
			t.Fatalf("arrows=%v: %d bytes for a %d-deep chain", arrows, len(s), n)
		}
		back, err := ParseCircuits(s, ParseOptions{})
		if err != nil {
			t.Fatalf("arrows=%v: %v", arrows, err)
		}
		if len(back) != 1 || back[0].Hash() != c.Hash() {
			t.Fatalf("arrows=%v: the chain did not round-trip", arrows)
		}
	}
	// a shallow tree after a deep one starts again at level 0
	s := PrintCircuits([]Circuit{c, must(NewAdd("top", c))}, PrintOptions{})
	back, err := ParseCircuits(s, ParseOptions{})
	if err != nil || len(back) != 2 || back[1].Name() != "top" || back[1].Children()[0].Hash() != c.Hash() {
		t.Fatalf("two circuits: %v", err)
	}
}

func TestBaseLevelMarkerErrors(t *testing.T) {
	for _, src := range []string{"0 [2] Scalar 1\n@x\n", "0 [2] Scalar 1\n@\n", "0 [2] Scalar 1\n@99999999999999999999\n", "0 Add\n@5\n  1 [2] Scalar 1\n"} {
		_, err := ParseCircuits(src, ParseOptions{File: "m.circ"})
		if err == nil || !strings.HasPrefix(err.Error(), "m.circ:") {
			t.Errorf("%q: got %v, want a file:line error", src, err)
		}
	}
}

// TestParseDeepForwardChain: 200,000 idents, each defined with its child
// referenced before that child's definition, build without deep recursion
// (the goroutine stack is capped well below what recursion would need).
func TestParseDeepForwardChain(t *testing.T) {
	const n = 200000
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%d Add\n  %d\n", i, i+1)
	}
	fmt.Fprintf(&b, "%d [2] Scalar 1\n", n)
	defer debug.SetMaxStack(debug.SetMaxStack(16 << 20))
	cs, err := ParseCircuits(b.String(), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != n+1 {
		t.Fatalf("got %d circuits", len(cs))
	}
	depth := 0
	for c := cs[0]; len(c.Children()) > 0; c = c.Children()[0] {
		depth++
	}
	if depth != n {
		t.Fatalf("chain depth %d, want %d", depth, n)
	}
	// a cycle among forward references is a one-line error, not a hang
	cyc := "0 Add\n  1\n1 Add\n  0\n"
	if _, err := ParseCircuits(cyc, ParseOptions{File: "c.circ"}); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: %v", err)
	}
}

func BenchmarkPrintDeepChain(b *testing.B) {
	c := addChain(100000)
	b.ResetTimer()
	for b.Loop() {
		_ = Print(c)
	}
}
