package circuit

// Tag is the identity with a uuid: it keeps otherwise equal subtrees
// distinct (for example two independent samples of the same input).
type Tag struct {
	base
	UUID string
}

// NewTag wraps child; an empty uuid draws a fresh one.
func NewTag(name, uuid string, child Circuit) (*Tag, error) {
	if child == nil {
		return nil, nodeErr(KindTag, name, "nil child")
	}
	if uuid == "" {
		uuid = NewUUID()
	}
	u, err := ParseUUID(uuid)
	if err != nil {
		return nil, nodeErr(KindTag, name, "%w", err)
	}
	t := &Tag{base: base{name: name, shape: cloneInts(child.Shape()), children: []Circuit{child}}, UUID: u}
	return finish(t).(*Tag), nil
}

func (*Tag) Kind() Kind                                    { return KindTag }
func (t *Tag) writeFields(h *hasher)                       { h.str(t.UUID) }
func (t *Tag) shallowCopy() Circuit                        { x := *t; return &x }
func (t *Tag) Rename(name string) Circuit                  { return renameNode(t, name) }
func (t *Tag) WithInfo(na map[int]string, ad bool) Circuit { return withInfo(t, na, ad) }
func (t *Tag) WithChildren(cs []Circuit) (Circuit, error) {
	if len(cs) != 1 {
		return nil, nodeErr(KindTag, t.name, "takes one child, got %d", len(cs))
	}
	n, err := NewTag(t.name, t.UUID, cs[0])
	if err != nil {
		return nil, err
	}
	return keepInfo(t, n), nil
}
