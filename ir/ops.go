package ir

import (
	"fmt"
	"sort"
)

// Op names. Each has exactly one row in the op table below.
const (
	OpInput  Op = "input"  // free input bound at run time; attrs: name
	OpConst  Op = "const"  // tensor from the constant table; attrs: hash
	OpScalar Op = "scalar" // constant fill of the declared type; attrs: value

	OpAdd    Op = "add"    // sum of ≥1 operands, numpy broadcasting
	OpMul    Op = "mul"    // product of two operands, numpy broadcasting
	OpPow    Op = "pow"    // x**y, numpy broadcasting
	OpEinsum Op = "einsum" // attrs: spec; ≥0 operands

	OpReshape   Op = "reshape"   // to the declared shape, same element count
	OpPermute   Op = "permute"   // attrs: perm; result axis i is operand axis perm[i]
	OpBroadcast Op = "broadcast" // numpy broadcast to the declared shape
	OpSlice     Op = "slice"     // attrs: starts, stops (one per axis, no step)
	OpSelect    Op = "select"    // attrs: axis, index; drops the axis
	OpGather    Op = "gather"    // attrs: axis; operands data and 1-D i64 index
	OpConcat    Op = "concat"    // attrs: axis; ≥1 operands
	OpScatter   Op = "scatter"   // attrs: starts; operand written into zeros of the declared shape

	OpRelu        Op = "relu"
	OpGelu        Op = "gelu"     // x·Φ(x), erf form
	OpGeluNew     Op = "gelu_new" // tanh approximation
	OpSigmoid     Op = "sigmoid"
	OpTanh        Op = "tanh"
	OpExp         Op = "exp"
	OpLog         Op = "log"
	OpSin         Op = "sin"
	OpCos         Op = "cos"
	OpRsqrt       Op = "rsqrt"
	OpReciprocal  Op = "reciprocal"
	OpAbs         Op = "abs"
	OpStep        Op = "step" // x > 0 ? 1 : 0
	OpLogExpP1    Op = "log_exp_p_1"
	OpGaussianPDF Op = "gaussian_pdf"
	OpGaussianCDF Op = "gaussian_cdf"
	OpLogit       Op = "logit" // log(x/(1-x))
	OpNeg         Op = "neg"
	OpScale       Op = "scale" // attrs: factor; x·factor

	OpSoftmax     Op = "softmax"       // over the last axis
	OpLogSoftmax  Op = "log_softmax"   // over the last axis
	OpReduceMax   Op = "reduce_max"    // removes the last axis
	OpReduceMin   Op = "reduce_min"    // removes the last axis
	OpLastDimSize Op = "last_dim_size" // removes the last axis; every element is its size
	OpSum         Op = "sum"           // attrs: axes; sums and drops them
)

// AttrKind is the Go type an attribute holds.
type AttrKind uint8

const (
	AttrString AttrKind = iota + 1 // string, printed with %q
	AttrInt                        // int
	AttrInts                       // []int, printed [1,0]
	AttrFloat                      // float64, printed with strconv 'g' -1
)

func (k AttrKind) String() string {
	switch k {
	case AttrString:
		return "string"
	case AttrInt:
		return "int"
	case AttrInts:
		return "int list"
	case AttrFloat:
		return "float"
	}
	return "unknown"
}

// AttrSpec is one attribute of an op's schema. Attributes print positionally
// in schema order.
type AttrSpec struct {
	Name string
	Kind AttrKind
}

// ShapeFunc computes a value's type from its attributes and operand types.
// declared is the type the value claims (nil when the caller has none); ops
// whose result is not determined by operands (reshape, broadcast, scatter,
// input, const, scalar, einsum output-only labels) read it, and return an
// error when they need it and it is nil. Attributes and arity have already
// been checked against the schema.
type ShapeFunc func(a Attrs, in []Type, declared *Type) (Type, error)

// FLOPFunc estimates floating-point operations for one execution.
type FLOPFunc func(a Attrs, in []Type, out Type) int64

// OpDef is one row of the op table.
type OpDef struct {
	Name     Op
	Arity    int  // exact operand count, or the minimum when Variadic
	Variadic bool // accepts Arity or more operands
	Attrs    []AttrSpec
	// Elementwise: out[i] depends only on the operands' (broadcast) element i.
	Elementwise bool
	// Batchwise: out[b,...] depends only on operands' [b,...] along axis 0,
	// so f(x[perm]) = f(x)[perm]. For last-axis ops (softmax, reduce_*,
	// last_dim_size) this holds only when the operand has rank ≥ 2.
	Batchwise bool
	// NeedsDeclared: the shape function cannot work without a declared type.
	NeedsDeclared bool
	Shape         ShapeFunc
	FLOPs         FLOPFunc
	Doc           string
}

var unaryDocs = map[Op]string{
	OpRelu: "max(x,0)", OpGelu: "x·Φ(x)", OpGeluNew: "0.5x(1+tanh(√(2/π)(x+0.044715x³)))",
	OpSigmoid: "1/(1+e^-x)", OpTanh: "tanh x", OpExp: "e^x", OpLog: "ln x", OpSin: "sin x",
	OpCos: "cos x", OpRsqrt: "1/√x", OpReciprocal: "1/x", OpAbs: "|x|", OpStep: "x>0 ? 1 : 0",
	OpLogExpP1: "log(1+e^x)", OpGaussianPDF: "standard normal density", OpGaussianCDF: "Φ(x)",
	OpLogit: "log(x/(1-x))", OpNeg: "-x",
}

// unaryCost is a rough FLOP count per element; transcendental functions
// count more than an add so estimates rank programs sensibly.
var unaryCost = map[Op]int64{
	OpRelu: 1, OpGelu: 10, OpGeluNew: 10, OpSigmoid: 4, OpTanh: 4, OpExp: 4, OpLog: 4,
	OpSin: 4, OpCos: 4, OpRsqrt: 2, OpReciprocal: 1, OpAbs: 1, OpStep: 1, OpLogExpP1: 8,
	OpGaussianPDF: 6, OpGaussianCDF: 10, OpLogit: 6, OpNeg: 1,
}

// UnaryOps lists the elementwise one-operand function ops without
// attributes, in table order.
var UnaryOps = []Op{OpRelu, OpGelu, OpGeluNew, OpSigmoid, OpTanh, OpExp, OpLog, OpSin, OpCos,
	OpRsqrt, OpReciprocal, OpAbs, OpStep, OpLogExpP1, OpGaussianPDF, OpGaussianCDF, OpLogit, OpNeg}

var opTable = buildOpTable()

func buildOpTable() map[Op]*OpDef {
	rows := []*OpDef{
		{Name: OpInput, Attrs: []AttrSpec{{"name", AttrString}}, NeedsDeclared: true, Shape: shapeDeclared, FLOPs: zeroFLOPs, Doc: "free input bound at run time"},
		{Name: OpConst, Attrs: []AttrSpec{{"hash", AttrString}}, NeedsDeclared: true, Shape: shapeDeclared, FLOPs: zeroFLOPs, Doc: "tensor from the constant table"},
		{Name: OpScalar, Attrs: []AttrSpec{{"value", AttrFloat}}, NeedsDeclared: true, Shape: shapeDeclared, FLOPs: zeroFLOPs, Doc: "constant fill"},

		{Name: OpAdd, Arity: 1, Variadic: true, Elementwise: true, Batchwise: true, Shape: shapeBroadcastOperands, FLOPs: flopsAdd, Doc: "sum, numpy broadcasting"},
		{Name: OpMul, Arity: 2, Elementwise: true, Batchwise: true, Shape: shapeBroadcastOperands, FLOPs: flopsPerOutput(1), Doc: "product, numpy broadcasting"},
		{Name: OpPow, Arity: 2, Elementwise: true, Batchwise: true, Shape: shapeBroadcastOperands, FLOPs: flopsPerOutput(8), Doc: "x**y, numpy broadcasting"},
		{Name: OpEinsum, Arity: 0, Variadic: true, Attrs: []AttrSpec{{"spec", AttrString}}, Shape: shapeEinsum, FLOPs: flopsEinsum, Doc: "einsum; repeated input labels take diagonals, repeated output labels embed"},

		{Name: OpReshape, Arity: 1, NeedsDeclared: true, Shape: shapeReshape, FLOPs: zeroFLOPs, Doc: "reshape to the declared shape"},
		{Name: OpPermute, Arity: 1, Attrs: []AttrSpec{{"perm", AttrInts}}, Shape: shapePermute, FLOPs: zeroFLOPs, Doc: "result axis i is operand axis perm[i]"},
		{Name: OpBroadcast, Arity: 1, NeedsDeclared: true, Shape: shapeBroadcastTo, FLOPs: zeroFLOPs, Doc: "numpy broadcast to the declared shape"},
		{Name: OpSlice, Arity: 1, Attrs: []AttrSpec{{"starts", AttrInts}, {"stops", AttrInts}}, Shape: shapeSlice, FLOPs: zeroFLOPs, Doc: "[starts:stops) on every axis"},
		{Name: OpSelect, Arity: 1, Attrs: []AttrSpec{{"axis", AttrInt}, {"index", AttrInt}}, Shape: shapeSelect, FLOPs: zeroFLOPs, Doc: "fix axis at index, dropping it"},
		{Name: OpGather, Arity: 2, Attrs: []AttrSpec{{"axis", AttrInt}}, Shape: shapeGather, FLOPs: zeroFLOPs, Doc: "take positions index (1-D i64) along axis"},
		{Name: OpConcat, Arity: 1, Variadic: true, Attrs: []AttrSpec{{"axis", AttrInt}}, Shape: shapeConcat, FLOPs: zeroFLOPs, Doc: "concatenate along axis"},
		{Name: OpScatter, Arity: 1, Attrs: []AttrSpec{{"starts", AttrInts}}, NeedsDeclared: true, Shape: shapeScatter, FLOPs: zeroFLOPs, Doc: "operand written at starts into zeros of the declared shape"},

		{Name: OpScale, Arity: 1, Attrs: []AttrSpec{{"factor", AttrFloat}}, Elementwise: true, Batchwise: true, Shape: shapeSameFloat, FLOPs: flopsPerOutput(1), Doc: "x·factor"},
		{Name: OpSoftmax, Arity: 1, Batchwise: true, Shape: shapeLastAxisKeep, FLOPs: flopsPerInput(6), Doc: "softmax over the last axis"},
		{Name: OpLogSoftmax, Arity: 1, Batchwise: true, Shape: shapeLastAxisKeep, FLOPs: flopsPerInput(6), Doc: "log softmax over the last axis"},
		{Name: OpReduceMax, Arity: 1, Batchwise: true, Shape: shapeLastAxisDrop, FLOPs: flopsPerInput(1), Doc: "max over the last axis"},
		{Name: OpReduceMin, Arity: 1, Batchwise: true, Shape: shapeLastAxisDrop, FLOPs: flopsPerInput(1), Doc: "min over the last axis"},
		{Name: OpLastDimSize, Arity: 1, Batchwise: true, Shape: shapeLastAxisDrop, FLOPs: zeroFLOPs, Doc: "size of the last axis as a fill"},
		{Name: OpSum, Arity: 1, Attrs: []AttrSpec{{"axes", AttrInts}}, Shape: shapeSum, FLOPs: flopsPerInput(1), Doc: "sum over axes, dropping them"},
	}
	for _, u := range UnaryOps {
		rows = append(rows, &OpDef{Name: u, Arity: 1, Elementwise: true, Batchwise: true, Shape: shapeSameFloat, FLOPs: flopsPerOutput(unaryCost[u]), Doc: unaryDocs[u]})
	}
	m := make(map[Op]*OpDef, len(rows))
	for _, r := range rows {
		if _, dup := m[r.Name]; dup {
			panic(fmt.Sprintf("ir: op %q defined twice in the op table", r.Name)) // programming error at init
		}
		m[r.Name] = r
	}
	return m
}

// Lookup returns the table row for op.
func Lookup(op Op) (*OpDef, bool) {
	d, ok := opTable[op]
	return d, ok
}

// Ops returns every op name, sorted.
func Ops() []Op {
	out := make([]Op, 0, len(opTable))
	for k := range opTable {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// checkArity reports a wrong operand count for d.
func (d *OpDef) checkArity(n int) error {
	if d.Variadic {
		if n < d.Arity {
			return fmt.Errorf("%s needs at least %d operands, got %d", d.Name, d.Arity, n)
		}
		return nil
	}
	if n != d.Arity {
		return fmt.Errorf("%s needs %d operands, got %d", d.Name, d.Arity, n)
	}
	return nil
}

// checkAttrs reports missing, extra or mistyped attributes.
func (d *OpDef) checkAttrs(a Attrs) []error {
	var errs []error
	known := map[string]bool{}
	for _, s := range d.Attrs {
		known[s.Name] = true
		v, ok := a[s.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: missing attribute %q (%v)", d.Name, s.Name, s.Kind))
			continue
		}
		good := false
		switch s.Kind {
		case AttrString:
			_, good = v.(string)
		case AttrInt:
			_, good = v.(int)
		case AttrInts:
			_, good = v.([]int)
		case AttrFloat:
			_, good = v.(float64)
		}
		if !good {
			errs = append(errs, fmt.Errorf("%s: attribute %q must be %v, got %T", d.Name, s.Name, s.Kind, v))
		}
	}
	var extra []string
	for k := range a {
		if !known[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		errs = append(errs, fmt.Errorf("%s: unknown attribute %q", d.Name, k))
	}
	return errs
}

// Check validates arity and attributes and returns the computed result
// type. It is what Builder and Verify use.
func (d *OpDef) Check(a Attrs, in []Type, declared *Type) (Type, error) {
	if err := d.checkArity(len(in)); err != nil {
		return Type{}, err
	}
	if errs := d.checkAttrs(a); len(errs) > 0 {
		return Type{}, errs[0]
	}
	if d.NeedsDeclared && declared == nil {
		return Type{}, fmt.Errorf("%s needs a declared result type", d.Name)
	}
	t, err := d.Shape(a, in, declared)
	if err != nil {
		return Type{}, fmt.Errorf("%s: %w", d.Name, err)
	}
	if declared != nil && !t.Equal(*declared) {
		return Type{}, fmt.Errorf("%s: declared type %v but operands give %v", d.Name, *declared, t)
	}
	return t, nil
}

// FLOPsOf estimates the FLOPs of v in p (0 for unknown ops or operands).
func FLOPsOf(p *Program, v *Value) int64 {
	d, ok := Lookup(v.Op)
	if !ok {
		return 0
	}
	in := make([]Type, len(v.Operands))
	for i, o := range v.Operands {
		ov := p.Value(o)
		if ov == nil {
			return 0
		}
		in[i] = ov.Type
	}
	return d.FLOPs(v.Attrs, in, v.Type)
}
