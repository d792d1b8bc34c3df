package tensor

import (
	"fmt"
	"strings"
)

// The einsum spec grammar, shared by every package that reads specs:
//
//	spec  = terms "->" term      (exactly one "->")
//	terms = "" | term { "," term }
//
// An empty left side is zero operands; an empty term is a rank-0 operand.
// How a term becomes labels is the caller's: letters here, rust_circuit's
// Greek letters and axis words in circuit.

// ParseEinsumTerms splits spec into its operand terms and output term and
// reads each with term, which turns one term's text into labels.
func ParseEinsumTerms(spec string, term func(string) ([]int, error)) (inLabels [][]int, outLabels []int, err error) {
	lhs, rhs, ok := strings.Cut(spec, "->")
	if !ok {
		return nil, nil, fmt.Errorf("einsum spec %q has no \"->\"", spec)
	}
	if strings.Contains(rhs, "->") {
		return nil, nil, fmt.Errorf("einsum spec %q has more than one \"->\"", spec)
	}
	inLabels = [][]int{}
	if strings.Trim(lhs, " \t\n\r") != "" {
		for i, op := range strings.Split(lhs, ",") {
			labels, err := term(op)
			if err != nil {
				return nil, nil, fmt.Errorf("einsum spec %q operand %d: %w", spec, i, err)
			}
			inLabels = append(inLabels, labels)
		}
	}
	outLabels, err = term(rhs)
	if err != nil {
		return nil, nil, fmt.Errorf("einsum spec %q output: %w", spec, err)
	}
	return inLabels, outLabels, nil
}

// EinsumLetterTerm reads a term of letters with label(r), skipping
// whitespace; alphabet describes the letters in the error for other runes.
func EinsumLetterTerm(label func(rune) (int, bool), alphabet string) func(string) ([]int, error) {
	return func(s string) ([]int, error) {
		labels := make([]int, 0, len(s))
		for _, r := range s {
			switch r {
			case ' ', '\t', '\n', '\r':
				continue
			}
			l, ok := label(r)
			if !ok {
				return nil, fmt.Errorf("%q is not an axis letter (%s)", r, alphabet)
			}
			labels = append(labels, l)
		}
		return labels, nil
	}
}

// EinsumLetterLabel maps an ASCII letter to its label: 'a'..'z' are 0..25
// and 'A'..'Z' are 26..51.
func EinsumLetterLabel(r rune) (int, bool) {
	switch {
	case r >= 'a' && r <= 'z':
		return int(r - 'a'), true
	case r >= 'A' && r <= 'Z':
		return 26 + int(r-'A'), true
	}
	return 0, false
}

// ParseEinsumSpec reads a numpy-style spec such as "ab,bc->ac" into integer
// labels (see EinsumLetterLabel). Whitespace is ignored. An empty operand
// list ("->c") means zero operands, and an empty item ("ab,,c->") is a
// rank-0 operand (so a lone rank-0 operand cannot be written). A letter that
// appears only in the output is allowed: Einsum broadcasts it, given its
// size. Ellipses, other characters and a missing or repeated "->" are errors.
func ParseEinsumSpec(spec string) (inLabels [][]int, outLabels []int, err error) {
	return ParseEinsumTerms(spec, EinsumLetterTerm(EinsumLetterLabel, "a-z, A-Z"))
}

// EinsumLabelLetter is the spec letter of label l (the inverse of
// EinsumLetterLabel), or 0 if l has none.
func EinsumLabelLetter(l int) byte {
	switch {
	case l >= 0 && l < 26:
		return byte('a' + l)
	case l >= 26 && l < 52:
		return byte('A' + l - 26)
	}
	return 0
}

// FormatEinsumSpec prints labels back as "ab,bc->ac", each label as letter
// writes it (EinsumLabelLetter when letter is nil).
func FormatEinsumSpec(inLabels [][]int, outLabels []int, letter func(int) string) string {
	var b strings.Builder
	for i, ax := range inLabels {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(FormatEinsumTerm(ax, letter))
	}
	b.WriteString("->")
	b.WriteString(FormatEinsumTerm(outLabels, letter))
	return b.String()
}

// FormatEinsumTerm prints one term's labels, as FormatEinsumSpec does.
func FormatEinsumTerm(labels []int, letter func(int) string) string {
	if letter == nil {
		letter = func(l int) string { return string(rune(EinsumLabelLetter(l))) }
	}
	var b strings.Builder
	for _, l := range labels {
		b.WriteString(letter(l))
	}
	return b.String()
}
