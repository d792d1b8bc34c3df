package match

import (
	"fmt"
	"slices"

	"github.com/circopt/circopt/circuit"
)

// Transform computes the replacement of a found node.
type Transform func(circuit.Circuit) (circuit.Circuit, error)

// UpdateOptions controls Update and Expand.
type UpdateOptions struct {
	// ErrorIfNothingMatched makes a walk that finds no node an error naming
	// the matcher, instead of returning the circuit unchanged.
	ErrorIfNothingMatched bool
}

// rewriter holds the memo tables of one Update or Expand call.
type rewriter struct {
	op      string
	f       Transform
	memo    map[memoKey]circuit.Circuit
	applied map[circuit.Hash]circuit.Circuit // transform results by input
	matched bool
	pre     bool // Expand: transform the original node and do not descend
}

// Update returns root with every node that m finds replaced by f's result,
// post-order: the children of a found node are updated first, and f receives
// the node rebuilt over them. Ancestors are rebuilt with WithChildren (so a
// replacement must fit its parent; see Expand for added batch dimensions).
//
// Replacement follows paths: a node is replaced where it is reached in a
// state that finds it, and kept where it is reached otherwise. With the
// matcher 'skip' > 'x', the x feeding skip is replaced while the same x node
// feeding first is not.
//
// Work is memoized by (node, state), and f is called at most once per
// distinct input circuit, so a shared subtree is transformed once.
func Update(root circuit.Circuit, m IterativeMatcher, f Transform, opts UpdateOptions) (circuit.Circuit, error) {
	return rewrite("Update", root, m, f, opts, false)
}

// Expand returns root with every node that m finds replaced by f's result,
// pre-order: f receives the original node, and the walk does not descend
// into a found node. A replacement may carry extra leading batch dimensions
// (an input [784] becoming [8,784]); ancestors are rebuilt to carry them in
// front, as circuit.ReplaceExpand does (einsums gain batch axes, rearranges
// and indexes pass them through, concats broadcast unbatched siblings).
// Paths, memoization and f's call count are as for Update.
func Expand(root circuit.Circuit, m IterativeMatcher, f Transform, opts UpdateOptions) (circuit.Circuit, error) {
	return rewrite("Expand", root, m, f, opts, true)
}

func rewrite(op string, root circuit.Circuit, m IterativeMatcher, f Transform, opts UpdateOptions, pre bool) (circuit.Circuit, error) {
	if err := checkArgs(op, root, m); err != nil {
		return nil, err
	}
	if f == nil {
		return nil, fmt.Errorf("match: %s: nil transform", op)
	}
	rw := &rewriter{op: op, f: f, memo: map[memoKey]circuit.Circuit{}, applied: map[circuit.Hash]circuit.Circuit{}, pre: pre}
	out, err := rw.do(root, m)
	if err != nil {
		return nil, err
	}
	if opts.ErrorIfNothingMatched && !rw.matched {
		return nil, fmt.Errorf("match: %s: %s matched nothing in %s", op, m, circuit.Label(root))
	}
	return out, nil
}

func (rw *rewriter) transform(c circuit.Circuit) (circuit.Circuit, error) {
	rw.matched = true
	if n, ok := rw.applied[c.Hash()]; ok {
		return n, nil
	}
	n, err := rw.f(c)
	if err != nil {
		return nil, fmt.Errorf("match: %s: transform of %s: %w", rw.op, circuit.Label(c), err)
	}
	if n == nil {
		return nil, fmt.Errorf("match: %s: transform of %s returned nil", rw.op, circuit.Label(c))
	}
	rw.applied[c.Hash()] = n
	return n, nil
}

func (rw *rewriter) do(c circuit.Circuit, m IterativeMatcher) (circuit.Circuit, error) {
	k := memoKey{c.Hash(), m.key()}
	if n, ok := rw.memo[k]; ok {
		return n, nil
	}
	if len(rw.memo) >= walkStateLimit {
		return nil, tooManyStates(rw.op, m)
	}
	r, err := m.Step(c)
	if err != nil {
		return nil, err
	}
	if rw.pre && r.Found {
		n, err := rw.transform(c)
		if err != nil {
			return nil, err
		}
		rw.memo[k] = n
		return n, nil
	}
	kids := c.Children()
	var news []circuit.Circuit // nil until a child changes
	for i, ch := range kids {
		next := r.Child(i)
		if next == nil {
			continue
		}
		n, err := rw.do(ch, next)
		if err != nil {
			return nil, err
		}
		if n.Hash() != ch.Hash() {
			if news == nil {
				news = append([]circuit.Circuit(nil), kids...)
			}
			news[i] = n
		}
	}
	out := c
	if news != nil {
		if rw.pre {
			out, err = rebuildExpand(c, news)
		} else {
			out, err = c.WithChildren(news)
		}
		if err != nil {
			return nil, fmt.Errorf("match: %s: rebuilding %s over its new children: %w", rw.op, circuit.Label(c), err)
		}
	}
	if r.Found {
		out, err = rw.transform(out)
		if err != nil {
			return nil, err
		}
	}
	rw.memo[k] = out
	return out, nil
}

// rebuildExpand rebuilds c over news, which may carry extra leading batch
// dimensions. Only this node is rebuilt: each changed child is first
// swapped for a fresh placeholder symbol of the old shape, and
// circuit.ReplaceExpand then substitutes the placeholders. Replacing the old
// children by hash directly would also replace them deeper down, which
// breaks path semantics (x feeding skip directly and through first).
func rebuildExpand(c circuit.Circuit, news []circuit.Circuit) (circuit.Circuit, error) {
	kids := c.Children()
	sameShapes := true
	for i, n := range news {
		if !slices.Equal(n.Shape(), kids[i].Shape()) {
			sameShapes = false
			break
		}
	}
	if sameShapes {
		return c.WithChildren(news)
	}
	ph := make([]circuit.Circuit, len(kids))
	repl := map[circuit.Hash]circuit.Circuit{}
	for i, n := range news {
		if n.Hash() == kids[i].Hash() {
			ph[i] = kids[i]
			continue
		}
		s, err := circuit.NewSymbol(kids[i].Shape(), "", "")
		if err != nil {
			return nil, err
		}
		ph[i] = s
		repl[s.Hash()] = n
	}
	tmp, err := c.WithChildren(ph)
	if err != nil {
		return nil, err
	}
	return circuit.ReplaceExpand(tmp, repl)
}
