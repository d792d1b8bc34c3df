package order

import (
	"fmt"
	"slices"
)

// refineWindow is how many subtrees one refinement step re-plans exactly:
// 3^8 = 6561 DP splits per window.
const refineWindow = 8

// refinePasses bounds the sweeps over the tree; each sweep only accepts
// strict improvements, so it stops early at a local optimum.
const refinePasses = 4

// stepCost is the FLOPs of the contraction at internal node v.
func (in *instance) stepCost(v *tnode) float64 {
	u := newLabelSet(in.words)
	u.or(v.kids[0].lab, v.kids[1].lab)
	f := in.prod(u)
	if !u.equal(v.lab) {
		f *= 2
	}
	return f
}

// refine improves a contraction tree in place by subtree reconfiguration:
// for each internal node v it cuts out the top of v's subtree down to a
// frontier of up to refineWindow subtrees (opening the costliest steps
// first) and replaces that top by the exact DP optimum over the frontier.
// The frontier tensors and v's own labels are fixed, so the rest of the
// tree is untouched and the labels stay consistent (see tnode). A window
// is replaced only when it gets strictly cheaper under the cap, or when
// the old window broke the cap and the new one does not.
func (in *instance) refine(root *tnode) {
	r := &refiner{in: in, ids: map[*tnode]int{}, done: map[string]bool{}}
	for range refinePasses {
		improved := false
		// Post-order: a replacement only detaches nodes already visited.
		var order []*tnode
		var walk func(v *tnode)
		walk = func(v *tnode) {
			if v.leaf >= 0 {
				return
			}
			walk(v.kids[0])
			walk(v.kids[1])
			order = append(order, v)
		}
		walk(root)
		for _, v := range order {
			for _, bfs := range []bool{false, true} {
				if r.refineAt(v, bfs) {
					improved = true
				}
			}
		}
		if !improved {
			return
		}
	}
}

// refineAt re-plans one window below v. The window grows by opening the
// costliest frontier step, or with bfs the oldest frontier node (a
// balanced window reaching operands the cost-driven one misses).
func (r *refiner) refineAt(v *tnode, bfs bool) bool {
	in := r.in
	frontier := []*tnode{v.kids[0], v.kids[1]}
	old := in.stepCost(v)
	oldOver := false
	for len(frontier) < refineWindow {
		k, kc := -1, 0.0
		for i, f := range frontier {
			if f.leaf >= 0 {
				continue
			}
			if c := in.stepCost(f); k < 0 || c > kc {
				k, kc = i, c
			}
			if bfs {
				break
			}
		}
		if k < 0 {
			break
		}
		f := frontier[k]
		old += kc
		oldOver = oldOver || in.exceeds(elements(in.prod(f.lab)))
		if bfs { // queue order: open the oldest, append its kids
			frontier = append(append(frontier[:k:k], frontier[k+1:]...), f.kids[0], f.kids[1])
		} else {
			frontier[k] = f.kids[0]
			frontier = append(frontier, f.kids[1])
		}
	}
	if len(frontier) < 3 || r.seen(frontier) {
		return false
	}
	sub := &instance{n: len(frontier), words: in.words, labels: in.labels, size: in.size, out: v.lab, memCap: in.memCap}
	for _, f := range frontier {
		sub.ops = append(sub.ops, f.lab)
	}
	t := sub.newSubsetTable()
	split, ok := t.cheapest(in.memCap)
	if !ok {
		return false
	}
	if c := t.bestCost(split); oldOver || c < old*(1-1e-12) {
		v.kids = t.tree(split, frontier).kids
		return true
	}
	return false
}

// refiner remembers which windows were already solved. A window is fixed
// by its frontier (which also fixes the root's labels); once its top is the
// DP optimum for that frontier, later edits below the frontier cannot make
// another DP run on it find anything cheaper, so each frontier is solved
// at most once.
type refiner struct {
	in   *instance
	ids  map[*tnode]int
	done map[string]bool
}

func (r *refiner) seen(frontier []*tnode) bool {
	ids := make([]int, len(frontier))
	for i, f := range frontier {
		id, ok := r.ids[f]
		if !ok {
			id = len(r.ids)
			r.ids[f] = id
		}
		ids[i] = id
	}
	slices.Sort(ids)
	key := fmt.Sprint(ids)
	if r.done[key] {
		return true
	}
	r.done[key] = true
	return false
}
