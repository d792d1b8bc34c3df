package match

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/circopt/circopt/circuit"
)

// childrenSpec is one Children call.
type childrenSpec struct {
	id      string
	indices []int
	set     map[int]bool
}

// childrenMatcher finds chosen children of the nodes its inner matcher finds.
type childrenMatcher struct {
	spec  *childrenSpec
	inner IterativeMatcher
	k     string
}

// Children finds the children at the given positions (0-based) of every
// node m finds; the nodes m finds are not themselves found. m keeps walking,
// so matches nested below give their children too. A found node lacking one
// of the positions is an error at walk time naming the node.
//
// Chain(Children(Name("skip"), 0), Name("x")) finds the x feeding skip's
// first operand (the operand itself included).
func Children(m IterativeMatcher, indices ...int) IterativeMatcher {
	if m == nil {
		return stopMatcher{}
	}
	set := map[int]bool{}
	var idx []int
	for _, i := range indices {
		if !set[i] {
			set[i] = true
			idx = append(idx, i)
		}
	}
	sort.Ints(idx)
	return newChildren(&childrenSpec{id: newID("K"), indices: idx, set: set}, m)
}

func newChildren(spec *childrenSpec, inner IterativeMatcher) *childrenMatcher {
	return &childrenMatcher{spec: spec, inner: inner, k: compactKey(spec.id + "(" + inner.key() + ")")}
}

func (cm *childrenMatcher) Step(c circuit.Circuit) (Result, error) {
	r, err := cm.inner.Step(c)
	if err != nil {
		return Result{}, err
	}
	wrap := func(n IterativeMatcher) IterativeMatcher {
		if n == cm.inner {
			return cm
		}
		return newChildren(cm.spec, n)
	}
	if !r.Found {
		return mapResult(r, wrap), nil
	}
	n := len(c.Children())
	for _, i := range cm.spec.indices {
		if i < 0 || i >= n {
			return Result{}, fmt.Errorf("match: %s: child %d of %s does not exist (it has %d children)", cm, i, circuit.Label(c), n)
		}
	}
	out := Result{PerChild: make([]IterativeMatcher, n)}
	for i := range out.PerChild {
		var w IterativeMatcher
		if next := r.Child(i); next != nil {
			w = wrap(next)
		}
		if cm.spec.set[i] {
			w = union([]IterativeMatcher{w, foundHere{}})
		}
		out.PerChild[i] = w
	}
	return out, nil
}

func (cm *childrenMatcher) String() string {
	var parts []string
	for _, i := range cm.spec.indices {
		parts = append(parts, strconv.Itoa(i))
	}
	return "Children(" + cm.inner.String() + ", [" + strings.Join(parts, ",") + "])"
}

func (cm *childrenMatcher) key() string { return cm.k }
