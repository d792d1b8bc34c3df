package lower

import (
	"errors"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// TestErrorsWrap: Lower's and Raise's errors keep their causes, so callers
// can tell unsupported input from malformed input with errors.Is/As, and
// the message still names the node or value.
func TestErrorsWrap(t *testing.T) {
	// Two Symbols named x with different shapes: an InputConflictError,
	// wrapped with the node that met the second one.
	x1 := try(circuit.NewSymbol([]int{2}, "", "x")).of(t)
	x2 := try(circuit.NewSymbol([]int{3}, "", "x")).of(t)
	_, err := Lower([]circuit.Circuit{x1, x2}, Options{DType: tensor.Float64})
	var ic *InputConflictError
	if !errors.As(err, &ic) || ic.Input != "x" || ic.First.Hash() != x1.Hash() || ic.Second.Hash() != x2.Hash() {
		t.Fatalf("conflicting symbols: %v", err)
	}
	if !strings.Contains(err.Error(), `both map to input "x"`) || errors.Is(err, ErrUnsupported) {
		t.Errorf("conflict message: %v", err)
	}

	// A function with no IR op, as Lower's emit meets it.
	if _, err := functionOp("no_such_function"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("function without an IR op: %v", err)
	}

	// Raise: a gather by run-time positions has no circuit form; the
	// error names the value and wraps ErrUnsupported.
	b := ir.NewBuilder()
	x := try(b.Input("x", f64t(3))).of(t)
	i := try(b.Input("i", ir.Type{DType: tensor.Int64, Shape: []int{2}})).of(t)
	g := try(b.Add(ir.OpGather, ir.Attrs{"axis": 0}, x, i)).of(t)
	try(0, b.Output("g", g)).of(t)
	_, err = Raise(b.Build())
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "gather") {
		t.Errorf("gather by run-time positions: %v", err)
	}
}
