package match

import (
	"fmt"
	"sort"
	"strings"

	"github.com/circopt/circopt/circuit"
)

// IterativeMatcher is a matcher state in a walk down from a root. Step
// evaluates it at a node: whether the node is found, and the state that
// continues into each child (nil: stop there).
//
// The interface is sealed (it has an unexported method) because walks
// memoize on a state's private key, which only this package's constructors
// can compute correctly.
type IterativeMatcher interface {
	fmt.Stringer
	// Step evaluates the matcher at c. It returns an error only for a
	// malformed request, such as a child index that c does not have.
	Step(c circuit.Circuit) (Result, error)
	// key identifies the state: equal keys behave identically at every node.
	key() string
}

// Result is what an IterativeMatcher says at one node.
type Result struct {
	// Found reports whether the node is found.
	Found bool
	// Next continues into every child; nil stops. Ignored when PerChild is set.
	Next IterativeMatcher
	// PerChild, when non-nil, has one entry per child of the node: the state
	// continuing into that child, nil to stop.
	PerChild []IterativeMatcher
}

// Child is the state continuing into child i (nil: the walk stops there).
func (r Result) Child(i int) IterativeMatcher {
	if r.PerChild != nil {
		if i < 0 || i >= len(r.PerChild) {
			return nil
		}
		return r.PerChild[i]
	}
	return r.Next
}

// stopped reports whether no child is continued into.
func (r Result) stopped() bool {
	if r.PerChild == nil {
		return r.Next == nil
	}
	for _, m := range r.PerChild {
		if m != nil {
			return false
		}
	}
	return true
}

// mapResult applies f to every continuation (f gets non-nil states only).
func mapResult(r Result, f func(IterativeMatcher) IterativeMatcher) Result {
	out := Result{Found: r.Found}
	if r.PerChild != nil {
		out.PerChild = make([]IterativeMatcher, len(r.PerChild))
		for i, m := range r.PerChild {
			if m != nil {
				out.PerChild[i] = f(m)
			}
		}
		return out
	}
	if r.Next != nil {
		out.Next = f(r.Next)
	}
	return out
}

// mergeResults is the union of several results at a node with n children:
// found if any is found; each child continues with the union of the states.
func mergeResults(n int, rs ...Result) Result {
	out := Result{}
	perChild := false
	for _, r := range rs {
		out.Found = out.Found || r.Found
		perChild = perChild || r.PerChild != nil
	}
	if !perChild {
		ms := make([]IterativeMatcher, 0, len(rs))
		for _, r := range rs {
			ms = append(ms, r.Next)
		}
		out.Next = union(ms)
		return out
	}
	out.PerChild = make([]IterativeMatcher, n)
	ms := make([]IterativeMatcher, 0, len(rs))
	for i := range out.PerChild {
		ms = ms[:0]
		for _, r := range rs {
			ms = append(ms, r.Child(i))
		}
		out.PerChild[i] = union(ms)
	}
	return out
}

// anySet is the union of several states: found where any is found, and
// continuing with the union of their continuations. Members are distinct by
// key and sorted by key, so equal sets have equal keys.
type anySet struct {
	members []IterativeMatcher
	k       string
}

// union builds the canonical union of ms: nil entries dropped, nested sets
// flattened, duplicates (by key) removed. It returns nil for no states and
// the state itself for one.
func union(ms []IterativeMatcher) IterativeMatcher {
	var flat []IterativeMatcher
	for _, m := range ms {
		switch m := m.(type) {
		case nil:
		case *anySet:
			flat = append(flat, m.members...)
		default:
			flat = append(flat, m)
		}
	}
	switch len(flat) {
	case 0:
		return nil
	case 1:
		return flat[0]
	}
	sort.SliceStable(flat, func(i, j int) bool { return flat[i].key() < flat[j].key() })
	uniq := flat[:1]
	for _, m := range flat[1:] {
		if m.key() != uniq[len(uniq)-1].key() {
			uniq = append(uniq, m)
		}
	}
	if len(uniq) == 1 {
		return uniq[0]
	}
	keys := make([]string, len(uniq))
	for i, m := range uniq {
		keys[i] = m.key()
	}
	return &anySet{members: append([]IterativeMatcher(nil), uniq...), k: compactKey("{" + strings.Join(keys, ",") + "}")}
}

// IterAny finds nodes found by any of ms, each following its own path rules.
// With no arguments it finds nothing. (For plain Matchers, Any gives the same
// result and stays a Matcher.)
func IterAny(ms ...IterativeMatcher) IterativeMatcher {
	if u := union(ms); u != nil {
		return u
	}
	return stopMatcher{}
}

func (a *anySet) Step(c circuit.Circuit) (Result, error) {
	rs := make([]Result, len(a.members))
	for i, m := range a.members {
		r, err := m.Step(c)
		if err != nil {
			return Result{}, err
		}
		rs[i] = r
	}
	out := mergeResults(len(c.Children()), rs...)
	// Keep the receiver when the state is unchanged, so walks see one key
	// object instead of rebuilding it at every node.
	if out.PerChild == nil && out.Next != nil && out.Next.key() == a.k {
		out.Next = a
	}
	return out, nil
}

func (a *anySet) String() string {
	parts := make([]string, len(a.members))
	for i, m := range a.members {
		parts[i] = m.String()
	}
	return "Any(" + strings.Join(parts, ", ") + ")"
}
func (a *anySet) key() string { return a.k }

// foundHere finds the node it is evaluated at and stops: what a Children
// matcher hands to the chosen children.
type foundHere struct{}

func (foundHere) Step(circuit.Circuit) (Result, error) { return Result{Found: true}, nil }
func (foundHere) String() string                       { return "Term" }
func (foundHere) key() string                          { return "H" }

// stopMatcher finds nothing and stops at once.
type stopMatcher struct{}

func (stopMatcher) Step(circuit.Circuit) (Result, error) { return Result{}, nil }
func (stopMatcher) String() string                       { return "term next" }
func (stopMatcher) key() string                          { return "S" }

// Key identifies what m does: matchers with equal keys find the same nodes in
// every circuit (a Pred's key is unique to that Pred), so a caller may cache
// a walk's result under it.
func Key(m IterativeMatcher) string { return m.key() }
