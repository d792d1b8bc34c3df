package order

// tnode is a contraction tree node: a leaf (an input operand) or the
// contraction of its two kids. lab holds the labels of its tensor, which
// depend only on the set of leaves below it, so restructuring inside a
// subtree never changes the labels seen above it.
type tnode struct {
	leaf int // operand index, or -1 for an internal node
	kids [2]*tnode
	lab  labelSet
}

func leaves(in *instance) []*tnode {
	ls := make([]*tnode, in.n)
	for i := range ls {
		ls[i] = &tnode{leaf: i, lab: in.ops[i]}
	}
	return ls
}

// treeOf rebuilds the tree that a sequence of numpy-style pairs describes.
func (in *instance) treeOf(pairs [][2]int) *tnode {
	s := newState(in)
	list := leaves(in)
	for _, pr := range pairs {
		i, j := pr[0], pr[1]
		c := s.cost(i, j)
		s.apply(i, j)
		nd := &tnode{leaf: -1, kids: [2]*tnode{list[i], list[j]}, lab: c.result}
		next := make([]*tnode, 0, len(list)-1)
		for k, x := range list {
			if k != i && k != j {
				next = append(next, x)
			}
		}
		list = append(next, nd)
	}
	return list[0]
}

// pairs lists the tree's contractions as numpy-style (Left, Right) pairs:
// a post-order walk over a simulated operand list.
func (root *tnode) pairs(n int) [][2]int {
	list := leavesOrder(root, n)
	var out [][2]int
	var walk func(v *tnode)
	walk = func(v *tnode) {
		if v.leaf >= 0 {
			return
		}
		walk(v.kids[0])
		walk(v.kids[1])
		i, j := indexOfNode(list, v.kids[0]), indexOfNode(list, v.kids[1])
		if i > j {
			i, j = j, i
		}
		out = append(out, [2]int{i, j})
		next := make([]*tnode, 0, len(list)-1)
		for k, x := range list {
			if k != i && k != j {
				next = append(next, x)
			}
		}
		list = append(next, v)
	}
	walk(root)
	return out
}

// leavesOrder returns the tree's leaves indexed by operand number.
func leavesOrder(root *tnode, n int) []*tnode {
	list := make([]*tnode, n)
	var walk func(v *tnode)
	walk = func(v *tnode) {
		if v.leaf >= 0 {
			list[v.leaf] = v
			return
		}
		walk(v.kids[0])
		walk(v.kids[1])
	}
	walk(root)
	return list
}

func indexOfNode(list []*tnode, v *tnode) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}
