package circuit

// Concat joins its children along Axis; all other dimensions must agree.
type Concat struct {
	base
	Axis int
}

// NewConcat concatenates children along axis (negative counts from the end).
func NewConcat(name string, axis int, children ...Circuit) (*Concat, error) {
	if len(children) == 0 {
		return nil, nodeErr(KindConcat, name, "needs at least one child")
	}
	for i, c := range children {
		if c == nil {
			return nil, nodeErr(KindConcat, name, "child %d is nil", i)
		}
	}
	r := children[0].Rank()
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		return nil, nodeErr(KindConcat, name, "axis out of range for rank %d", r)
	}
	shape := cloneInts(children[0].Shape())
	shape[axis] = 0
	for _, c := range children {
		if c.Rank() != r {
			return nil, nodeErr(KindConcat, name, "children have different ranks: %s", childShapes(children))
		}
		for i, d := range c.Shape() {
			if i != axis && d != shape[i] {
				return nil, nodeErr(KindConcat, name, "children differ off axis %d: %s", axis, childShapes(children))
			}
		}
		shape[axis] += c.Shape()[axis]
	}
	n := &Concat{base: base{name: name, shape: shape, children: append([]Circuit(nil), children...)}, Axis: axis}
	return finish(n).(*Concat), nil
}

func (*Concat) Kind() Kind                                    { return KindConcat }
func (c *Concat) writeFields(h *hasher)                       { h.int(c.Axis) }
func (c *Concat) shallowCopy() Circuit                        { x := *c; return &x }
func (c *Concat) Rename(name string) Circuit                  { return renameNode(c, name) }
func (c *Concat) WithInfo(na map[int]string, ad bool) Circuit { return withInfo(c, na, ad) }
func (c *Concat) WithChildren(cs []Circuit) (Circuit, error) {
	n, err := NewConcat(c.name, c.Axis, cs...)
	if err != nil {
		return nil, err
	}
	return keepInfo(c, n), nil
}
