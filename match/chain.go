package match

import (
	"strconv"
	"strings"

	"github.com/circopt/circopt/circuit"
)

// chainSpec is one Chain call: its links in order and its identity.
type chainSpec struct {
	id    string
	links []IterativeMatcher
	name  string // "Chain" or "ChainStrict"
	shown []IterativeMatcher
}

// chainItem is one active link of a chain: the state of link pos.
type chainItem struct {
	spec *chainSpec
	pos  int
	m    IterativeMatcher
	k    string
}

// Chain finds, for each node found by first, the nodes found by rest[0]
// walking from that node (the node itself included), then rest[1] from
// those, and so on; the nodes found by the last link are the result. Every
// link keeps walking after it finds a node, so nested matches of an earlier
// link start further chains. This is rust_circuit's chain. Nil links are
// dropped; Chain(m) is m.
//
// Chain(Name("skip"), Name("x")) finds the x nodes in skip's subtree; use
// ChainStrict or DirectChild to exclude skip itself.
func Chain(first IterativeMatcher, rest ...IterativeMatcher) IterativeMatcher {
	return newChain("Chain", first, rest, rest)
}

// ChainStrict is Chain where each link finds nodes strictly below the node
// found by the previous link: ChainStrict(a, b) is Chain(a, Below(b)).
func ChainStrict(first IterativeMatcher, rest ...IterativeMatcher) IterativeMatcher {
	below := make([]IterativeMatcher, 0, len(rest))
	for _, m := range rest {
		if m != nil {
			below = append(below, Below(m))
		}
	}
	return newChain("ChainStrict", first, below, rest)
}

func newChain(name string, first IterativeMatcher, rest, shown []IterativeMatcher) IterativeMatcher {
	var links, vis []IterativeMatcher
	for i, m := range append([]IterativeMatcher{first}, rest...) {
		if m == nil {
			continue
		}
		links = append(links, m)
		if i == 0 {
			vis = append(vis, m)
		} else {
			vis = append(vis, shown[i-1])
		}
	}
	switch len(links) {
	case 0:
		return stopMatcher{}
	case 1:
		return links[0]
	}
	spec := &chainSpec{id: newID("C"), links: links, name: name, shown: vis}
	return newChainItem(spec, 0, links[0])
}

func newChainItem(spec *chainSpec, pos int, m IterativeMatcher) *chainItem {
	return &chainItem{spec: spec, pos: pos, m: m,
		k: compactKey(spec.id + "." + strconv.Itoa(pos) + "(" + m.key() + ")")}
}

func (it *chainItem) Step(c circuit.Circuit) (Result, error) {
	r, err := it.m.Step(c)
	if err != nil {
		return Result{}, err
	}
	found := r.Found
	cont := mapResult(r, it.wrap)
	cont.Found = false
	if !found {
		return cont, nil
	}
	if it.pos == len(it.spec.links)-1 {
		cont.Found = true
		return cont, nil
	}
	// The next link starts at this very node.
	next := newChainItem(it.spec, it.pos+1, it.spec.links[it.pos+1])
	r2, err := next.Step(c)
	if err != nil {
		return Result{}, err
	}
	return mergeResults(len(c.Children()), cont, r2), nil
}

// wrap makes n a state of this link. A link over a union is the union of
// the link over each member (a link only asks whether its state finds, and
// where it continues), so it wraps members one by one: states stay flat
// sets of single links, and nested chains reach polynomially many distinct
// states instead of exponentially many nested sets.
func (it *chainItem) wrap(n IterativeMatcher) IterativeMatcher {
	one := func(n IterativeMatcher) IterativeMatcher {
		if n == it.m {
			return it
		}
		return newChainItem(it.spec, it.pos, n)
	}
	set, ok := n.(*anySet)
	if !ok {
		return one(n)
	}
	ms := make([]IterativeMatcher, len(set.members))
	for i, m := range set.members {
		ms[i] = one(m)
	}
	return union(ms)
}

func (it *chainItem) String() string {
	// rust_circuit's chain repr: the active link, then the links to come
	parts := []string{it.m.String()}
	if it.pos == 0 && it.m == it.spec.links[0] {
		parts[0] = it.spec.shown[0].String()
	}
	for _, m := range it.spec.shown[it.pos+1:] {
		parts = append(parts, m.String())
	}
	if len(parts) == 1 {
		return parts[0]
	}
	s := "[" + strings.Join(parts, " -> ") + "]"
	if it.spec.name != "Chain" {
		s = it.spec.name + s
	}
	return s
}

func (it *chainItem) key() string { return it.k }
