package circuit

import (
	"slices"

	"github.com/circopt/circopt/tensor"
)

// Add is the elementwise sum of its children with numpy broadcasting
// (right-aligned). With no children it is the scalar 0.
type Add struct{ base }

// NewAdd sums children.
func NewAdd(name string, children ...Circuit) (*Add, error) {
	shapes := make([][]int, len(children))
	for i, c := range children {
		if c == nil {
			return nil, nodeErr(KindAdd, name, "child %d is nil", i)
		}
		shapes[i] = c.Shape()
	}
	shape, err := tensor.BroadcastShapes(shapes...)
	if err != nil {
		return nil, nodeErr(KindAdd, name, "children are not broadcastable: %s", childShapes(children))
	}
	a := &Add{base{name: name, shape: shape, children: append([]Circuit(nil), children...)}}
	return finish(a).(*Add), nil
}

func childShapes(cs []Circuit) string {
	s := ""
	for i, c := range cs {
		if i > 0 {
			s += ", "
		}
		s += shapeString(c.Shape())
	}
	return s
}

func (*Add) Kind() Kind                                    { return KindAdd }
func (a *Add) writeFields(*hasher)                         {}
func (a *Add) shallowCopy() Circuit                        { c := *a; return &c }
func (a *Add) Rename(name string) Circuit                  { return renameNode(a, name) }
func (a *Add) WithInfo(na map[int]string, ad bool) Circuit { return withInfo(a, na, ad) }
func (a *Add) WithChildren(cs []Circuit) (Circuit, error) {
	n, err := NewAdd(a.name, cs...)
	if err != nil {
		return nil, err
	}
	return keepInfo(a, n), nil
}

// keepInfo carries the AD flag and named axes of old onto a rebuilt node
// when the shape still matches.
func keepInfo(old, n Circuit) Circuit {
	if !old.AutonameDisabled() && old.NamedAxes() == nil {
		return n
	}
	na := old.NamedAxes()
	if !slices.Equal(old.Shape(), n.Shape()) {
		na = nil
	}
	out := n.WithInfo(na, old.AutonameDisabled())
	if old.AutonameDisabled() && out.Name() != old.Name() {
		// The constructor autonamed an unnamed node whose autonaming is
		// disabled; an AD node keeps its (empty) name.
		out = renameNode(out, old.Name())
	}
	return out
}

// sameInts is slices.Equal under the name evaluate.go calls it by.
var sameInts = slices.Equal[[]int]
