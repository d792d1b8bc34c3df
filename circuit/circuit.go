package circuit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
)

// Kind is a node type.
type Kind uint8

const (
	KindArray Kind = iota + 1
	KindScalar
	KindSymbol
	KindAdd
	KindEinsum
	KindRearrange
	KindIndex
	KindConcat
	KindGeneralFunction
	KindScatter
	KindTag
	KindModule
	// The kinds of sampling circuits (randomvar.go), after the explicit ones.
	KindCumulant
	KindDiscreteVar
	KindStoredCumulantVar
)

var kindNames = map[Kind]string{
	KindArray: "Array", KindScalar: "Scalar", KindSymbol: "Symbol", KindAdd: "Add",
	KindEinsum: "Einsum", KindRearrange: "Rearrange", KindIndex: "Index", KindConcat: "Concat",
	KindGeneralFunction: "GeneralFunction", KindScatter: "Scatter", KindTag: "Tag", KindModule: "Module",
	KindCumulant: "Cumulant", KindDiscreteVar: "DiscreteVar", KindStoredCumulantVar: "StoredCumulantVar",
}

// AllKinds lists the node kinds of explicit circuits, in declaration order:
// every kind but those of SamplingKinds.
func AllKinds() []Kind {
	out := make([]Kind, 0, len(kindNames))
	for k := KindArray; k <= KindModule; k++ {
		out = append(out, k)
	}
	return out
}

// SamplingKinds lists the kinds of rust_circuit's sampling circuits
// (Cumulant, DiscreteVar, StoredCumulantVar), which Explicit removes.
func SamplingKinds() []Kind {
	return []Kind{KindCumulant, KindDiscreteVar, KindStoredCumulantVar}
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ParseKind reads a kind name as printed ("Einsum").
func ParseKind(s string) (Kind, bool) {
	for k, n := range kindNames {
		if n == s {
			return k, true
		}
	}
	return 0, false
}

// Hash identifies a circuit by content (see the package doc).
type Hash [32]byte

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Short is the first 12 hex digits, for messages.
func (h Hash) Short() string { return h.String()[:12] }

// Circuit is an immutable node. The concrete types are *Array, *Scalar,
// *Symbol, *Add, *Einsum, *Rearrange, *Index, *Concat, *GeneralFunction,
// *Scatter, *Tag, *Module, *Cumulant, *DiscreteVar and *StoredCumulantVar.
type Circuit interface {
	Kind() Kind
	// Name is "" for an unnamed node.
	Name() string
	// Shape must not be modified by the caller.
	Shape() []int
	Rank() int
	// Children must not be modified by the caller.
	Children() []Circuit
	Hash() Hash
	// NamedAxes maps axis positions to names given in the text format (nil if none).
	NamedAxes() map[int]string
	// AutonameDisabled reports the AD flag: this node's name was not derived automatically.
	AutonameDisabled() bool
	// WithChildren rebuilds the node over new children, keeping its own fields
	// and name. The shape is recomputed and checked.
	WithChildren(children []Circuit) (Circuit, error)
	// Rename returns the node with a new name (the same node if unchanged).
	Rename(name string) Circuit
	// WithInfo returns the node with new named axes and AD flag.
	WithInfo(namedAxes map[int]string, autonameDisabled bool) Circuit

	info() *base
	// writeFields hashes the node's own fields (not name, children or shape).
	writeFields(h *hasher)
	// shallowCopy returns a copy of the concrete node whose base can be edited.
	shallowCopy() Circuit
}

// base holds what every node has.
type base struct {
	name      string
	shape     []int
	children  []Circuit
	hash      Hash
	namedAxes map[int]string
	noAuto    bool
}

func (b *base) Name() string              { return b.name }
func (b *base) Shape() []int              { return b.shape }
func (b *base) Rank() int                 { return len(b.shape) }
func (b *base) Children() []Circuit       { return b.children }
func (b *base) Hash() Hash                { return b.hash }
func (b *base) NamedAxes() map[int]string { return b.namedAxes }
func (b *base) AutonameDisabled() bool    { return b.noAuto }
func (b *base) info() *base               { return b }

// hasher accumulates a node's hash input with unambiguous framing.
type hasher struct{ buf []byte }

func (h *hasher) str(s string) {
	h.buf = binary.LittleEndian.AppendUint64(h.buf, uint64(len(s)))
	h.buf = append(h.buf, s...)
}
func (h *hasher) int(v int) { h.buf = binary.LittleEndian.AppendUint64(h.buf, uint64(int64(v))) }
func (h *hasher) ints(vs []int) {
	h.int(len(vs))
	for _, v := range vs {
		h.int(v)
	}
}
func (h *hasher) float(v float64) {
	h.buf = binary.LittleEndian.AppendUint64(h.buf, math.Float64bits(v))
}
func (h *hasher) bool(v bool) {
	if v {
		h.buf = append(h.buf, 1)
	} else {
		h.buf = append(h.buf, 0)
	}
}

// finish computes the hash of a node whose base fields are set, applying
// autonaming first when the node is unnamed.
func finish(c Circuit) Circuit {
	b := c.info()
	if b.name == "" && !b.noAuto {
		b.name = autoName(c)
	}
	h := &hasher{}
	h.str(c.Kind().String())
	h.str(b.name)
	h.ints(b.shape)
	h.bool(b.noAuto)
	keys := make([]int, 0, len(b.namedAxes))
	for k := range b.namedAxes {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	h.int(len(keys))
	for _, k := range keys {
		h.int(k)
		h.str(b.namedAxes[k])
	}
	c.writeFields(h)
	h.int(len(b.children))
	for _, ch := range b.children {
		ch := ch.Hash()
		h.buf = append(h.buf, ch[:]...)
	}
	b.hash = sha256.Sum256(h.buf)
	return c
}

func renameNode(c Circuit, name string) Circuit {
	if c.Name() == name {
		return c
	}
	n := c.shallowCopy()
	n.info().name = name
	if name == "" {
		// An explicit empty name must not be replaced by an autoname.
		n.info().noAuto = true
	}
	return finish(n)
}

func withInfo(c Circuit, namedAxes map[int]string, noAuto bool) Circuit {
	n := c.shallowCopy()
	b := n.info()
	// Copy: the node is immutable, so it must not share the caller's map.
	// Entries the text format cannot carry (axes outside the rank, empty
	// names, names with separators) are dropped.
	var na map[int]string
	for k, v := range namedAxes {
		if k < 0 || k >= len(b.shape) || !ValidAxisName(v) {
			continue
		}
		if na == nil {
			na = make(map[int]string, len(namedAxes))
		}
		na[k] = v
	}
	b.namedAxes = na
	b.noAuto = noAuto
	return finish(n)
}

// ValidAxisName reports whether an axis name can be written in a shape
// ("[batch:8,4]"): non-empty, without whitespace, ':', ',', '[' or ']'.
func ValidAxisName(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(":,[]", r)
	}) < 0
}

// Equal reports whether two circuits are the same (hash equality).
func Equal(a, b Circuit) bool { return a.Hash() == b.Hash() }

// Label names a node in messages: its name if it has one, else kind and hash.
func Label(c Circuit) string {
	if c.Name() != "" {
		return fmt.Sprintf("%q (%s)", c.Name(), c.Kind())
	}
	return fmt.Sprintf("unnamed %s %s", c.Kind(), c.Hash().Short())
}

func nodeErr(kind Kind, name string, format string, args ...any) error {
	who := kind.String()
	if name != "" {
		who = fmt.Sprintf("%s %q", kind, name)
	}
	// one Errorf, so a %w in format wraps
	return fmt.Errorf("%s: "+format, append([]any{who}, args...)...)
}

func cloneInts(s []int) []int {
	out := make([]int, len(s))
	copy(out, s)
	return out
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = FormatSize(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Walk visits every distinct node reachable from roots once, children before
// parents (post-order), so shared subtrees are visited once.
func Walk(roots []Circuit, visit func(Circuit)) {
	seen := map[Hash]bool{}
	var rec func(c Circuit)
	rec = func(c Circuit) {
		if seen[c.Hash()] {
			return
		}
		seen[c.Hash()] = true
		for _, ch := range c.Children() {
			rec(ch)
		}
		visit(c)
	}
	for _, r := range roots {
		rec(r)
	}
}

// CountNodes is the number of distinct nodes reachable from c.
func CountNodes(c Circuit) int {
	n := 0
	Walk([]Circuit{c}, func(Circuit) { n++ })
	return n
}
