package circuit

import (
	"fmt"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// rust_circuit's einsum syntax, layered on tensor's spec grammar: its
// alphabet adds Greek letters after tensor's ASCII ones, and its "fancy"
// form names axes with words.

// maxEinsumLabels is the size of rust_circuit's einsum alphabet (and so the
// most distinct labels an Einsum's printed spec can name).
const maxEinsumLabels = 76

// einsumLabel maps a letter of an einsum string to its label the way
// rust_circuit's ALPHABET does: tensor's a-z (0-25) and A-Z (26-51), then
// the Greek lower-case letters α through ψ (52-75).
func einsumLabel(r rune) (int, bool) {
	if r >= 'α' && r < 'ω' {
		return 52 + int(r-'α'), true
	}
	return tensor.EinsumLetterLabel(r)
}

// labelLetter is einsumLabel's inverse, "#n" for a label with no letter.
func labelLetter(l int) string {
	switch {
	case l >= 0 && l < 52:
		return string(rune(tensor.EinsumLabelLetter(l)))
	case l >= 52 && l < maxEinsumLabels:
		return string(rune('α' + l - 52))
	}
	return fmt.Sprintf("#%d", l)
}

// parseEinsumText reads an Einsum's text as rust_circuit prints it: either
// letters ("ab,bc->ac", spaces ignored) or, when the einsum has named axes,
// "fancy: a b, b c -> a c" with one whitespace-separated word per axis.
// "->" is zero operands (the caller makes it one rank-0 operand for an
// einsum with one child).
func parseEinsumText(x string) ([][]int, []int, map[int]string, error) {
	rest, fancy := strings.CutPrefix(x, "fancy:")
	if !fancy {
		in, out, err := tensor.ParseEinsumTerms(x, tensor.EinsumLetterTerm(einsumLabel, "a-z, A-Z, α-ψ; prefix \"fancy:\" for axis words"))
		return in, out, nil, err
	}
	words := map[string]int{}
	in, out, err := tensor.ParseEinsumTerms(rest, func(s string) ([]int, error) {
		out := []int{}
		for _, w := range strings.Fields(s) {
			id, ok := words[w]
			if !ok {
				if len(words) == maxEinsumLabels {
					return nil, fmt.Errorf("more than %d distinct axis words", maxEinsumLabels)
				}
				id = len(words)
				words[w] = id
			}
			out = append(out, id)
		}
		return out, nil
	})
	byID := make(map[int]string, len(words))
	for w, id := range words {
		byID[id] = w
	}
	return in, out, byID, err
}
