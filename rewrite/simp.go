package rewrite

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir/fixpoint"
)

// DefaultMaxIterations bounds the passes of Simp and Apply.
const DefaultMaxIterations = 100

// StopReason says why a fixed-point loop ended; the pass pipeline's sweep
// loops report the same type, in the same words.
type StopReason = fixpoint.Stop

const (
	// FixedPoint: a whole pass applied no rule.
	FixedPoint = fixpoint.FixedPoint
	// IterationLimit: the pass bound was reached while rules still applied
	// ("limit reached").
	IterationLimit = fixpoint.LimitReached
	// Cycle: a pass applied rules but produced a circuit seen before
	// ("cycle found").
	Cycle = fixpoint.CycleFound
)

// SimpOptions choose the rules Simp runs and its bound.
type SimpOptions struct {
	// Include names the rules to run; nil means SimpRuleNames().
	Include []string
	// Exclude names rules to leave out of the set.
	Exclude []string
	// Rules, when non-nil, replaces the named set (Include is then ignored;
	// Exclude still applies): for experiments and tests with custom rules.
	Rules []Rule
	// MaxIterations bounds the passes (0 means DefaultMaxIterations).
	MaxIterations int
}

// Result reports a fixed-point run.
type Result struct {
	Circuit circuit.Circuit
	// Iterations is the number of passes run.
	Iterations int
	// Applications is the number of rule applications over all passes.
	Applications int
	// Fired counts applications per rule name.
	Fired map[string]int
	Stop  StopReason
}

func (r *Result) String() string {
	return fmt.Sprintf("%s, %d rewrites", r.Stop.After(r.Iterations, "pass"), r.Applications)
}

// StopError is returned by Apply when the loop did not reach a fixed point.
type StopError struct {
	Reason     StopReason
	Iterations int
}

func (e *StopError) Error() string {
	return "rewrite: no fixed point: " + e.Reason.After(e.Iterations, "pass")
}

func (o SimpOptions) rules() ([]Rule, error) {
	base := o.Rules
	if base == nil {
		names := o.Include
		if names == nil {
			names = SimpRuleNames()
		}
		var err error
		if base, err = lookupAll(names); err != nil {
			return nil, err
		}
	}
	if _, err := lookupAllOrCustom(o.Exclude, base); err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, n := range o.Exclude {
		drop[n] = true
	}
	var out []Rule
	for _, r := range base {
		if !drop[r.Name] {
			out = append(out, r)
		}
	}
	return out, nil
}

// lookupAllOrCustom checks that every name is a table rule or one of custom.
func lookupAllOrCustom(names []string, custom []Rule) ([]Rule, error) {
	var out []Rule
	for _, n := range names {
		found := false
		for _, r := range custom {
			if r.Name == n {
				out, found = append(out, r), true
				break
			}
		}
		if !found {
			r, ok := Lookup(n)
			if !ok {
				return nil, fmt.Errorf("unknown rewrite rule %q (see `circopt rewrite -list`)", n)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// Simp runs a rule set bottom-up to a fixed point: each pass visits every
// distinct node after its children and tries each rule once, in table
// order, on the node as the earlier rules left it. It stops when a pass
// applies nothing (FixedPoint), when a pass applied rules but the whole
// circuit's hash was seen after an earlier pass (Cycle), or after
// MaxIterations passes (IterationLimit). Only a rule error is an error.
func Simp(c circuit.Circuit, opts SimpOptions) (*Result, error) {
	rules, err := opts.rules()
	if err != nil {
		return nil, err
	}
	return fixedPoint(c, rules, nil, opts.MaxIterations)
}

// fixedPoint is the loop shared by Simp and Apply.
func fixedPoint(c circuit.Circuit, rules []Rule, at func(circuit.Circuit) bool, maxIter int) (*Result, error) {
	if maxIter <= 0 {
		maxIter = DefaultMaxIterations
	}
	res := &Result{Circuit: c, Fired: map[string]int{}}
	seen := map[circuit.Hash]bool{c.Hash(): true}
	for res.Iterations < maxIter {
		before := res.Applications
		next, err := runPass(res.Circuit, rules, at, res)
		if err != nil {
			return nil, err
		}
		res.Iterations++
		res.Circuit = next
		if res.Applications == before {
			res.Stop = FixedPoint
			return res, nil
		}
		if seen[next.Hash()] {
			res.Stop = Cycle
			return res, nil
		}
		seen[next.Hash()] = true
	}
	res.Stop = IterationLimit
	return res, nil
}

// runPass is one bottom-up pass over the DAG (memoized by hash, so a shared
// subtree is rewritten once).
func runPass(root circuit.Circuit, rules []Rule, at func(circuit.Circuit) bool, res *Result) (circuit.Circuit, error) {
	return mapBottomUp(root, func(c circuit.Circuit, kids []circuit.Circuit) (circuit.Circuit, error) {
		cur, err := withChildren(c, kids)
		if err != nil {
			return nil, fmt.Errorf("rebuilding %s: %v", circuit.Label(c), err)
		}
		if at != nil && !at(cur) {
			return cur, nil
		}
		for _, r := range rules {
			n, applied, err := r.Fn(cur)
			if err != nil {
				return nil, fmt.Errorf("rule %s at %s: %v", r.Name, circuit.Label(cur), err)
			}
			if !applied {
				continue
			}
			if n == nil || !sameInts(n.Shape(), cur.Shape()) {
				return nil, fmt.Errorf("rule %s at %s: internal error: result has shape %v, want %v", r.Name, circuit.Label(cur), shapeOf(n), cur.Shape())
			}
			res.Applications++
			res.Fired[r.Name]++
			cur = n
		}
		return cur, nil
	})
}

func shapeOf(c circuit.Circuit) []int {
	if c == nil {
		return nil
	}
	return c.Shape()
}

// Apply runs the named rules bottom-up at the nodes at matches (every node
// when at is nil), each rule once per node per pass, until a pass changes
// nothing, within DefaultMaxIterations passes. It returns the result and the
// number of rule applications; when the loop ends without a fixed point
// (cycle or bound) it returns the last circuit, the count and a *StopError.
func Apply(root circuit.Circuit, ruleNames []string, at func(circuit.Circuit) bool) (circuit.Circuit, int, error) {
	if len(ruleNames) == 0 {
		return nil, 0, fmt.Errorf("rewrite: no rules given")
	}
	rules, err := lookupAll(ruleNames)
	if err != nil {
		return nil, 0, err
	}
	return ApplyRules(root, rules, at)
}

// ApplyRules is Apply with rules given directly rather than by name.
func ApplyRules(root circuit.Circuit, rules []Rule, at func(circuit.Circuit) bool) (circuit.Circuit, int, error) {
	res, err := fixedPoint(root, rules, at, DefaultMaxIterations)
	if err != nil {
		return nil, 0, err
	}
	if res.Stop != FixedPoint {
		return res.Circuit, res.Applications, &StopError{Reason: res.Stop, Iterations: res.Iterations}
	}
	return res.Circuit, res.Applications, nil
}
