package acdc

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/circopt/circopt/transformer"
	"github.com/dominikbraun/graph"
)

// Edge is one sender's contribution to one receiver's input.
type Edge struct {
	Sender, Receiver string
}

func (e Edge) String() string { return e.Sender + "->" + e.Receiver }

// Graph is the component graph of a model: every component sends to every
// later component through the residual stream.
type Graph struct {
	g     graph.Graph[string, string]
	order map[string]int // position in the forward order, for stable sorts
}

// Embed and Logits are the first sender and the last receiver.
const (
	Embed  = "embed"
	Logits = "logits"
)

func headName(l, h int) string { return fmt.Sprintf("a%d.h%d", l, h) }
func mlpName(l int) string     { return fmt.Sprintf("m%d", l) }

// NewGraph is the full component graph of a model of cfg.
func NewGraph(cfg transformer.Config) (*Graph, error) {
	var names []string
	names = append(names, Embed)
	for l := range cfg.Layers {
		for h := range cfg.Heads {
			names = append(names, headName(l, h))
		}
		names = append(names, mlpName(l))
	}
	names = append(names, Logits)
	gr := &Graph{g: graph.New(graph.StringHash, graph.Directed(), graph.Acyclic()), order: map[string]int{}}
	for i, n := range names {
		gr.order[n] = i
		if err := gr.g.AddVertex(n); err != nil {
			return nil, err
		}
	}
	for i, r := range names {
		for _, s := range names[:i] {
			if !sameLayerHeads(s, r) {
				if err := gr.g.AddEdge(s, r); err != nil {
					return nil, fmt.Errorf("edge %s->%s: %w", s, r, err)
				}
			}
		}
	}
	return gr, nil
}

// sameLayerHeads: heads of one layer read the same stream and do not see
// each other.
func sameLayerHeads(s, r string) bool {
	var ls, hs, lr, hr int
	_, e1 := fmt.Sscanf(s, "a%d.h%d", &ls, &hs)
	_, e2 := fmt.Sscanf(r, "a%d.h%d", &lr, &hr)
	return e1 == nil && e2 == nil && ls == lr
}

func (gr *Graph) less(a, b string) bool { return gr.order[a] < gr.order[b] }

// Components lists every component in forward order.
func (gr *Graph) Components() []string {
	out := make([]string, 0, len(gr.order))
	for n := range gr.order {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(gr.order[a], gr.order[b]) })
	return out
}

// ReverseOrder is the receivers from the output backwards (graph's stable
// topological sort, reversed).
func (gr *Graph) ReverseOrder() ([]string, error) {
	order, err := graph.StableTopologicalSort(gr.g, gr.less)
	if err != nil {
		return nil, err
	}
	slices.Reverse(order)
	return order, nil
}

// Senders of r that still have an edge to it, in forward order.
func (gr *Graph) Senders(r string) ([]string, error) {
	pm, err := gr.g.PredecessorMap()
	if err != nil {
		return nil, err
	}
	var out []string
	for s := range pm[r] {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(gr.order[a], gr.order[b]) })
	return out, nil
}

// Has reports whether the edge is still in the graph.
func (gr *Graph) Has(e Edge) bool {
	_, err := gr.g.Edge(e.Sender, e.Receiver)
	return err == nil
}

// Remove deletes an edge.
func (gr *Graph) Remove(e Edge) error {
	if err := gr.g.RemoveEdge(e.Sender, e.Receiver); err != nil {
		return fmt.Errorf("edge %s: %w", e, err)
	}
	return nil
}

// Edges lists the edges left, sorted by receiver then sender in forward order.
func (gr *Graph) Edges() ([]Edge, error) {
	es, err := gr.g.Edges()
	if err != nil {
		return nil, err
	}
	out := make([]Edge, len(es))
	for i, e := range es {
		out[i] = Edge{e.Source, e.Target}
	}
	slices.SortFunc(out, func(a, b Edge) int {
		return cmp.Or(cmp.Compare(gr.order[a.Receiver], gr.order[b.Receiver]), cmp.Compare(gr.order[a.Sender], gr.order[b.Sender]))
	})
	return out, nil
}

// Connected keeps only the edges on a path from embed to logits: the
// others cannot change the output once the rest is patched.
func (gr *Graph) Connected() ([]Edge, error) {
	es, err := gr.Edges()
	if err != nil {
		return nil, err
	}
	fwd := reach(es, Embed, func(e Edge) (string, string) { return e.Sender, e.Receiver })
	back := reach(es, Logits, func(e Edge) (string, string) { return e.Receiver, e.Sender })
	var out []Edge
	for _, e := range es {
		if fwd[e.Sender] && back[e.Receiver] {
			out = append(out, e)
		}
	}
	return out, nil
}

func reach(es []Edge, from string, dir func(Edge) (string, string)) map[string]bool {
	seen := map[string]bool{from: true}
	for changed := true; changed; {
		changed = false
		for _, e := range es {
			a, b := dir(e)
			if seen[a] && !seen[b] {
				seen[b], changed = true, true
			}
		}
	}
	return seen
}

// DOT draws edges as a sorted digraph, byte-stable run to run.
func DOT(edges []Edge) string {
	nodes := map[string]bool{}
	for _, e := range edges {
		nodes[e.Sender], nodes[e.Receiver] = true, true
	}
	names := make([]string, 0, len(nodes))
	for n := range nodes {
		names = append(names, n)
	}
	slices.Sort(names)
	lines := make([]string, len(edges))
	for i, e := range edges {
		lines[i] = fmt.Sprintf("  %q -> %q;\n", e.Sender, e.Receiver)
	}
	slices.Sort(lines)
	var b strings.Builder
	b.WriteString("digraph acdc {\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %q;\n", n)
	}
	for _, l := range lines {
		b.WriteString(l)
	}
	b.WriteString("}\n")
	return b.String()
}
