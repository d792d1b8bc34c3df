package circuit

import (
	"strings"
	"testing"
)

const symModule = `'m' Module
  'f' Einsum ij,j->i
    'w' [1s,0s] Symbol 11111111-1111-4111-8111-111111111111
    'x' [0s] Symbol 22222222-2222-4222-8222-222222222222
  'wa' [3,2] Scalar 1 ! 'w'
  'xa' [4,%s] Scalar 1 ! 'x'
`

func TestSymbolicSizesParsePrint(t *testing.T) {
	in := "'r' Rearrange (a:2 b) -> a:2 b\n  'p' [2*1s,0s,7] Symbol 33333333-3333-4333-8333-333333333333\n"
	cs, err := ParseCircuits(strings.Replace(in, "(a:2 b) -> a:2 b", "(a:2 b) c d -> a:2 b c d", 1), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatShape(cs[0].Shape(), nil); got != "[2,1s,0s,7]" {
		t.Errorf("rearranged shape %s, want [2,1s,0s,7]", got)
	}
	sym := cs[0].Children()[0]
	if got := FormatShape(sym.Shape(), nil); got != "[2*1s,0s,7]" {
		t.Errorf("symbol shape %s", got)
	}
}

func TestSymbolicModuleBinding(t *testing.T) {
	cs, err := ParseCircuits(strings.Replace(symModule, "%s", "2", 1), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatShape(cs[0].Shape(), nil); got != "[4,3]" {
		t.Fatalf("module shape %s, want [4,3]", got)
	}
	v, err := Evaluate(cs[0], EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if x, err := v.At(0, 0); err != nil || v.Shape()[0] != 4 || x != 2 {
		t.Errorf("value %v", v)
	}
	_, err = ParseCircuits(strings.Replace(symModule, "%s", "5", 1), ParseOptions{File: "m.circ"})
	if err == nil || !strings.Contains(err.Error(), "m.circ:1:") || !strings.Contains(err.Error(), "symbolic size 0s is 5 here but 2 elsewhere") {
		t.Errorf("conflict error %v", err)
	}
}

// A free Symbol of the spec gets the sizes the binding fixed.
func TestSymbolicFreeSymbolResolved(t *testing.T) {
	text := `'m' Module
  'f' Add
    'x' [0s] Symbol 22222222-2222-4222-8222-222222222222
    'y' [0s] Symbol 44444444-4444-4444-8444-444444444444
  'xa' [6] Scalar 1 ! 'x'
`
	cs, err := ParseCircuits(text, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	free := FreeSymbols(cs[0].(*Module).Substitute())
	if len(free) != 1 || FormatShape(free[0].Shape(), nil) != "[6]" {
		t.Errorf("free symbols %v", free)
	}
}

// rust_circuit's names with escapes and a Scalar far larger than memory:
// a Scalar's shape is not an allocation.
func TestRustCircuitNamesAndNumbers(t *testing.T) {
	for _, src := range []string{"'\\'\\'' [2] Scalar 1\n", "'a\\\\b\\'c' [2] Scalar 1\n", "'big' [100_000_000_000] Scalar 1\n"} {
		cs, err := ParseCircuits(src, ParseOptions{})
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if got := PrintCircuits(cs, PrintOptions{Names: true}); got != strings.ReplaceAll(src, "100_000_000_000", "100000000000") {
			t.Errorf("%q printed as %q", src, got)
		}
	}
	cs, _ := ParseCircuits("'big' [100_000_000_000] Scalar 1\n", ParseOptions{})
	if _, err := Evaluate(cs[0], EvalOptions{}); err == nil {
		t.Errorf("evaluating a 10^11-element Scalar should fail, not allocate")
	}
	if _, err := NewScalar(1, []int{1 << 40, 1 << 40}, "x"); err == nil {
		t.Errorf("an overflowing Scalar shape was accepted")
	}
}
