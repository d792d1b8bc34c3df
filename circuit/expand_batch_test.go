package circuit

import (
	"strings"
	"testing"
)

// Batch dims of different rank broadcast, right-aligned, as in rust_circuit.
func TestModuleBatchBroadcast(t *testing.T) {
	src := `'m' Module
  'f' Add
    'x' [2] Symbol 11111111-1111-4111-8111-111111111111
    'y' [2] Symbol 22222222-2222-4222-8222-222222222222
  'xa' [4,3,2] Scalar 1 ! 'x'
  'ya' [3,2] Scalar 2 ! 'y'
`
	cs, err := ParseCircuits(src, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatShape(cs[0].Shape(), nil); got != "[4,3,2]" {
		t.Fatalf("shape %s, want [4,3,2]", got)
	}
	v, err := Evaluate(cs[0], EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if x, _ := v.At(3, 2, 1); x != 3 {
		t.Errorf("value %g, want 3", x)
	}
	bad := strings.Replace(src, "'ya' [3,2]", "'ya' [5,2]", 1)
	if _, err := ParseCircuits(bad, ParseOptions{}); err == nil || !strings.Contains(err.Error(), "do not broadcast") {
		t.Errorf("non-broadcasting batches: %v", err)
	}
}

// Expanding a fixed Index over an axis that grew is an error, not a wrong shape.
func TestExpandFixedIndexError(t *testing.T) {
	src := `'m' Module
  'i' [2] Index [0:2]
    'x' [3] Symbol 11111111-1111-4111-8111-111111111111
  'xa' [5] Scalar 1 ! 'x' ttf
`
	_, err := ParseCircuits(src, ParseOptions{File: "e.circ"})
	if err == nil || !strings.Contains(err.Error(), "ExpandFixedIndexError") || !strings.HasPrefix(err.Error(), "e.circ:1:") {
		t.Errorf("error %v", err)
	}
	ok := strings.Replace(src, "Index [0:2]", "Index [:]", 1)
	ok = strings.Replace(ok, "'i' [2]", "'i' [3]", 1)
	if _, err := ParseCircuits(ok, ParseOptions{}); err != nil {
		t.Errorf("full slice over a grown axis: %v", err)
	}
}

// The parser checks that every module input is used unless told otherwise,
// as rust_circuit's module_check_all_inputs_used.
func TestParseModuleUnusedInputs(t *testing.T) {
	src := "'m' Module\n  'a' [2] Scalar 0\n  'b' [2] Scalar 1 ! 's' [2] Symbol 11111111-1111-4111-8111-111111111111\n"
	if _, err := ParseCircuits(src, ParseOptions{}); err == nil || !strings.Contains(err.Error(), "not used") {
		t.Errorf("default: %v", err)
	}
	cs, err := ParseCircuits(src, ParseOptions{ModuleAllowUnusedInputs: true})
	if err != nil || FormatShape(cs[0].Shape(), nil) != "[2]" {
		t.Errorf("allowed: %v", err)
	}
}
