package match

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/circopt/circopt/circuit"
)

// RestrictOptions limits where an iterative matcher finds nodes. Depth 0 is
// the node where the restricted matcher starts (the root of a walk, or the
// node where a chain link begins).
type RestrictOptions struct {
	// StartDepth: nodes shallower than this are not found (negative: 0).
	StartDepth int
	// EndDepth: nodes at this depth or deeper are not found and not walked;
	// 0 or negative means no limit. A window with EndDepth <= StartDepth
	// finds nothing.
	EndDepth int
	// TermIfMatches stops the walk below a found node.
	TermIfMatches bool
	// TermEarlyAt stops the walk below nodes it matches (the node itself may
	// still be found). Nil: never.
	TermEarlyAt Matcher
}

// restrictSpec is one Restrict call: the options and its identity.
type restrictSpec struct {
	id   string
	opts RestrictOptions
}

// restrict is a Restrict matcher at a given depth.
type restrict struct {
	spec  *restrictSpec
	inner IterativeMatcher
	depth int
	k     string
}

// Restrict finds what m finds, within the depth window [StartDepth,
// EndDepth) and not below the termination points of opts. A nil m finds
// nothing.
func Restrict(m IterativeMatcher, opts RestrictOptions) IterativeMatcher {
	if m == nil {
		return stopMatcher{}
	}
	if opts.StartDepth < 0 {
		opts.StartDepth = 0
	}
	if opts.EndDepth < 0 {
		opts.EndDepth = 0
	}
	return newRestrict(&restrictSpec{id: newID("R"), opts: opts}, m, 0)
}

func newRestrict(spec *restrictSpec, inner IterativeMatcher, depth int) *restrict {
	return &restrict{spec: spec, inner: inner, depth: depth,
		k: compactKey(spec.id + "." + strconv.Itoa(depth) + "(" + inner.key() + ")")}
}

// Term finds what m finds but does not walk below nodes matching at (they
// may themselves be found).
func Term(m IterativeMatcher, at Matcher) IterativeMatcher {
	return Restrict(m, RestrictOptions{TermEarlyAt: at})
}

// TermIfMatches finds what m finds but does not walk below a found node:
// only the topmost matches on each path are found.
func TermIfMatches(m IterativeMatcher) IterativeMatcher {
	return Restrict(m, RestrictOptions{TermIfMatches: true})
}

// Below finds what m finds strictly below its starting node (depth >= 1).
func Below(m IterativeMatcher) IterativeMatcher {
	return Restrict(m, RestrictOptions{StartDepth: 1})
}

// DirectChild finds what m finds among the children of its starting node
// (depth exactly 1).
func DirectChild(m IterativeMatcher) IterativeMatcher {
	return Restrict(m, RestrictOptions{StartDepth: 1, EndDepth: 2})
}

func (r *restrict) Step(c circuit.Circuit) (Result, error) {
	o := &r.spec.opts
	end := o.EndDepth > 0
	if end && r.depth >= o.EndDepth {
		return Result{}, nil
	}
	res, err := r.inner.Step(c)
	if err != nil {
		return Result{}, err
	}
	beforeStart := r.depth < o.StartDepth
	found := res.Found && !beforeStart
	if res.stopped() ||
		(found && o.TermIfMatches) ||
		(end && r.depth >= o.EndDepth-1) ||
		(o.TermEarlyAt != nil && o.TermEarlyAt.Match(c)) {
		return Result{Found: found}, nil
	}
	res.Found = found
	if !end && !beforeStart {
		// The depth no longer matters: keep this state where the inner one
		// is unchanged.
		return mapResult(res, func(n IterativeMatcher) IterativeMatcher {
			if n == r.inner {
				return r
			}
			return newRestrict(r.spec, n, r.depth)
		}), nil
	}
	var same *restrict // the shared next state when inner is unchanged
	return mapResult(res, func(n IterativeMatcher) IterativeMatcher {
		if n == r.inner {
			if same == nil {
				same = newRestrict(r.spec, n, r.depth+1)
			}
			return same
		}
		return newRestrict(r.spec, n, r.depth+1)
	}), nil
}

func (r *restrict) String() string {
	// rust_circuit's repr: Restrict{depth_range: 1:2, matcher: ..., term_at: ...}
	o := r.spec.opts
	var parts []string
	if o.StartDepth > 0 || o.EndDepth > 0 {
		d := func(v int) string {
			if v == 0 {
				return ""
			}
			return strconv.Itoa(v)
		}
		parts = append(parts, "depth_range: "+d(o.StartDepth)+":"+d(o.EndDepth))
	}
	if r.inner != IterativeMatcher(trueMatcher) {
		parts = append(parts, "matcher: "+r.inner.String())
	}
	if o.TermEarlyAt != nil && o.TermEarlyAt != Matcher(falseMatcher) {
		parts = append(parts, "term_at: "+o.TermEarlyAt.String())
	}
	if o.TermIfMatches {
		parts = append(parts, "term_if_matches: true")
	}
	if r.depth > 0 {
		parts = append(parts, fmt.Sprintf("cur_depth:%d", r.depth))
	}
	return "Restrict{" + strings.Join(parts, ", ") + "}"
}

func (r *restrict) key() string { return r.k }
