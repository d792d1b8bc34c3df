package circuit

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The node kinds of rust_circuit's sampling circuits: random variables
// (DiscreteVar, StoredCumulantVar) and their joint cumulants (Cumulant).
// None of them has an explicit value of its own; Explicit gives the
// deterministic circuit that Evaluate and the compiler run instead.

// Cumulant is the joint cumulant of its children, an outer-product-shaped
// constant: its shape is the children's shapes concatenated.
type Cumulant struct{ base }

// NewCumulant builds the joint cumulant of nodes (order len(nodes)).
func NewCumulant(name string, nodes ...Circuit) (*Cumulant, error) {
	var shape []int
	for i, c := range nodes {
		if c == nil {
			return nil, nodeErr(KindCumulant, name, "child %d is nil", i)
		}
		shape = append(shape, c.Shape()...)
	}
	if shape == nil {
		shape = []int{}
	}
	k := &Cumulant{base: base{name: name, shape: shape, children: slices.Clone(nodes)}}
	return finish(k).(*Cumulant), nil
}

// Order is the cumulant's order, its number of children.
func (k *Cumulant) Order() int { return len(k.children) }

func (*Cumulant) Kind() Kind                                    { return KindCumulant }
func (*Cumulant) writeFields(*hasher)                           {}
func (k *Cumulant) shallowCopy() Circuit                        { x := *k; return &x }
func (k *Cumulant) Rename(name string) Circuit                  { return renameNode(k, name) }
func (k *Cumulant) WithInfo(na map[int]string, ad bool) Circuit { return withInfo(k, na, ad) }
func (k *Cumulant) WithChildren(cs []Circuit) (Circuit, error) {
	n, err := NewCumulant(k.name, cs...)
	if err != nil {
		return nil, err
	}
	return keepInfo(k, n), nil
}

// DiscreteVar is a random variable over a finite set of samples: it takes
// values[i] (the first axis of values indexes the samples) with probability
// probs[i]. DiscreteVars with the same probs-and-group circuit are sampled
// together (one index for all of them); distinct groups are independent.
type DiscreteVar struct{ base }

// NewDiscreteVar builds a variable over values ([samples, ...]) with
// probsAndGroup ([samples]); its shape is values' shape without the first axis.
func NewDiscreteVar(name string, values, probsAndGroup Circuit) (*DiscreteVar, error) {
	if values == nil || probsAndGroup == nil {
		return nil, nodeErr(KindDiscreteVar, name, "nil child")
	}
	if probsAndGroup.Rank() != 1 {
		return nil, nodeErr(KindDiscreteVar, name, "probs and group %s must be 1-d, got shape %s", Label(probsAndGroup), shapeString(probsAndGroup.Shape()))
	}
	if values.Rank() < 1 {
		return nil, nodeErr(KindDiscreteVar, name, "values %s have no samples axis (rank 0)", Label(values))
	}
	if values.Shape()[0] != probsAndGroup.Shape()[0] {
		return nil, nodeErr(KindDiscreteVar, name, "values %s have %s samples but probs and group %s has %s", Label(values), FormatSize(values.Shape()[0]), Label(probsAndGroup), FormatSize(probsAndGroup.Shape()[0]))
	}
	v := &DiscreteVar{base: base{name: name, shape: cloneInts(values.Shape()[1:]), children: []Circuit{values, probsAndGroup}}}
	return finish(v).(*DiscreteVar), nil
}

// NewUniformDiscreteVar gives values a fresh group of equal probabilities
// (a Tag with a new uuid over Scalar 1/n), as rust_circuit's new_uniform.
func NewUniformDiscreteVar(name string, values Circuit) (*DiscreteVar, error) {
	if values == nil || values.Rank() < 1 {
		return nil, nodeErr(KindDiscreteVar, name, "values need a samples axis")
	}
	n := values.Shape()[0]
	if n <= 0 {
		return nil, nodeErr(KindDiscreteVar, name, "values have %s samples, need a positive number", FormatSize(n))
	}
	p, err := NewScalar(1/float64(n), []int{n}, "")
	if err != nil {
		return nil, err
	}
	g, err := NewTag("", "", p)
	if err != nil {
		return nil, err
	}
	return NewDiscreteVar(name, values, g)
}

// Values is the [samples, ...] circuit.
func (v *DiscreteVar) Values() Circuit { return v.children[0] }

// ProbsAndGroup is the [samples] circuit of probabilities, whose identity is the group.
func (v *DiscreteVar) ProbsAndGroup() Circuit { return v.children[1] }

func (*DiscreteVar) Kind() Kind                                    { return KindDiscreteVar }
func (*DiscreteVar) writeFields(*hasher)                           {}
func (v *DiscreteVar) shallowCopy() Circuit                        { x := *v; return &x }
func (v *DiscreteVar) Rename(name string) Circuit                  { return renameNode(v, name) }
func (v *DiscreteVar) WithInfo(na map[int]string, ad bool) Circuit { return withInfo(v, na, ad) }
func (v *DiscreteVar) WithChildren(cs []Circuit) (Circuit, error) {
	if len(cs) != 2 {
		return nil, nodeErr(KindDiscreteVar, v.name, "takes two children, got %d", len(cs))
	}
	n, err := NewDiscreteVar(v.name, cs[0], cs[1])
	if err != nil {
		return nil, err
	}
	return keepInfo(v, n), nil
}

// StoredCumulantVar is a random variable given by its cumulants: child i is
// the cumulant of order Orders[i], of shape the variable's shape repeated
// that many times. The mean (order 1) and variance (order 2) are required.
type StoredCumulantVar struct {
	base
	Orders []int // ascending, each >= 1
	UUID   string
}

// NewStoredCumulantVar builds the variable from its cumulants by order; an
// empty uuid draws a fresh one.
func NewStoredCumulantVar(name string, cumulants map[int]Circuit, uuid string) (*StoredCumulantVar, error) {
	if cumulants[1] == nil || cumulants[2] == nil {
		return nil, nodeErr(KindStoredCumulantVar, name, "needs the mean (order 1) and the variance (order 2)")
	}
	orders := make([]int, 0, len(cumulants))
	for k := range cumulants {
		if k < 1 {
			return nil, nodeErr(KindStoredCumulantVar, name, "invalid cumulant order %d", k)
		}
		orders = append(orders, k)
	}
	slices.Sort(orders)
	base0 := cumulants[1].Shape()
	kids := make([]Circuit, len(orders))
	for i, k := range orders {
		c := cumulants[k]
		if c == nil {
			return nil, nodeErr(KindStoredCumulantVar, name, "cumulant %d is nil", k)
		}
		var want []int
		for range k {
			want = append(want, base0...)
		}
		if !slices.Equal(c.Shape(), want) {
			return nil, nodeErr(KindStoredCumulantVar, name, "cumulant %d %s has shape %s, want %s (the mean's shape %d times)", k, Label(c), shapeString(c.Shape()), shapeString(want), k)
		}
		kids[i] = c
	}
	if uuid == "" {
		uuid = NewUUID()
	}
	u, err := ParseUUID(uuid)
	if err != nil {
		return nil, nodeErr(KindStoredCumulantVar, name, "%w", err)
	}
	s := &StoredCumulantVar{base: base{name: name, shape: cloneInts(base0), children: kids}, Orders: orders, UUID: u}
	return finish(s).(*StoredCumulantVar), nil
}

// Cumulant returns the stored cumulant of order k, or nil.
func (s *StoredCumulantVar) Cumulant(k int) Circuit {
	if i := slices.Index(s.Orders, k); i >= 0 {
		return s.children[i]
	}
	return nil
}

// extraText is the text after the kind, as rust_circuit prints it: "1, 2|uuid".
func (s *StoredCumulantVar) extraText() string {
	parts := make([]string, len(s.Orders))
	for i, k := range s.Orders {
		parts[i] = strconv.Itoa(k)
	}
	return strings.Join(parts, ", ") + "|" + s.UUID
}

// parseStoredCumulantExtra reads "1, 2|uuid" into orders and a uuid.
func parseStoredCumulantExtra(x string) ([]int, string, error) {
	nums, uuid, ok := strings.Cut(x, "|")
	if !ok || strings.Contains(uuid, "|") {
		return nil, "", fmt.Errorf("StoredCumulantVar needs its cumulant orders and uuid after the kind, like 1, 2|<uuid>; got %q", x)
	}
	var orders []int
	for _, f := range strings.Split(nums, ",") {
		k, err := strconv.Atoi(numericText(strings.TrimSpace(f)))
		if err != nil {
			return nil, "", fmt.Errorf("StoredCumulantVar: cumulant order %q is not an integer", strings.TrimSpace(f))
		}
		orders = append(orders, k)
	}
	return orders, strings.TrimSpace(uuid), nil
}

func (*StoredCumulantVar) Kind() Kind                                    { return KindStoredCumulantVar }
func (s *StoredCumulantVar) shallowCopy() Circuit                        { x := *s; return &x }
func (s *StoredCumulantVar) Rename(name string) Circuit                  { return renameNode(s, name) }
func (s *StoredCumulantVar) WithInfo(na map[int]string, ad bool) Circuit { return withInfo(s, na, ad) }
func (s *StoredCumulantVar) writeFields(h *hasher) {
	h.ints(s.Orders)
	h.str(s.UUID)
}
func (s *StoredCumulantVar) WithChildren(cs []Circuit) (Circuit, error) {
	if len(cs) != len(s.Orders) {
		return nil, nodeErr(KindStoredCumulantVar, s.name, "takes %d children, got %d", len(s.Orders), len(cs))
	}
	m := make(map[int]Circuit, len(cs))
	for i, k := range s.Orders {
		m[k] = cs[i]
	}
	n, err := NewStoredCumulantVar(s.name, m, s.UUID)
	if err != nil {
		return nil, err
	}
	return keepInfo(s, n), nil
}
