package ir

import (
	"fmt"
	"slices"

	"github.com/circopt/circopt/tensor"
)

// Builder appends values to a new program, computing and checking each
// value's type through the op table as it goes, so a built program is
// well-typed by construction (Verify additionally checks liveness).
type Builder struct {
	values  []*Value
	byID    map[int]*Value
	outputs []Output
	outName map[string]bool // names in outputs, so Output is O(1)
	consts  map[string]*tensor.Tensor
	nextID  int
}

// NewBuilder returns an empty builder; ids start at 0.
func NewBuilder() *Builder {
	return &Builder{byID: map[int]*Value{}, outName: map[string]bool{}, consts: map[string]*tensor.Tensor{}}
}

// Value returns a value added so far, or nil.
func (b *Builder) Value(id int) *Value { return b.byID[id] }

// TypeOf returns the type of a value added so far.
func (b *Builder) TypeOf(id int) (Type, bool) {
	v, ok := b.byID[id]
	if !ok {
		return Type{}, false
	}
	return v.Type, true
}

// Add appends op applied to operands with the result type computed by the
// op table. Ops whose type is not determined by their operands (input,
// const, scalar, reshape, broadcast, scatter, einsum with output-only
// labels) need AddTyped.
func (b *Builder) Add(op Op, attrs Attrs, operands ...int) (int, error) {
	return b.add(b.nextID, op, attrs, nil, operands)
}

// AddTyped appends op with a declared result type, which must equal what the
// op table computes.
func (b *Builder) AddTyped(op Op, attrs Attrs, t Type, operands ...int) (int, error) {
	return b.add(b.nextID, op, attrs, &t, operands)
}

func (b *Builder) add(id int, op Op, attrs Attrs, declared *Type, operands []int) (int, error) {
	d, ok := Lookup(op)
	if !ok {
		return -1, fmt.Errorf("unknown op %q", op)
	}
	if _, dup := b.byID[id]; dup {
		return -1, fmt.Errorf("%s: id %%%d is already defined", op, id)
	}
	in := make([]Type, len(operands))
	for i, o := range operands {
		v, ok := b.byID[o]
		if !ok {
			return -1, fmt.Errorf("%s: operand %%%d is not defined", op, o)
		}
		in[i] = v.Type
	}
	t, err := d.Check(attrs, in, declared)
	if err != nil {
		return -1, err
	}
	if op == OpConst {
		if err := b.checkConst(attrs.String("hash"), t); err != nil {
			return -1, err
		}
	}
	v := &Value{ID: id, Op: op, Operands: slices.Clone(operands), Attrs: attrs.clone(), Type: t}
	b.values = append(b.values, v)
	b.byID[id] = v
	b.nextID = max(b.nextID, id+1)
	return id, nil
}

func (b *Builder) checkConst(hash string, t Type) error {
	c, ok := b.consts[hash]
	if !ok {
		return fmt.Errorf("const: hash %q is not in the constant table", shortHash(hash))
	}
	if ct := (Type{DType: c.DType(), Shape: c.Shape()}); !ct.Equal(t) {
		return fmt.Errorf("const %s: declared %v but the tensor is %v", shortHash(hash), t, ct)
	}
	return nil
}

// Input appends a free input.
func (b *Builder) Input(name string, t Type) (int, error) {
	return b.AddTyped(OpInput, Attrs{"name": name}, t)
}

// Scalar appends a constant fill of type t.
func (b *Builder) Scalar(v float64, t Type) (int, error) {
	return b.AddTyped(OpScalar, Attrs{"value": v}, t)
}

// Const registers t in the constant table under its content hash and
// appends a const value for it.
func (b *Builder) Const(t *tensor.Tensor) (int, error) {
	if t == nil {
		return -1, fmt.Errorf("const: nil tensor")
	}
	h := tensor.ContentHashHex(t)
	b.consts[h] = t
	return b.AddTyped(OpConst, Attrs{"hash": h}, Type{DType: t.DType(), Shape: t.Shape()})
}

// ConstHashed is Const for a tensor whose content hash the caller already
// has (a circuit Array's): hashing a large weight again is most of a big
// model's compile time. hash must be tensor.ContentHashHex(t).
func (b *Builder) ConstHashed(t *tensor.Tensor, hash string) (int, error) {
	if t == nil {
		return -1, fmt.Errorf("const: nil tensor")
	}
	b.consts[hash] = t
	return b.AddTyped(OpConst, Attrs{"hash": hash}, Type{DType: t.DType(), Shape: t.Shape()})
}

// AddConstTensor registers t under hash without appending a value (for
// copying constant tables and for parsers that resolve prefixes).
func (b *Builder) AddConstTensor(hash string, t *tensor.Tensor) { b.consts[hash] = t }

// ConstTensor returns the tensor of a const value added so far.
func (b *Builder) ConstTensor(id int) (*tensor.Tensor, bool) {
	v := b.byID[id]
	if v == nil || v.Op != OpConst {
		return nil, false
	}
	t, ok := b.consts[v.Attrs.String("hash")]
	return t, ok
}

// Copy re-adds v's op, attributes and declared type on new operands: the
// usual way a pass keeps a value while renaming its inputs.
func (b *Builder) Copy(v *Value, operands ...int) (int, error) {
	return b.AddTyped(v.Op, v.Attrs, v.Type, operands...)
}

// Output names a value as a program output.
func (b *Builder) Output(name string, id int) error {
	if _, ok := b.byID[id]; !ok {
		return fmt.Errorf("output %q: value %%%d is not defined", name, id)
	}
	if b.outName[name] {
		return fmt.Errorf("output %q is defined twice", name)
	}
	b.outName[name] = true
	b.outputs = append(b.outputs, Output{Name: name, ID: id})
	return nil
}

// Build returns the program. Only constants some const value references are
// kept. The builder must not be used afterwards.
func (b *Builder) Build() *Program {
	consts := map[string]*tensor.Tensor{}
	for _, v := range b.values {
		if v.Op == OpConst {
			h := v.Attrs.String("hash")
			consts[h] = b.consts[h]
		}
	}
	return &Program{Values: b.values, Outputs: b.outputs, Consts: consts}
}

// shortHash is the printed form of a constant's hash: its first 16 hex
// digits, enough to be unique in any realistic store.
func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}
