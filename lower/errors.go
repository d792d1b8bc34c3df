package lower

import (
	"errors"
	"fmt"

	"github.com/circopt/circopt/circuit"
)

// ErrUnsupported is wrapped by the errors of Lower and Raise for a node or
// op that has no counterpart on the other side (a node kind or function
// with no IR op, an op with no circuit form, gather positions computed at
// run time), as opposed to a malformed input.
var ErrUnsupported = errors.New("not supported")

// InputConflictError is Lower's error when two different Symbols claim the
// same input name: the runtime binds inputs by name, so one would shadow
// the other.
type InputConflictError struct {
	Input         string
	First, Second *circuit.Symbol
}

func (e *InputConflictError) Error() string {
	a, b := e.First, e.Second
	return fmt.Sprintf("symbols %s (uuid %s, shape %v) and %s (uuid %s, shape %v) both map to input %q",
		circuit.Label(a), a.UUID, a.Shape(), circuit.Label(b), b.UUID, b.Shape(), e.Input)
}
