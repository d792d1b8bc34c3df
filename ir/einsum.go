package ir

import (
	"fmt"
	"strings"
)

// EinsumSpec is a parsed einsum attribute: one label list per operand and
// the output labels. Labels are the spec's letters as runes, so they can be
// handed to tensor.Einsum directly.
type EinsumSpec struct {
	In  [][]int
	Out []int
}

// ParseEinsum parses a spec such as "ab,bc->ac" for n operands. Labels are
// ASCII letters; the arrow is required. With zero operands the left side is
// empty ("->" or "->ab").
func ParseEinsum(spec string, n int) (*EinsumSpec, error) {
	lhs, rhs, ok := strings.Cut(spec, "->")
	if !ok {
		return nil, fmt.Errorf("einsum spec %q has no \"->\"", spec)
	}
	var terms []string
	if n > 0 || lhs != "" {
		terms = strings.Split(lhs, ",")
	}
	if len(terms) != n {
		return nil, fmt.Errorf("einsum spec %q has %d operand terms, got %d operands", spec, len(terms), n)
	}
	s := &EinsumSpec{In: make([][]int, n)}
	for i, t := range terms {
		ls, err := einsumLabels(t)
		if err != nil {
			return nil, fmt.Errorf("einsum spec %q operand %d: %w", spec, i, err)
		}
		s.In[i] = ls
	}
	out, err := einsumLabels(rhs)
	if err != nil {
		return nil, fmt.Errorf("einsum spec %q output: %w", spec, err)
	}
	s.Out = out
	return s, nil
}

func einsumLabels(t string) ([]int, error) {
	ls := make([]int, 0, len(t))
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return nil, fmt.Errorf("label %q is not an ASCII letter", r)
		}
		ls = append(ls, int(r))
	}
	return ls, nil
}

// String prints the spec back in the attribute's form.
func (s *EinsumSpec) String() string {
	var sb strings.Builder
	for i, ls := range s.In {
		if i > 0 {
			sb.WriteByte(',')
		}
		for _, l := range ls {
			sb.WriteRune(rune(l))
		}
	}
	sb.WriteString("->")
	for _, l := range s.Out {
		sb.WriteRune(rune(l))
	}
	return sb.String()
}

// Sizes returns every label's size, reading input labels from the operand
// shapes and output-only labels from outShape (which may be nil when there
// are none). It checks that repeated labels agree.
func (s *EinsumSpec) Sizes(in [][]int, outShape []int) (map[int]int, error) {
	if len(in) != len(s.In) {
		return nil, fmt.Errorf("einsum: %d operands for %d terms", len(in), len(s.In))
	}
	sizes := map[int]int{}
	for i, ls := range s.In {
		if len(ls) != len(in[i]) {
			return nil, fmt.Errorf("einsum: operand %d has rank %d but its term %q has %d labels", i, len(in[i]), labelString(ls), len(ls))
		}
		for j, l := range ls {
			d := in[i][j]
			if old, ok := sizes[l]; ok && old != d {
				return nil, fmt.Errorf("einsum: label %c has sizes %d and %d", rune(l), old, d)
			}
			sizes[l] = d
		}
	}
	if outShape != nil && len(outShape) != len(s.Out) {
		return nil, fmt.Errorf("einsum: declared rank %d but output term %q has %d labels", len(outShape), labelString(s.Out), len(s.Out))
	}
	for j, l := range s.Out {
		if _, ok := sizes[l]; ok {
			continue
		}
		if outShape == nil {
			return nil, fmt.Errorf("einsum: output label %c appears in no operand and no result shape is declared", rune(l))
		}
		sizes[l] = outShape[j]
	}
	return sizes, nil
}

func labelString(ls []int) string {
	var sb strings.Builder
	for _, l := range ls {
		sb.WriteRune(rune(l))
	}
	return sb.String()
}
