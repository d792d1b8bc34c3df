package scrub

// InterpNode is a node of the interpretation graph: Cond draws this node's
// datum from its parent's (data it is indifferent between), Other draws the
// datum for inputs under this node's matched paths that no child claims
// (unused at leaves).
type InterpNode struct {
	Name     string
	Cond     Sampler
	Other    Sampler
	children []*InterpNode
}

// NewInterpNode makes a node; a nil other defaults to UncondSampler.
func NewInterpNode(name string, cond, other Sampler) *InterpNode {
	if other == nil {
		other = &UncondSampler{}
	}
	return &InterpNode{Name: name, Cond: cond, Other: other}
}

// MakeDescendant adds and returns a new child.
func (n *InterpNode) MakeDescendant(name string, cond, other Sampler) *InterpNode {
	c := NewInterpNode(name, cond, other)
	n.children = append(n.children, c)
	return c
}

// AddChild appends an existing node as a child (the correspondence check
// rejects graphs that are not trees).
func (n *InterpNode) AddChild(c *InterpNode) { n.children = append(n.children, c) }

// Children returns the children in the order they were added.
func (n *InterpNode) Children() []*InterpNode { return append([]*InterpNode(nil), n.children...) }

// IsLeaf reports whether the node has no children.
func (n *InterpNode) IsLeaf() bool { return len(n.children) == 0 }
