package scrub

import (
	"errors"
	"fmt"
	"sort"

	"github.com/dominikbraun/graph"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
)

// Correspondence maps interp nodes to matchers on the model: the paths
// (from the model's root) that each interp node explains.
type Correspondence struct {
	nodes    []*InterpNode // in insertion order
	byName   map[string]*InterpNode
	matchers map[*InterpNode]match.IterativeMatcher
}

// NewCorrespondence returns an empty correspondence.
func NewCorrespondence() *Correspondence {
	return &Correspondence{byName: map[string]*InterpNode{}, matchers: map[*InterpNode]match.IterativeMatcher{}}
}

// RootMatcher finds exactly the root of the circuit it walks.
func RootMatcher() match.IterativeMatcher {
	return match.Restrict(match.True(), match.RestrictOptions{EndDepth: 1})
}

// Add maps n to m. Names must be unique.
func (c *Correspondence) Add(n *InterpNode, m match.IterativeMatcher) error {
	if n == nil || m == nil {
		return errors.New("Correspondence.Add: nil interp node or matcher")
	}
	if _, ok := c.matchers[n]; ok {
		return corrErr(ErrDuplicateName, n.Name, "node added twice")
	}
	if _, ok := c.byName[n.Name]; ok {
		return corrErr(ErrDuplicateName, n.Name, "another interp node has this name")
	}
	c.nodes = append(c.nodes, n)
	c.byName[n.Name] = n
	c.matchers[n] = m
	return nil
}

// Replace maps n, already in the correspondence, to m instead.
func (c *Correspondence) Replace(n *InterpNode, m match.IterativeMatcher) error {
	if n == nil || m == nil {
		return errors.New("Correspondence.Replace: nil interp node or matcher")
	}
	if _, ok := c.matchers[n]; !ok {
		return corrErr(ErrNotAdded, n.Name, "Replace needs a node added before (use Add)")
	}
	c.matchers[n] = m
	return nil
}

// Len is the number of interp nodes.
func (c *Correspondence) Len() int { return len(c.nodes) }

// Node returns the interp node with the given name.
func (c *Correspondence) Node(name string) (*InterpNode, bool) {
	n, ok := c.byName[name]
	return n, ok
}

// Matcher returns n's matcher.
func (c *Correspondence) Matcher(n *InterpNode) match.IterativeMatcher { return c.matchers[n] }

// Graph builds the interpretation graph (edges parent -> child) with cycle
// prevention, checking completeness (every child is in the correspondence).
func (c *Correspondence) Graph() (graph.Graph[string, string], error) {
	g := graph.New(graph.StringHash, graph.Directed(), graph.PreventCycles())
	for _, n := range c.nodes {
		if err := g.AddVertex(n.Name); err != nil {
			return nil, corrErr(ErrDuplicateName, n.Name, "%v", err)
		}
	}
	for _, n := range c.nodes {
		for _, ch := range n.children {
			if c.byName[ch.Name] != ch {
				return nil, corrErr(ErrIncomplete, ch.Name, "child of %q has no matcher", n.Name)
			}
			if err := g.AddEdge(n.Name, ch.Name); err != nil {
				if errors.Is(err, graph.ErrEdgeCreatesCycle) {
					return nil, corrErr(ErrCycle, ch.Name, "as a child of %q", n.Name)
				}
				return nil, corrErr(ErrMultipleRoots, ch.Name, "listed twice as a child of %q", n.Name)
			}
		}
	}
	return g, nil
}

// Order returns the interp nodes parents first: the graph's stable
// topological order, ties broken by insertion order. It checks that the
// graph is a tree with one root.
func (c *Correspondence) Order() ([]*InterpNode, error) {
	if len(c.nodes) == 0 {
		return nil, corrErr(ErrNoRoot, "", "the correspondence is empty")
	}
	g, err := c.Graph()
	if err != nil {
		return nil, err
	}
	preds, err := g.PredecessorMap()
	if err != nil {
		return nil, err
	}
	var roots []string
	for _, n := range c.nodes {
		switch len(preds[n.Name]) {
		case 0:
			roots = append(roots, n.Name)
		case 1:
		default:
			var ps []string
			for p := range preds[n.Name] {
				ps = append(ps, p)
			}
			sort.Strings(ps)
			return nil, corrErr(ErrMultipleRoots, n.Name, "has several parents %v; the interpretation must be a tree", ps)
		}
	}
	switch {
	case len(roots) == 0:
		return nil, corrErr(ErrNoRoot, c.nodes[0].Name, "")
	case len(roots) > 1:
		return nil, corrErr(ErrMultipleRoots, roots[1], "roots %v", roots)
	}
	pos := map[string]int{}
	for i, n := range c.nodes {
		pos[n.Name] = i
	}
	names, err := graph.StableTopologicalSort(g, func(a, b string) bool { return pos[a] < pos[b] })
	if err != nil {
		return nil, err
	}
	out := make([]*InterpNode, len(names))
	for i, name := range names {
		out[i] = c.byName[name]
	}
	return out, nil
}

// Root returns the single root.
func (c *Correspondence) Root() (*InterpNode, error) {
	order, err := c.Order()
	if err != nil {
		return nil, err
	}
	return order[0], nil
}

// parents maps each non-root node to its parent.
func (c *Correspondence) parents() map[*InterpNode]*InterpNode {
	out := map[*InterpNode]*InterpNode{}
	for _, n := range c.nodes {
		for _, ch := range n.children {
			out[ch] = n
		}
	}
	return out
}

// Check runs the checks that need no treeification: a tree with one root and
// unique names, complete, the root's matcher finds exactly the circuit root,
// and every matcher finds a node with at least one input below it.
func (c *Correspondence) Check(root circuit.Circuit, inputs []string) error {
	order, err := c.Order()
	if err != nil {
		return err
	}
	r := order[0]
	found, err := match.Get(root, c.matchers[r])
	if err != nil {
		return corrErr(ErrRootNotModel, r.Name, "%v", err)
	}
	if len(found) != 1 || !circuit.Equal(found[0], root) {
		return corrErr(ErrRootNotModel, r.Name, "matcher %v finds %d nodes", c.matchers[r], len(found))
	}
	for _, n := range order {
		m := c.matchers[n]
		ok, err := match.AnyFound(root, m)
		if err == nil && ok {
			ok, err = match.AnyFound(root, toInputs(m, inputs))
		}
		if err != nil {
			return corrErr(ErrNoMatch, n.Name, "%v", err)
		}
		if !ok {
			return corrErr(ErrNoMatch, n.Name, "matcher %v extended to the inputs %v finds nothing", m, inputs)
		}
	}
	return nil
}

// toInputs extends m to the input Symbols at or below what it finds.
func toInputs(m match.IterativeMatcher, inputs []string) match.IterativeMatcher {
	return match.Chain(m, match.Name(inputs...))
}

// CheckInjective checks, on a treeified circuit, that no circuit node is
// found by two interp nodes.
func (c *Correspondence) CheckInjective(treeified circuit.Circuit) error {
	owner := map[circuit.Hash]string{}
	for _, n := range c.nodes {
		found, err := match.Get(treeified, c.matchers[n])
		if err != nil {
			return corrErr(ErrNoMatch, n.Name, "%v", err)
		}
		for _, f := range found {
			if prev, ok := owner[f.Hash()]; ok && prev != n.Name {
				return corrErr(ErrNotInjective, n.Name, "node %s is also matched by %q", circuit.Label(f), prev)
			}
			owner[f.Hash()] = n.Name
		}
	}
	return nil
}

func (c *Correspondence) String() string {
	return fmt.Sprintf("Correspondence(%d nodes)", len(c.nodes))
}
