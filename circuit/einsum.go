package circuit

import (
	"github.com/circopt/circopt/tensor"
	"strings"
)

// Einsum contracts its operands: Axes[i] labels the axes of child i, Out
// labels the result. A label repeated within one operand takes that
// operand's diagonal; a label repeated in Out embeds a diagonal (zeros off
// it); labels missing from Out are summed. Every Out label must occur in
// some operand. With no operands the value is the scalar 1.
//
// Labels are renumbered at construction in order of first appearance
// (operands, then Out), so relabelled but equal einsums hash equal.
type Einsum struct {
	base
	Axes [][]int
	Out  []int
	// display, when set, is how each (normalized) label was written: the
	// letter or, with fancy, the axis word; only printing reads it (it is
	// not hashed), so "i,hi->h" prints back as written.
	display []string
	fancy   bool
}

// MaxEinsumLabels is the number of distinct axis letters the text format has.
const MaxEinsumLabels = 52

// NewEinsum builds an einsum over children with per-child axis labels.
func NewEinsum(name string, axes [][]int, out []int, children ...Circuit) (*Einsum, error) {
	if len(axes) != len(children) {
		return nil, nodeErr(KindEinsum, name, "%d axis lists for %d operands", len(axes), len(children))
	}
	sizes := map[int]int{}
	for i, c := range children {
		if c == nil {
			return nil, nodeErr(KindEinsum, name, "operand %d is nil", i)
		}
		if len(axes[i]) != c.Rank() {
			return nil, nodeErr(KindEinsum, name, "operand %d (%s) has rank %d but %d axes", i, Label(c), c.Rank(), len(axes[i]))
		}
		for j, l := range axes[i] {
			d := c.Shape()[j]
			if old, ok := sizes[l]; ok && old != d {
				return nil, nodeErr(KindEinsum, name, "axis %s has size %d in operand %d (%s) but %d elsewhere", labelLetter(l), d, i, Label(c), old)
			}
			sizes[l] = d
		}
	}
	shape := make([]int, len(out))
	for i, l := range out {
		d, ok := sizes[l]
		if !ok {
			return nil, nodeErr(KindEinsum, name, "output axis %s is not an axis of any operand", labelLetter(l))
		}
		shape[i] = d
	}
	na, no := normalizeLabels(axes, out)
	if len(sizes) > MaxEinsumLabels {
		return nil, nodeErr(KindEinsum, name, "%d distinct axes; at most %d are supported", len(sizes), MaxEinsumLabels)
	}
	if err := checkShape(shape); err != nil {
		return nil, nodeErr(KindEinsum, name, "%w", err)
	}
	e := &Einsum{base: base{name: name, shape: shape, children: append([]Circuit(nil), children...)}, Axes: na, Out: no}
	return finish(e).(*Einsum), nil
}

// NewEinsumSpec builds an einsum from a numpy-style spec such as "ab,bc->ac",
// in rust_circuit's alphabet (Greek letters after Z) or its "fancy:" form.
func NewEinsumSpec(name, spec string, children ...Circuit) (*Einsum, error) {
	in, out, words, err := parseEinsumText(spec)
	if err != nil {
		return nil, nodeErr(KindEinsum, name, "bad einsum spec: %w", err)
	}
	// "->" parses as zero operands, but it is also the spec of one rank-0
	// operand (Spec prints it so); the operand count decides.
	if len(children) == 1 && len(in) == 0 {
		in = [][]int{{}}
	}
	e, err := NewEinsum(name, in, out, children...)
	if err != nil {
		return nil, err
	}
	// the constructor numbers labels by first appearance: record what each
	// was written as, in that order
	var disp []string
	seen := map[int]bool{}
	note := func(l int) {
		if !seen[l] {
			seen[l] = true
			if words != nil {
				disp = append(disp, words[l])
			} else {
				disp = append(disp, labelLetter(l))
			}
		}
	}
	for _, ax := range in {
		for _, l := range ax {
			note(l)
		}
	}
	for _, l := range out {
		note(l)
	}
	e.display, e.fancy = disp, words != nil
	return e, nil
}

func normalizeLabels(axes [][]int, out []int) ([][]int, []int) {
	m := map[int]int{}
	re := func(l int) int {
		if v, ok := m[l]; ok {
			return v
		}
		m[l] = len(m)
		return m[l]
	}
	na := make([][]int, len(axes))
	for i, ax := range axes {
		na[i] = make([]int, len(ax))
		for j, l := range ax {
			na[i][j] = re(l)
		}
	}
	no := make([]int, len(out))
	for j, l := range out {
		no[j] = re(l)
	}
	return na, no
}

// Spec prints the einsum canonically, as "ab,bc->ac".
func (e *Einsum) Spec() string { return tensor.FormatEinsumSpec(e.Axes, e.Out, labelLetter) }

// SpecAsWritten prints the einsum with the letters (or the "fancy:" axis
// words) it was read with, as rust_circuit prints it; Spec otherwise.
func (e *Einsum) SpecAsWritten() string {
	if e.fancy {
		term := func(ax []int) string {
			ws := make([]string, len(ax))
			for i, l := range ax {
				ws[i] = e.display[l]
			}
			return strings.Join(ws, " ")
		}
		ins := make([]string, len(e.Axes))
		for i, ax := range e.Axes {
			ins[i] = term(ax)
		}
		return "fancy: " + strings.Join(ins, ", ") + " -> " + term(e.Out)
	}
	if e.display != nil {
		return tensor.FormatEinsumSpec(e.Axes, e.Out, func(l int) string { return e.display[l] })
	}
	return e.Spec()
}

// LabelSizes maps each label to its size.
func (e *Einsum) LabelSizes() map[int]int {
	m := map[int]int{}
	for i, ax := range e.Axes {
		for j, l := range ax {
			m[l] = e.children[i].Shape()[j]
		}
	}
	return m
}

func (*Einsum) Kind() Kind { return KindEinsum }
func (e *Einsum) writeFields(h *hasher) {
	h.int(len(e.Axes))
	for _, ax := range e.Axes {
		h.ints(ax)
	}
	h.ints(e.Out)
}
func (e *Einsum) shallowCopy() Circuit                        { c := *e; return &c }
func (e *Einsum) Rename(name string) Circuit                  { return renameNode(e, name) }
func (e *Einsum) WithInfo(na map[int]string, ad bool) Circuit { return withInfo(e, na, ad) }
func (e *Einsum) WithChildren(cs []Circuit) (Circuit, error) {
	n, err := NewEinsum(e.name, e.Axes, e.Out, cs...)
	if err != nil {
		return nil, err
	}
	n.display, n.fancy = e.display, e.fancy
	return keepInfo(e, n), nil
}
