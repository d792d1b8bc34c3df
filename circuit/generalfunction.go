package circuit

import (
	"math"
	"sort"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// FunctionSpec describes one GeneralFunction: its arity, how its shape
// follows from its input, and its elementwise body when it has one.
type FunctionSpec struct {
	Name string
	// Arity is the number of inputs (1, or 2 for pow).
	Arity int
	// Elementwise is the scalar function for elementwise specs (nil otherwise).
	Elementwise func(float64) float64
	// RemovesLastDim is true for reductions over the last axis (max, min, last_dim_size).
	RemovesLastDim bool
	// LastDim is true when the value at a position depends on the whole last
	// axis (softmax, log_softmax and the reductions); leading axes are batch axes.
	LastDim bool
	// GenIndex is set for rust_circuit's gen_index family (genindex.go),
	// whose names carry their parameters.
	GenIndex *GenIndexSpec
}

func gelu(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

// geluNew is GPT-2's gelu_new, ½x(1+tanh u) with u = √(2/π)(x+0.044715x³),
// computed as the same function x/(1+e^(-2u)): where tanh u ≈ -1 (x ≲ -5.5)
// 1+tanh u cancels and keeps few correct bits; this keeps them all.
func geluNew(x float64) float64 {
	u := math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x)
	return x / (1 + math.Exp(-2*u))
}
func logExpP1(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

var functionSpecs = map[string]*FunctionSpec{}

func addElementwise(name string, f func(float64) float64) {
	functionSpecs[name] = &FunctionSpec{Name: name, Arity: 1, Elementwise: f}
}

func init() {
	addElementwise("relu", func(x float64) float64 {
		if x > 0 || x != x { // NaN propagates, as in PyTorch
			return x
		}
		return 0
	})
	addElementwise("gelu", gelu)
	addElementwise("gelu_new", geluNew)
	addElementwise("sigmoid", func(x float64) float64 { return 1 / (1 + math.Exp(-x)) })
	addElementwise("tanh", math.Tanh)
	addElementwise("exp", math.Exp)
	addElementwise("log", math.Log)
	addElementwise("sin", math.Sin)
	addElementwise("cos", math.Cos)
	addElementwise("rsqrt", func(x float64) float64 { return 1 / math.Sqrt(x) })
	addElementwise("reciprocal", func(x float64) float64 { return 1 / x })
	addElementwise("abs", math.Abs)
	addElementwise("step", func(x float64) float64 {
		if x > 0 {
			return 1
		}
		return 0
	})
	addElementwise("log_exp_p_1", logExpP1)
	addElementwise("gaussian_pdf", func(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) })
	addElementwise("gaussian_cdf", func(x float64) float64 { return 0.5 * (1 + math.Erf(x/math.Sqrt2)) })
	addElementwise("logit", func(x float64) float64 { return math.Log(x / (1 - x)) })
	for _, n := range []string{"softmax", "log_softmax"} {
		functionSpecs[n] = &FunctionSpec{Name: n, Arity: 1, LastDim: true}
	}
	for _, n := range []string{"min", "max", "last_dim_size"} {
		functionSpecs[n] = &FunctionSpec{Name: n, Arity: 1, LastDim: true, RemovesLastDim: true}
	}
	functionSpecs["pow"] = &FunctionSpec{Name: "pow", Arity: 2}
}

// LookupFunction returns a copy of the spec of a GeneralFunction by name.
func LookupFunction(name string) (FunctionSpec, bool) {
	s, ok := lookupSpec(name)
	if !ok {
		return FunctionSpec{}, false
	}
	return *s, true
}

// lookupSpec finds a spec by name: a fixed one or a gen_index name.
func lookupSpec(name string) (*FunctionSpec, bool) {
	if s, ok := functionSpecs[name]; ok {
		return s, true
	}
	return genIndexSpec(name)
}

// FunctionNames lists every GeneralFunction spec name, sorted.
func FunctionNames() []string {
	out := make([]string, 0, len(functionSpecs))
	for n := range functionSpecs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// GeneralFunction applies a named function (see FunctionNames) to its inputs.
type GeneralFunction struct {
	base
	Spec string
}

// NewGeneralFunction applies spec to children.
func NewGeneralFunction(name, spec string, children ...Circuit) (*GeneralFunction, error) {
	fs, ok := lookupSpec(spec)
	if !ok {
		return nil, nodeErr(KindGeneralFunction, name, "unknown function %q (known: %s)", spec, strings.Join(FunctionNames(), ", "))
	}
	if len(children) != fs.Arity {
		return nil, nodeErr(KindGeneralFunction, name, "%s takes %d input(s), got %d", spec, fs.Arity, len(children))
	}
	for i, c := range children {
		if c == nil {
			return nil, nodeErr(KindGeneralFunction, name, "input %d is nil", i)
		}
	}
	shape := cloneInts(children[0].Shape())
	switch {
	case fs.GenIndex != nil:
		s, err := checkGenIndex(name, *fs.GenIndex, children[0], children[1])
		if err != nil {
			return nil, err
		}
		shape = s
	case fs.Arity == 2:
		s, err := tensor.BroadcastShapes(children[0].Shape(), children[1].Shape())
		if err != nil {
			return nil, nodeErr(KindGeneralFunction, name, "%s inputs are not broadcastable: %s", spec, childShapes(children))
		}
		shape = s
	case fs.LastDim && len(shape) == 0:
		return nil, nodeErr(KindGeneralFunction, name, "%s needs an input of rank at least 1", spec)
	case (spec == "min" || spec == "max") && shape[len(shape)-1] == 0:
		// the extreme of no values is undefined: refuse it here rather
		// than build a node that can never be evaluated
		return nil, nodeErr(KindGeneralFunction, name, "%s over an empty last axis (input shape %s)", spec, shapeString(shape))
	case fs.RemovesLastDim:
		shape = shape[:len(shape)-1]
	}
	g := &GeneralFunction{base: base{name: name, shape: shape, children: append([]Circuit(nil), children...)}, Spec: spec}
	return finish(g).(*GeneralFunction), nil
}

// FunctionSpec returns the node's spec.
func (g *GeneralFunction) FunctionSpec() *FunctionSpec {
	fs, _ := lookupSpec(g.Spec)
	return fs
}

func (*GeneralFunction) Kind() Kind                                    { return KindGeneralFunction }
func (g *GeneralFunction) writeFields(h *hasher)                       { h.str(g.Spec) }
func (g *GeneralFunction) shallowCopy() Circuit                        { x := *g; return &x }
func (g *GeneralFunction) Rename(name string) Circuit                  { return renameNode(g, name) }
func (g *GeneralFunction) WithInfo(na map[int]string, ad bool) Circuit { return withInfo(g, na, ad) }
func (g *GeneralFunction) WithChildren(cs []Circuit) (Circuit, error) {
	n, err := NewGeneralFunction(g.name, g.Spec, cs...)
	if err != nil {
		return nil, err
	}
	return keepInfo(g, n), nil
}
