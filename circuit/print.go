package circuit

import (
	"sort"
	"strconv"
	"strings"
)

// PrintOptions controls the text format printer. The zero value prints the
// canonical form that ParseCircuits reads back to hash-equal circuits.
type PrintOptions struct {
	// Arrows draws the tree with ├‣ └‣ │ instead of plain two-space
	// indentation. The parser treats those characters as whitespace, so the
	// output still parses to the same circuits.
	Arrows bool
	// HashPrefix, when positive, prints only that many leading hex digits of
	// each Array's content hash (the parser resolves a prefix through its
	// tensor store). Zero prints the full 64-digit hash.
	HashPrefix int
	// AllShapes prints every node's shape, not only where the format needs it.
	AllShapes bool
	// References prints any node hash-equal to one of these circuits as its
	// quoted key alone, without children; parse the result with the same map
	// in ParseOptions.References.
	References map[string]Circuit
	// Names prints as rust_circuit does by default: a node whose name no
	// other (different) node has is written by its name alone, with no
	// serial number; unnamed nodes and repeated names keep serials.
	Names bool
	// HashedIndices writes index tensors as rust_circuit does, by hash
	// ("[t292d9fdb22 [6],0]"); the text parses back only with a tensor store
	// holding IndexTensors. Otherwise positions are written literally ("[[3,0,2],0]").
	HashedIndices bool
}

// nilUUID is the uuid of a Symbol written without one; the printer omits it,
// as rust_circuit does.
const nilUUID = "00000000-0000-0000-0000-000000000000"

// Print is PrintCircuits of one circuit with default options.
func Print(c Circuit) string {
	return PrintCircuits([]Circuit{c}, PrintOptions{})
}

// PrintCircuits writes circuits in the text format, one node per line with
// children indented two spaces below their parent:
//
//	<ident>[ 'name'][ AD][ [shape]] <Kind>[ extra][ ! <symbol>[ flags]]
//
// Every node gets a serial number as its ident, counting up in print order
// across all circuits; a node seen before (by hash) is written again as its
// ident alone, so shared subtrees stay shared and later circuits can refer to
// earlier ones. The shape is written for Scalar, Symbol, Array, Index and
// Scatter (as rust_circuit does) and for any node with named axes
// ("[batch:4,2]"). The extra text is the Scalar's value (FormatNumber), the
// Array's content hash, the Symbol's uuid (none for the nil uuid), the
// Einsum's spec, the Rearrange's spec, the Index or Scatter index, the Concat
// axis, the function name, or the Tag's uuid. A Module argument's line ends
// with "! " and the symbol it binds (an ident, or a full Symbol line if the
// symbol was not printed yet) and its flags unless they are ttt. The result
// ends with a newline (or is empty for no circuits).
//
// rust_circuit's parser reads this output, with one exception: an Index or
// Scatter axis indexed by positions is written as the literal "[1,0,2]",
// while rust_circuit only reads index tensors by hash ("t<hash> [n]") from
// its tensor store; PrintOptions.HashedIndices writes that form.
//
// A node more than 255 levels deep would make the output quadratic in the
// depth; instead a line "@N" restarts the indentation at level N (a
// multiple of 128), so every line is short and the size is linear.
// rust_circuit does not read these lines.
func PrintCircuits(cs []Circuit, opts PrintOptions) string {
	p := &printer{opts: opts, seen: map[Hash]string{}}
	if opts.Names {
		p.unique = uniqueNames(cs)
	}
	if len(opts.References) > 0 {
		p.refs = map[Hash]string{}
		keys := make([]string, 0, len(opts.References))
		for k := range opts.References {
			keys = append(keys, k)
		}
		// Sorted so that two keys for the same circuit choose deterministically.
		sort.Strings(keys)
		for _, k := range keys {
			if c := opts.References[k]; c != nil {
				if _, dup := p.refs[c.Hash()]; !dup {
					p.refs[c.Hash()] = k
				}
			}
		}
	}
	for _, c := range cs {
		if c != nil {
			p.node(c, nil)
		}
	}
	return p.b.String()
}

type printer struct {
	opts PrintOptions
	b    strings.Builder
	seen map[Hash]string
	refs map[Hash]string
	// unique holds the names that exactly one node has (Names option).
	unique map[string]bool
	next   int
	// last holds, per ancestor level of the node being written, whether
	// that ancestor is its parent's last child (for arrows).
	last []bool
	// base is the level of the last "@N" line written: indentation is
	// counted from it, so no line is more than 2*baseStep levels deep.
	base int
}

// baseStep is how often (in levels) a deep tree's indentation restarts.
const baseStep = 128

// node writes c and (the first time it is seen) its subtree at depth
// len(p.last); arg is the Module argument spec when c is a Module argument.
func (p *printer) node(c Circuit, arg *ModuleArgSpec) {
	p.prefix()
	done := p.repr(c)
	if arg != nil {
		// As in rust_circuit the symbol is written after the argument's own
		// ident, so serial numbers follow reading order within the line.
		p.b.WriteString(" ! ")
		p.repr(arg.Symbol)
		if f := arg.Flags(); f != "ttt" {
			p.b.WriteByte(' ')
			p.b.WriteString(f)
		}
	}
	p.b.WriteByte('\n')
	if done {
		return
	}
	kids := c.Children()
	m, isModule := c.(*Module)
	for i, k := range kids {
		var spec *ModuleArgSpec
		if isModule && i > 0 {
			spec = &m.ArgSpecs[i-1]
		}
		p.last = append(p.last, i == len(kids)-1)
		p.node(k, spec)
		p.last = p.last[:len(p.last)-1]
	}
}

// prefix writes the indentation for a node at depth len(p.last), after an
// "@N" line when the depth left the window [base, base+2*baseStep).
func (p *printer) prefix() {
	if d := len(p.last); d < p.base || d-p.base >= 2*baseStep {
		p.base = d - d%baseStep
		p.b.WriteByte('@')
		p.b.WriteString(strconv.Itoa(p.base))
		p.b.WriteByte('\n')
	}
	last := p.last[p.base:]
	d := len(last)
	if !p.opts.Arrows {
		for i := 0; i < d; i++ {
			p.b.WriteString("  ")
		}
		return
	}
	for i := 0; i < d-1; i++ {
		if last[i] {
			p.b.WriteString("  ")
		} else {
			p.b.WriteString("│ ")
		}
	}
	if d > 0 {
		if last[d-1] {
			p.b.WriteString("└‣")
		} else {
			p.b.WriteString("├‣")
		}
	}
}

// repr writes c's line content (without indentation) and reports whether
// the node is finished: a reference or a repeat, whose children are not
// written again.
func (p *printer) repr(c Circuit) bool {
	if name, ok := p.refs[c.Hash()]; ok {
		p.b.WriteString(QuoteName(name))
		return true
	}
	if id, ok := p.seen[c.Hash()]; ok {
		p.b.WriteString(id)
		return true
	}
	if p.unique[c.Name()] {
		id := QuoteName(c.Name())
		p.seen[c.Hash()] = id
		p.b.WriteString(id)
	} else {
		id := strconv.Itoa(p.next)
		p.next++
		p.seen[c.Hash()] = id
		p.b.WriteString(id)
	}
	if c.Name() != "" && !p.unique[c.Name()] {
		p.b.WriteByte(' ')
		p.b.WriteString(QuoteName(c.Name()))
	}
	if c.AutonameDisabled() {
		p.b.WriteString(" AD")
	}
	if p.opts.AllShapes || len(c.NamedAxes()) > 0 || shapeNeeded(c.Kind()) {
		p.b.WriteByte(' ')
		p.b.WriteString(FormatShape(c.Shape(), c.NamedAxes()))
	}
	p.b.WriteByte(' ')
	p.b.WriteString(c.Kind().String())
	if x := p.extra(c); x != "" {
		p.b.WriteByte(' ')
		p.b.WriteString(x)
	}
	return false
}

// uniqueNames is the set of names carried by exactly one distinct node
// (Module arg spec symbols included).
func uniqueNames(cs []Circuit) map[string]bool {
	owner := map[string]Hash{}
	dup := map[string]bool{}
	see := func(c Circuit) {
		n := c.Name()
		if n == "" {
			return
		}
		if h, ok := owner[n]; ok && h != c.Hash() {
			dup[n] = true
		}
		owner[n] = c.Hash()
	}
	var roots []Circuit
	for _, c := range cs {
		if c != nil {
			roots = append(roots, c)
		}
	}
	Walk(roots, func(c Circuit) {
		see(c)
		if m, ok := c.(*Module); ok {
			for _, a := range m.ArgSpecs {
				see(a.Symbol)
			}
		}
	})
	out := map[string]bool{}
	for n := range owner {
		if !dup[n] {
			out[n] = true
		}
	}
	return out
}

// shapeNeeded lists the kinds whose shape the parser cannot compute from
// children (or, for Index, rust_circuit prints anyway as a reading aid).
func shapeNeeded(k Kind) bool {
	switch k {
	case KindScalar, KindSymbol, KindArray, KindIndex, KindScatter:
		return true
	}
	return false
}

// extra is the kind-specific text after the kind.
func (p *printer) extra(c Circuit) string {
	switch n := c.(type) {
	case *Array:
		h := n.ContentHash
		if p.opts.HashPrefix > 0 && p.opts.HashPrefix < len(h) {
			h = h[:p.opts.HashPrefix]
		}
		return h
	case *Scalar:
		return FormatNumber(n.Value)
	case *Symbol:
		if n.UUID == nilUUID {
			return ""
		}
		return n.UUID
	case *Einsum:
		return n.SpecAsWritten()
	case *Rearrange:
		return n.Spec.String()
	case *Index:
		return p.index(n.Idx)
	case *Scatter:
		return p.index(n.Idx)
	case *Concat:
		return strconv.Itoa(n.Axis)
	case *GeneralFunction:
		return n.Spec
	case *Tag:
		return n.UUID
	case *StoredCumulantVar:
		return n.extraText()
	}
	return ""
}

func (p *printer) index(idx []AxisIndex) string {
	if p.opts.HashedIndices {
		return FormatIndexHashed(idx)
	}
	return FormatIndex(idx)
}

// FormatShape prints a shape as "[2,3]", with "name:size" for named axes.
func FormatShape(shape []int, named map[int]string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range shape {
		if i > 0 {
			b.WriteByte(',')
		}
		if n, ok := named[i]; ok {
			b.WriteString(n)
			b.WriteByte(':')
		}
		b.WriteString(FormatSize(d))
	}
	b.WriteByte(']')
	return b.String()
}

// QuoteName writes a name as the text format does: in single quotes, with
// a backslash before each backslash and quote, and newline and carriage
// return written as \n and \r so that a name can never break a line.
func QuoteName(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
