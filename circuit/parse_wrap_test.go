package circuit

import (
	"errors"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
)

var errNoTensor = errors.New("no such tensor")

type failingStore struct{}

func (failingStore) Resolve(string) (*tensor.Tensor, string, error) { return nil, "", errNoTensor }

// TestParseErrorsWrap: a parse error built from another error keeps it for
// errors.Is and errors.As, and still prints as one file:line.
func TestParseErrorsWrap(t *testing.T) {
	_, err := ParseCircuits("0 [2] Array abcdef\n", ParseOptions{File: "w.circ", Store: failingStore{}})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 1 {
		t.Fatalf("got %v, want a *ParseError at line 1", err)
	}
	if !errors.Is(err, errNoTensor) {
		t.Errorf("%v does not wrap the store's error", err)
	}
	if !strings.HasPrefix(err.Error(), "w.circ:1: ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("message %q is not one file:line line", err)
	}
	// a constructor error under a parse error is reachable too
	_, err = ParseCircuits("0 Einsum a1->a\n", ParseOptions{File: "e.circ"})
	if !errors.As(err, &pe) || pe.Err == nil {
		t.Errorf("einsum error %v keeps no cause", err)
	}
}

// TestNodeErrWraps: constructor errors wrap what they were built from.
func TestNodeErrWraps(t *testing.T) {
	_, err := NewEinsumSpec("E", "ab")
	if err == nil || errors.Unwrap(err) == nil {
		t.Errorf("NewEinsumSpec error %v wraps nothing", err)
	}
}
