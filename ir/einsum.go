package ir

import (
	"fmt"

	"github.com/circopt/circopt/tensor"
)

// EinsumSpec is a parsed einsum attribute: one label list per operand and
// the output labels. Labels are the spec's letters as runes (the passes name
// labels so), which tensor.Einsum takes as they are.
type EinsumSpec struct {
	In  [][]int
	Out []int
}

// runeTerm reads a term with tensor's spec grammar, keeping letters as runes.
var runeTerm = tensor.EinsumLetterTerm(func(r rune) (int, bool) {
	_, ok := tensor.EinsumLetterLabel(r)
	return int(r), ok
}, "a-z, A-Z")

func runeLetter(l int) string { return string(rune(l)) }

// ParseEinsum parses a spec such as "ab,bc->ac" for n operands with
// tensor.ParseEinsumTerms. Labels are ASCII letters; the arrow is required.
// "->" is zero operands, or one rank-0 operand when n is 1.
func ParseEinsum(spec string, n int) (*EinsumSpec, error) {
	in, out, err := tensor.ParseEinsumTerms(spec, runeTerm)
	if err != nil {
		return nil, err
	}
	if n == 1 && len(in) == 0 {
		in = [][]int{{}}
	}
	if len(in) != n {
		return nil, fmt.Errorf("einsum spec %q has %d operand terms, got %d operands", spec, len(in), n)
	}
	return &EinsumSpec{In: in, Out: out}, nil
}

// String prints the spec back in the attribute's form.
func (s *EinsumSpec) String() string { return tensor.FormatEinsumSpec(s.In, s.Out, runeLetter) }

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
			return nil, fmt.Errorf("einsum: operand %d has rank %d but its term %q has %d labels", i, len(in[i]), tensor.FormatEinsumTerm(ls, runeLetter), len(ls))
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
		return nil, fmt.Errorf("einsum: declared rank %d but output term %q has %d labels", len(outShape), tensor.FormatEinsumTerm(s.Out, runeLetter), len(s.Out))
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
