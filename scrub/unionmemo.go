package scrub

import (
	"strconv"

	"github.com/circopt/circopt/circuit"
)

// unionMemo is what a scrub's union evaluation builds that depends only on
// which of its sampled index vectors coincide, not on their rows: the
// per-example circuits (their Symbols are named by vector id), which
// vectors read each subtree, the model subtrees they stand for, and those
// subtrees lifted onto |U| rows (per |U|). A new set of samples with the
// same pattern of vector ids (almost always: fresh samples rarely
// coincide) reuses it, and builds only the gathers at its own positions
// and the circuits around them, instead of rewriting the whole model again.
type unionMemo struct {
	roots       []circuit.Circuit
	canon       map[string]*circuit.Symbol
	syms        map[circuit.Hash]symVec
	key         map[circuit.Hash]int
	canonHash   map[circuit.Hash]circuit.Hash
	uses        map[circuit.Hash]int
	canonicalOf map[circuit.Hash]circuit.Circuit
	lifted      map[int]map[circuit.Hash]circuit.Circuit
}

// unionFor is the batcher of e's union evaluation of s, and the key of
// its vector pattern: from e's memo of that pattern when there is one (taken
// out while in use, so concurrent runs do not share it), else built anew.
func (e *Experiment) unionFor(s *Samples) (*unionBatcher, string, error) {
	b := newUnionBatcher(e.Data)
	key := e.vectorPattern(b, s)
	e.mu.Lock()
	m := e.unionMemos[key]
	delete(e.unionMemos, key)
	e.mu.Unlock()
	if m == nil {
		b, err := newUnion([]Job{{e, s}})
		if err != nil {
			return nil, "", err
		}
		b.liftedByU = map[int]map[circuit.Hash]circuit.Circuit{}
		return b, key, nil
	}
	b.roots, b.canon, b.syms, b.key = m.roots, m.canon, m.syms, m.key
	b.canonHash, b.uses, b.canonicalOf, b.liftedByU = m.canonHash, m.uses, m.canonicalOf, m.lifted
	return b, key, nil
}

// keepUnion stores b's pattern-only parts as e's memo for key.
func (e *Experiment) keepUnion(key string, b *unionBatcher) {
	if b.uses == nil { // countUses never ran: nothing was batched
		return
	}
	m := &unionMemo{roots: b.roots, canon: b.canon, syms: b.syms, key: b.key,
		canonHash: b.canonHash, uses: b.uses, canonicalOf: b.canonicalOf, lifted: b.liftedByU}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.unionMemos) >= maxShapes {
		clear(e.unionMemos)
	}
	e.unionMemos[key] = m
}

// vectorPattern assigns b's vector ids in the order perExample assigns
// them (the original's inputs, the random inputs, then the treeified
// circuit's slots as circuit.Walk meets them) and returns the sequence of
// ids: two sets of samples with the same sequence give the same
// per-example circuits.
func (e *Experiment) vectorPattern(b *unionBatcher, s *Samples) string {
	var k []byte
	add := func(v []int) {
		k = strconv.AppendInt(k, int64(b.vecID(v)), 10)
		k = append(k, ',')
	}
	for range e.Inputs {
		add(s.Ref)
	}
	for _, in := range e.Inputs {
		add(s.Random[in])
	}
	for _, sl := range e.walkedSlots() {
		add(s.SlotDatum(sl))
	}
	return string(k)
}

// walkedSlots are the treeified circuit's slots in the order circuit.Walk
// meets their tags (perExample's order), found once.
func (e *Experiment) walkedSlots() []Slot {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.slotWalk == nil {
		e.slotWalk = []Slot{}
		circuit.Walk([]circuit.Circuit{e.tree.Circuit}, func(c circuit.Circuit) {
			if tag, ok := c.(*circuit.Tag); ok {
				if sl, ok := e.tree.Slots[tag.UUID]; ok {
					e.slotWalk = append(e.slotWalk, sl)
				}
			}
		})
	}
	return e.slotWalk
}
