package scrub

import (
	"errors"
	"fmt"
)

// The kinds of illegal correspondence, as rust_circuit checks them.
var (
	ErrDuplicateName  = errors.New("duplicate interp node name")
	ErrNoRoot         = errors.New("no root (every interp node has a parent)")
	ErrMultipleRoots  = errors.New("more than one root")
	ErrCycle          = errors.New("interp graph has a cycle")
	ErrIncomplete     = errors.New("interp node missing from the correspondence")
	ErrRootNotModel   = errors.New("root does not match exactly the circuit root")
	ErrNoMatch        = errors.New("matcher finds no node or no input below it")
	ErrNotInjective   = errors.New("circuit node matched by more than one interp node after treeification")
	ErrNotUnderParent = errors.New("matched paths do not lie under the parent's")
	ErrNotAdded       = errors.New("interp node not in the correspondence")
)

// CorrespondenceError is an illegal correspondence: its Kind is one of the
// Err* sentinels above and Node names the interp node at fault.
type CorrespondenceError struct {
	Kind   error
	Node   string
	Detail string
}

func (e *CorrespondenceError) Error() string {
	msg := fmt.Sprintf("interp node %q: %v", e.Node, e.Kind)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func (e *CorrespondenceError) Unwrap() error { return e.Kind }

func corrErr(kind error, node, format string, args ...any) error {
	return &CorrespondenceError{Kind: kind, Node: node, Detail: fmt.Sprintf(format, args...)}
}

// ColumnError names a dataset array that does not exist or does not fit.
type ColumnError struct {
	Column string
	Detail string
}

func (e *ColumnError) Error() string { return fmt.Sprintf("dataset column %q: %s", e.Column, e.Detail) }

// asCorr finds a *CorrespondenceError in err's chain.
func asCorr(err error, target **CorrespondenceError) bool { return errors.As(err, target) }
