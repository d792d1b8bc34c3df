package ir

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/circopt/circopt/tensor"
)

// Op names an operation; its meaning is its row in the op table.
type Op string

// Type is a value's static type: element dtype and shape.
type Type struct {
	DType tensor.DType
	Shape []int
}

// String prints a type as f32[10,3] (a scalar is f32[]).
func (t Type) String() string {
	var sb strings.Builder
	sb.WriteString(dtypeName(t.DType))
	writeInts(&sb, t.Shape)
	return sb.String()
}

// Equal reports whether two types have the same dtype and shape.
func (t Type) Equal(u Type) bool { return t.DType == u.DType && slices.Equal(t.Shape, u.Shape) }

// NumElements is the product of the shape (1 for a scalar).
func (t Type) NumElements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= int64(d)
	}
	return n
}

// Bytes is the storage a dense tensor of this type needs.
func (t Type) Bytes() int64 { return t.NumElements() * int64(t.DType.Size()) }

func dtypeName(d tensor.DType) string {
	switch d {
	case tensor.Float32:
		return "f32"
	case tensor.Float64:
		return "f64"
	case tensor.Int64:
		return "i64"
	}
	return fmt.Sprintf("dtype%d", uint8(d))
}

// Attrs holds a value's attributes by schema name. Values are string, int,
// []int or float64 according to the op's schema.
type Attrs map[string]any

// String returns the string attribute name (empty if absent or mistyped).
func (a Attrs) String(name string) string { s, _ := a[name].(string); return s }

// Int returns the int attribute name (0 if absent or mistyped).
func (a Attrs) Int(name string) int { n, _ := a[name].(int); return n }

// Ints returns the []int attribute name (nil if absent or mistyped).
func (a Attrs) Ints(name string) []int { n, _ := a[name].([]int); return n }

// Float returns the float64 attribute name (0 if absent or mistyped).
func (a Attrs) Float(name string) float64 { f, _ := a[name].(float64); return f }

// clone copies the map and any int slices so a Value never aliases its
// caller's attributes.
func (a Attrs) clone() Attrs {
	if a == nil {
		return nil
	}
	out := make(Attrs, len(a))
	for k, v := range a {
		if s, ok := v.([]int); ok {
			v = slices.Clone(s)
		}
		out[k] = v
	}
	return out
}

// Value is one SSA definition. Treat it as read-only: passes make new values
// through a Builder instead of editing existing ones.
type Value struct {
	ID       int
	Op       Op
	Operands []int
	Attrs    Attrs
	Type     Type
}

// Shape is v.Type.Shape.
func (v *Value) Shape() []int { return v.Type.Shape }

// DType is v.Type.DType.
func (v *Value) DType() tensor.DType { return v.Type.DType }

// Output names a value the program returns.
type Output struct {
	Name string
	ID   int
}

// Program is a list of values in definition-before-use order, named outputs,
// and the constant table keyed by the hash that const values carry (the full
// content hash when known; see Parse for prefixes). Do not modify a Program
// after calling Value, Position, Users, NumUses or IsOutput: they cache an index.
// Build programs with a Builder or as a literal, then treat them as frozen.
type Program struct {
	Values  []*Value
	Outputs []Output
	Consts  map[string]*tensor.Tensor

	once  sync.Once
	index map[int]int   // id -> position in Values (first occurrence)
	users map[int][]int // id -> ids of values using it, in program order, one entry per use
	outs  map[int]int   // id -> number of outputs naming it
}

func (p *Program) buildIndex() {
	p.once.Do(func() {
		p.index = make(map[int]int, len(p.Values))
		p.users = make(map[int][]int)
		for i, v := range p.Values {
			if _, dup := p.index[v.ID]; !dup {
				p.index[v.ID] = i
			}
			for _, o := range v.Operands {
				p.users[o] = append(p.users[o], v.ID)
			}
		}
		p.outs = make(map[int]int)
		for _, o := range p.Outputs {
			p.outs[o.ID]++
		}
	})
}

// Value returns the value with id, or nil if there is none.
func (p *Program) Value(id int) *Value {
	p.buildIndex()
	i, ok := p.index[id]
	if !ok {
		return nil
	}
	return p.Values[i]
}

// Position returns the index in p.Values of the value with id, or -1.
func (p *Program) Position(id int) int {
	p.buildIndex()
	i, ok := p.index[id]
	if !ok {
		return -1
	}
	return i
}

// Users returns the ids of the values that use id as an operand, in program
// order; a value using id twice appears twice. Outputs are not users (see
// IsOutput). The result must not be modified.
func (p *Program) Users(id int) []int {
	p.buildIndex()
	return p.users[id]
}

// NumUses counts operand uses of id plus outputs naming it.
func (p *Program) NumUses(id int) int {
	return len(p.Users(id)) + p.outs[id] // Users built the index
}

// IsOutput reports whether some output names id.
func (p *Program) IsOutput(id int) bool {
	p.buildIndex()
	return p.outs[id] > 0
}

// Inputs returns the input values in program order.
func (p *Program) Inputs() []*Value {
	var out []*Value
	for _, v := range p.Values {
		if v.Op == OpInput {
			out = append(out, v)
		}
	}
	return out
}

func writeInts(sb *strings.Builder, xs []int) {
	sb.WriteByte('[')
	for i, x := range xs {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(sb, "%d", x)
	}
	sb.WriteByte(']')
}
