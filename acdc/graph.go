package acdc

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/dominikbraun/graph"
)

// Edge is one sender's contribution to one receiver's input.
type Edge struct {
	Sender, Receiver string
}

func (e Edge) String() string { return e.Sender + "->" + e.Receiver }

// Graph is the component graph of a model: every component sends to every
// later component through the residual stream. Its vertices are the
// components and, with split receivers, each head's q, k and v inputs
// ('a1.h3.k'), each joined to its head by an internal edge that is never
// patched.
type Graph struct {
	g     graph.Graph[string, string]
	order map[string]int // position of every vertex, a head's inputs just before it
	comps []string       // components in forward order
	recvs []string       // receivers in forward order
}

// Embed and Logits are the first sender and the last receiver.
const (
	Embed  = "embed"
	Logits = "logits"
)

// ports are the input names of split receivers, after the head's name.
var ports = []string{"q", "k", "v"}

func headName(l, h int) string { return fmt.Sprintf("a%d.h%d", l, h) }
func mlpName(l int) string     { return fmt.Sprintf("m%d", l) }

// headLayer is the layer part ("a1") of a head's name or of one of its
// inputs' ("a1.h3", "a1.h3.k"); ok is false for other names. It is on
// every step's path: no Sscanf.
func headLayer(c string) (layer string, ok bool) {
	layer, rest, ok := strings.Cut(c, ".h")
	if !ok || len(layer) < 2 || layer[0] != 'a' || !digits(layer[1:]) {
		return "", false
	}
	head, _, _ := strings.Cut(rest, ".")
	return layer, digits(head)
}

func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// isHead reports whether c names a head (or one of its inputs).
func isHead(c string) bool { _, ok := headLayer(c); return ok }

// splitPort is receiver r's component and input port ("" for a receiver
// that is its component).
func splitPort(r string) (comp, port string) {
	if i := strings.LastIndexByte(r, '.'); i > 0 && slices.Contains(ports, r[i+1:]) && isHead(r) {
		return r[:i], r[i+1:]
	}
	return r, ""
}

// compOf is receiver r's component.
func compOf(r string) string { c, _ := splitPort(r); return c }

// Layout is the shape of a component graph.
type Layout struct {
	Layers, Heads int
	// MLP is one MLP component per layer; QKV splits each head's input into
	// three receivers, its q, k and v inputs.
	MLP, QKV bool
}

// receivers of component c: none for the embedding, a head's three inputs
// with QKV, else c itself.
func (l Layout) receivers(c string) []string {
	switch {
	case c == Embed:
		return nil
	case l.QKV && isHead(c):
		out := make([]string, len(ports))
		for i, p := range ports {
			out[i] = c + "." + p
		}
		return out
	}
	return []string{c}
}

// NewGraph is the full component graph of a model of layout l.
func NewGraph(l Layout) (*Graph, error) {
	comps := []string{Embed}
	for layer := range l.Layers {
		for h := range l.Heads {
			comps = append(comps, headName(layer, h))
		}
		if l.MLP {
			comps = append(comps, mlpName(layer))
		}
	}
	comps = append(comps, Logits)
	gr := &Graph{g: graph.New(graph.StringHash, graph.Directed(), graph.Acyclic()), order: map[string]int{}, comps: comps}
	add := func(n string) error {
		gr.order[n] = len(gr.order)
		return gr.g.AddVertex(n)
	}
	for i, c := range comps {
		rs := l.receivers(c)
		for _, r := range rs {
			if r != c {
				if err := add(r); err != nil {
					return nil, err
				}
			}
		}
		if err := add(c); err != nil {
			return nil, err
		}
		for _, r := range rs {
			gr.recvs = append(gr.recvs, r)
			for _, s := range comps[:i] {
				if !sameLayerHeads(s, r) {
					if err := gr.g.AddEdge(s, r); err != nil {
						return nil, fmt.Errorf("edge %s->%s: %w", s, r, err)
					}
				}
			}
			if r != c {
				if err := gr.g.AddEdge(r, c); err != nil {
					return nil, fmt.Errorf("edge %s->%s: %w", r, c, err)
				}
			}
		}
	}
	return gr, nil
}

// sameLayerHeads: heads of one layer read the same stream and do not see
// each other (either may be a head's input).
func sameLayerHeads(s, r string) bool {
	ls, ok1 := headLayer(s)
	lr, ok2 := headLayer(r)
	return ok1 && ok2 && ls == lr
}

func (gr *Graph) less(a, b string) bool { return gr.order[a] < gr.order[b] }

// Components lists every component in forward order.
func (gr *Graph) Components() []string { return slices.Clone(gr.comps) }

// Receivers lists every receiver in forward order.
func (gr *Graph) Receivers() []string { return slices.Clone(gr.recvs) }

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

// Remove deletes an edge (never an internal one).
func (gr *Graph) Remove(e Edge) error {
	if internal(e) {
		return fmt.Errorf("edge %s joins a head's input to the head: it cannot be patched", e)
	}
	if err := gr.g.RemoveEdge(e.Sender, e.Receiver); err != nil {
		return fmt.Errorf("edge %s: %w", e, err)
	}
	return nil
}

// Edges lists the edges left, sorted by receiver then sender in forward
// order; a head's internal edges from its inputs are not listed.
func (gr *Graph) Edges() ([]Edge, error) {
	es, err := gr.allEdges()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(es, internal), nil
}

// internal reports whether e joins a head's input to the head.
func internal(e Edge) bool { _, p := splitPort(e.Sender); return p != "" }

// allEdges is Edges with the internal edges.
func (gr *Graph) allEdges() ([]Edge, error) {
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
	es, err := gr.allEdges()
	if err != nil {
		return nil, err
	}
	fwd := reach(es, Embed, func(e Edge) (string, string) { return e.Sender, e.Receiver })
	back := reach(es, Logits, func(e Edge) (string, string) { return e.Receiver, e.Sender })
	var out []Edge
	for _, e := range es {
		if fwd[e.Sender] && back[e.Receiver] && !internal(e) {
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
