package scrub

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
)

// Slot is one treeified input: the input array's name and the interp node
// whose datum it takes (its cond datum at a leaf, its other-inputs datum
// otherwise).
type Slot struct {
	Node  *InterpNode
	Input string
}

// Treeified is the model with every input wrapped in a Tag that says which
// interp node owns it. It evaluates to the model (tags are identities).
type Treeified struct {
	Circuit circuit.Circuit
	// Slots maps a tag's uuid to what it stands for.
	Slots map[string]Slot
}

const scrubSuffix = "_scrub_"

// slotUUID derives a stable uuid from (interp node, input), so that the
// treeified circuit is the same on every run.
func slotUUID(kind, node, input string) string {
	h := sha256.Sum256([]byte("circopt/scrub\x00" + kind + "\x00" + node + "\x00" + input))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// Treeify tags inputs along each interp node's matched paths, parents first,
// so that a child's tags replace its parent's on the child's own sub-paths.
// It checks, as rust_circuit does, that a node only retags inputs its parent
// tagged and that each node it matches lies below one its parent matches.
func (c *Correspondence) Treeify(model circuit.Circuit, inputs []string) (*Treeified, error) {
	order, err := c.Order()
	if err != nil {
		return nil, err
	}
	parent := c.parents()
	isInput := map[string]bool{}
	for _, in := range inputs {
		isInput[in] = true
	}
	t := &Treeified{Circuit: model, Slots: map[string]Slot{}}
	for _, n := range order {
		if p := parent[n]; p != nil {
			if err := c.checkUnder(t.Circuit, n, p); err != nil {
				return nil, err
			}
		}
		retag := func(x circuit.Circuit) (circuit.Circuit, error) {
			input := x.Name()
			inner := x
			if tag, ok := x.(*circuit.Tag); ok {
				inner = tag.Children()[0]
				prev, _ := strings.CutPrefix(inner.Name(), input+scrubSuffix)
				if p := parent[n]; p == nil || p.Name != prev {
					return nil, corrErr(ErrNotUnderParent, n.Name, "input %q on its paths was tagged by %q, not by its parent", input, prev)
				}
			} else if _, ok := x.(*circuit.Symbol); !ok || parent[n] != nil || !isInput[input] {
				return nil, corrErr(ErrNotUnderParent, n.Name, "input %q (%s) on its paths is not under its parent's paths", input, x.Kind())
			}
			sym, err := circuit.NewSymbol(inner.Shape(), slotUUID("symbol", n.Name, input), input+scrubSuffix+n.Name)
			if err != nil {
				return nil, err
			}
			u := slotUUID("tag", n.Name, input)
			t.Slots[u] = Slot{Node: n, Input: input}
			return circuit.NewTag(input, u, sym)
		}
		next, err := match.Update(t.Circuit, toInputs(c.matchers[n], inputs), retag, match.UpdateOptions{})
		if err != nil {
			var ce *CorrespondenceError
			if asCorr(err, &ce) {
				return nil, ce
			}
			return nil, corrErr(ErrNoMatch, n.Name, "%v", err)
		}
		t.Circuit = next
	}
	return t, nil
}

// checkUnder: every node n's matcher finds lies at or below a node its
// parent's matcher finds.
func (c *Correspondence) checkUnder(root circuit.Circuit, n, p *InterpNode) error {
	mine, err := match.Get(root, c.matchers[n])
	if err != nil {
		return corrErr(ErrNoMatch, n.Name, "%v", err)
	}
	theirs, err := match.Get(root, c.matchers[p])
	if err != nil {
		return corrErr(ErrNoMatch, p.Name, "%v", err)
	}
	below := subtreeHashes(theirs)
	for _, x := range mine {
		if !below[x.Hash()] {
			return corrErr(ErrNotUnderParent, n.Name, "it matches %s, which is not below anything %q matches", circuit.Label(x), p.Name)
		}
	}
	return nil
}

// subtreeHashes is the set of every node at or below the roots: one walk of
// the shared DAG, where a walk per (node, root) pair was quadratic on the
// many-node hypotheses of day 4b.
func subtreeHashes(roots []circuit.Circuit) map[circuit.Hash]bool {
	seen := map[circuit.Hash]bool{}
	stack := slices.Clone(roots)
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[c.Hash()] {
			continue
		}
		seen[c.Hash()] = true
		stack = append(stack, c.Children()...)
	}
	return seen
}
