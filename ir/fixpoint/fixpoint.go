// Package fixpoint names why a fixed-point loop ended, so the optimizer's
// sweep loops (passes, over programs) and the circuit simplifier
// (rewrite.Simp) report it in the same words.
//
// Invariants: the zero Stop means "no loop ran"; every loop that runs ends
// with exactly one of FixedPoint, LimitReached or CycleFound, and only
// FixedPoint promises that another sweep would change nothing.
package fixpoint

import (
	"fmt"
	"strings"
)

// Stop says why a fixed-point loop ended.
type Stop int

const (
	// FixedPoint: the last sweep changed nothing.
	FixedPoint Stop = iota + 1
	// LimitReached: the sweep bound was reached while sweeps still changed
	// something.
	LimitReached
	// CycleFound: a sweep changed something but produced a state seen
	// after an earlier sweep, so more sweeps would only go round.
	CycleFound
)

func (s Stop) String() string {
	switch s {
	case 0:
		return "no loop"
	case FixedPoint:
		return "fixed point"
	case LimitReached:
		return "limit reached"
	case CycleFound:
		return "cycle found"
	}
	return fmt.Sprintf("Stop(%d)", int(s))
}

// After is the one-line report of a loop that ran n of unit (singular:
// "sweep", "pass"): "fixed point after 3 sweeps", "... after 1 pass".
func (s Stop) After(n int, unit string) string {
	if n != 1 {
		if strings.HasSuffix(unit, "s") {
			unit += "es"
		} else {
			unit += "s"
		}
	}
	return fmt.Sprintf("%s after %d %s", s, n, unit)
}
