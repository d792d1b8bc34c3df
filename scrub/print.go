package scrub

import (
	"fmt"
	"strings"
)

// Print is the interpretation tree, one line per interp node indented under
// its parent: its matcher and samplers, as rust_circuit prints an
// InterpNode. With samples (nil: before sampling) each sampler also shows
// the datum it drew for the first reference example (d=#INDEX), and the
// root the reference's own.
func (c *Correspondence) Print(s *Samples) (string, error) {
	root, err := c.Root()
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	drew := func(v []int) string {
		if s == nil || len(v) == 0 {
			return ""
		}
		return fmt.Sprintf("(d=#%d)", v[0])
	}
	var walk func(n *InterpNode, depth int)
	walk = func(n *InterpNode, depth int) {
		fmt.Fprintf(&sb, "%s%s %s # cond_sampler=%s%s", strings.Repeat("  ", depth), n.Name, c.matchers[n], n.Cond, drew(s.datum(n.Name)))
		if !n.IsLeaf() {
			fmt.Fprintf(&sb, ", other_inputs_sampler=%s%s", n.Other, drew(s.other(n.Name)))
		}
		sb.WriteByte('\n')
		for _, ch := range n.children {
			walk(ch, depth+1)
		}
	}
	if s != nil && len(s.Ref) > 0 {
		fmt.Fprintf(&sb, "reference d=#%d\n", s.Ref[0])
	}
	walk(root, 0)
	return sb.String(), nil
}

// datum and other are nil-safe lookups for Print.
func (s *Samples) datum(name string) []int {
	if s == nil {
		return nil
	}
	return s.Datum[name]
}

func (s *Samples) other(name string) []int {
	if s == nil {
		return nil
	}
	return s.Other[name]
}
