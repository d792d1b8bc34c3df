package scrub

import (
	"strings"
	"sync"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
)

// Treeifying and its checks depend only on the model, the input names and
// each interp node's name, parent and matcher — not on its sampler. Day 4b's
// experiments 3a and 3b differ only in samplers over the same 49 matchers,
// and walking the matchers is most of the cost of preparing them, so
// experiments share one treeification through this small cache.

const treeifyCacheSize = 16

var treeifyCache = struct {
	sync.Mutex
	entries map[string]*treeifyEntry
}{entries: map[string]*treeifyEntry{}}

type treeifyEntry struct {
	once sync.Once
	tree *Treeified
	err  error
}

// treeifyChecked is Treeify followed by CheckInjective, shared between
// correspondences with the same structure; the slots it returns point at
// c's own interp nodes.
func (c *Correspondence) treeifyChecked(model circuit.Circuit, inputs []string) (*Treeified, error) {
	key, err := c.structureKey(model, inputs)
	if err != nil {
		return nil, err
	}
	treeifyCache.Lock()
	e, ok := treeifyCache.entries[key]
	if !ok {
		if len(treeifyCache.entries) >= treeifyCacheSize {
			clear(treeifyCache.entries) // a rare refill is cheaper than bookkeeping for an LRU
		}
		e = &treeifyEntry{}
		treeifyCache.entries[key] = e
	}
	treeifyCache.Unlock()
	e.once.Do(func() {
		e.tree, e.err = c.Treeify(model, inputs)
		if e.err == nil {
			e.err = c.CheckInjective(e.tree.Circuit)
		}
	})
	if e.err != nil {
		return nil, e.err
	}
	own := &Treeified{Circuit: e.tree.Circuit, Slots: make(map[string]Slot, len(e.tree.Slots))}
	for u, s := range e.tree.Slots {
		n, _ := c.Node(s.Node.Name) // equal keys mean equal node names
		own.Slots[u] = Slot{Node: n, Input: s.Input}
	}
	return own, nil
}

// structureKey names what treeifying depends on: the model, the inputs, and
// every interp node's name, parent and matcher, in the correspondence's order.
func (c *Correspondence) structureKey(model circuit.Circuit, inputs []string) (string, error) {
	order, err := c.Order()
	if err != nil {
		return "", err
	}
	parent := c.parents()
	var b strings.Builder
	b.WriteString(model.Hash().String())
	b.WriteByte(0)
	b.WriteString(strings.Join(inputs, "\x01"))
	for _, n := range order {
		b.WriteByte(0)
		b.WriteString(n.Name)
		b.WriteByte(1)
		if p := parent[n]; p != nil {
			b.WriteString(p.Name)
		}
		b.WriteByte(1)
		b.WriteString(match.Key(c.matchers[n]))
	}
	return b.String(), nil
}
