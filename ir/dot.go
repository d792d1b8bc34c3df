package ir

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// DOT renders the program as a Graphviz digraph. Node lines are sorted by
// value id and edge lines by (source, target, operand position), so the
// output is byte-stable across runs (unlike dominikbraun/graph's draw.DOT).
// Each node's label is the value's printed line.
func (p *Program) DOT() string {
	type node struct {
		id   int
		line string
	}
	type edge struct {
		from, to, pos int
		toOutput      bool
		line          string
	}
	var nodes []node
	var edges []edge
	for _, v := range p.Values {
		nodes = append(nodes, node{v.ID, fmt.Sprintf("  v%d [label=%s];", v.ID, strconv.Quote(v.String()))})
		for i, o := range v.Operands {
			edges = append(edges, edge{from: o, to: v.ID, pos: i, line: fmt.Sprintf("  v%d -> v%d [label=\"%d\"];", o, v.ID, i)})
		}
	}
	slices.SortStableFunc(nodes, func(a, b node) int { return cmp.Compare(a.id, b.id) })
	for i, o := range p.Outputs {
		edges = append(edges, edge{from: o.ID, to: i, toOutput: true, line: fmt.Sprintf("  v%d -> out%d;", o.ID, i)})
	}
	slices.SortStableFunc(edges, func(a, b edge) int {
		if c := cmp.Compare(a.from, b.from); c != 0 {
			return c
		}
		if a.toOutput != b.toOutput {
			if a.toOutput {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(a.to, b.to); c != 0 {
			return c
		}
		return cmp.Compare(a.pos, b.pos)
	})
	var sb strings.Builder
	sb.WriteString("digraph ir {\n  node [shape=box, fontname=\"monospace\"];\n")
	for _, n := range nodes {
		sb.WriteString(n.line + "\n")
	}
	for i, o := range p.Outputs {
		fmt.Fprintf(&sb, "  out%d [label=%s, shape=ellipse];\n", i, strconv.Quote("output "+strconv.Quote(o.Name)))
	}
	for _, e := range edges {
		sb.WriteString(e.line + "\n")
	}
	sb.WriteString("}\n")
	return sb.String()
}
