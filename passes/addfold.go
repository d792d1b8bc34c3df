package passes

import (
	"slices"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// addfold normalises sums:
//
//   - nested adds are flattened into their user when they have no other
//     user (using one twice, as in y + y, is fine: each use is one term);
//     addition is associative and broadcasting composes, so the result type
//     is unchanged;
//   - a scale is a coefficient on its operand, so x + scale(x, 3) is
//     scale(x, 4) (a term met once keeps its original value);
//   - scalar fills merge into one fill term (last), and a zero fill is
//     dropped — if dropping it would lose a broadcast dimension the sum is
//     broadcast explicitly instead;
//   - k occurrences of one value become one term scale(x, k); a term whose
//     coefficients cancel to 0 is dropped the same way;
//   - an add left with one term of the right shape is that term;
//   - the selects of every index of a contraction's axis (per-head outputs)
//     become that contraction summed over the axis (sumCoveredSelects).
//
// Ablation experiments produce exactly these shapes: sums of many copies of
// the same path, and sums of a value with a zeroed (scalar) replacement.
func addfold(p *ir.Program, _ *Context) (*ir.Program, error) {
	return rewrite(p, func(r *rewriter, v *ir.Value, ops []int) (int, bool, error) {
		if v.Op != ir.OpAdd {
			return -1, false, nil
		}
		var order []int           // distinct terms, first appearance
		coef := map[int]float64{} // new id -> coefficient
		var fillSum float64       // merged scalar terms
		var fillShapes [][]int    // their shapes, for the broadcast they impose
		// A base met once with coefficient 1 from outside keeps its original
		// value (x, or an existing scale(x, k)) instead of a new copy.
		single := map[int]bool{}
		origin := map[int]int{}
		var visit func(oldID int, k float64, parent int)
		visit = func(oldID int, k float64, parent int) {
			ov := r.old.Value(oldID)
			nid := r.m[oldID]
			if f, ok := fillValue(r.b, nid); ok {
				fillSum += k * f
				fillShapes = append(fillShapes, typeOf(r.b, nid).Shape)
				return
			}
			if ov.Op == ir.OpAdd && r.onlyUser(oldID, parent) {
				for _, o := range ov.Operands {
					visit(o, k, oldID)
				}
				return
			}
			// A scale is a coefficient on its operand even when the scale
			// has other users (it is one multiply either way), so that
			// x + 3x meets as 4x.
			src, kin := nid, k
			for nv := r.b.Value(nid); nv.Op == ir.OpScale; nv = r.b.Value(nid) {
				k *= nv.Attrs.Float("factor")
				nid = nv.Operands[0]
			}
			if _, ok := coef[nid]; !ok {
				order = append(order, nid)
				single[nid] = kin == 1
				origin[nid] = src
			} else {
				single[nid] = false
			}
			coef[nid] += k
		}
		for _, o := range v.Operands {
			visit(o, 1, v.ID)
		}
		var err error
		if order, err = sumCoveredSelects(r, v, order, coef, single, origin); err != nil {
			return -1, false, err
		}
		var terms []int
		for _, id := range order {
			if coef[id] == 0 {
				continue // x - x: drop, restoring its shape below if needed
			}
			t := origin[id]
			if !single[id] {
				var err error
				if t, err = mkScale(r.b, id, coef[id]); err != nil {
					return -1, false, err
				}
			}
			terms = append(terms, t)
		}
		// Terms in id order, as cse sorts commutative operands: the two
		// passes must agree on one normal form.
		slices.Sort(terms)
		if fillSum != 0 || (len(fillShapes) > 0 && fillSum != fillSum) { // NaN fills stay
			fs, err := tensor.BroadcastShapes(fillShapes...)
			if err != nil {
				return -1, false, err
			}
			f, err := r.b.Scalar(fillSum, withShape(v.Type, fs))
			if err != nil {
				return -1, false, err
			}
			terms = append(terms, f)
		}
		if len(terms) == 0 {
			id, err := r.b.Scalar(0, v.Type)
			return id, err == nil, err
		}
		sum := terms[0]
		if len(terms) > 1 {
			var err error
			if sum, err = r.b.Add(ir.OpAdd, nil, terms...); err != nil {
				return -1, false, err
			}
		}
		if s := typeOf(r.b, sum).Shape; !slices.Equal(s, v.Type.Shape) {
			// Dropped terms carried broadcast dimensions: keep them explicitly.
			id, err := mkBroadcast(r.b, sum, v.Type.Shape)
			return id, err == nil, err
		}
		return sum, true, nil
	})
}

// sumCoveredSelects replaces the terms select(x, a, 0) + ... +
// select(x, a, n-1) (every index of x's axis a once, one coefficient, and
// x a contraction read by nothing else) with one term, x summed over a:
// per-head outputs added into a residual stream become one einsum that
// fusion merges into the heads' output projection (one GEMM over heads and
// their dimensions).
func sumCoveredSelects(r *rewriter, v *ir.Value, order []int, coef map[int]float64, single map[int]bool, origin map[int]int) ([]int, error) {
	type group struct {
		x, axis int
		terms   []int
	}
	var groups []*group
	byX := map[[2]int]*group{}
	for _, id := range order {
		nv := r.b.Value(id)
		if nv.Op != ir.OpSelect || !single[id] {
			continue
		}
		key := [2]int{nv.Operands[0], nv.Attrs.Int("axis")}
		g := byX[key]
		if g == nil {
			g = &group{x: key[0], axis: key[1]}
			byX[key] = g
			groups = append(groups, g)
		}
		g.terms = append(g.terms, id)
	}
	for _, g := range groups {
		x := r.b.Value(g.x)
		n := x.Type.Shape[g.axis]
		// Only a contraction gains: fusion folds the sum into it. Elsewhere
		// the selects are views a fused add reads in one pass, where a sum
		// over the axis would be a pass of its own.
		if x.Op != ir.OpEinsum || len(x.Operands) < 2 || n < 2 || len(g.terms) != n || !onlySelectedHere(r, g.x, n) {
			continue
		}
		seen := make([]bool, n)
		k := coef[g.terms[0]]
		ok := true
		for _, id := range g.terms {
			i := r.b.Value(id).Attrs.Int("index")
			ok = ok && i >= 0 && i < n && !seen[i] && coef[id] == k
			if ok {
				seen[i] = true
			}
		}
		if !ok {
			continue
		}
		in := make([]int, len(x.Type.Shape))
		for i := range in {
			in[i] = 'a' + i
		}
		out := slices.Delete(slices.Clone(in), g.axis, g.axis+1)
		sum, err := mkEinsum(r.b, (&ir.EinsumSpec{In: [][]int{in}, Out: out}).String(), g.x)
		if err != nil {
			return nil, err
		}
		order = slices.DeleteFunc(order, func(id int) bool { return slices.Contains(g.terms, id) })
		order = append(order, sum)
		coef[sum], single[sum], origin[sum] = k, k == 1, sum
	}
	return order, nil
}

// onlySelectedHere reports whether the old value behind new id x is read
// only by n selects, each read once (the terms of the sum), and is not an
// output.
func onlySelectedHere(r *rewriter, x, n int) bool {
	var old []int
	for o, nid := range r.m {
		if nid == x {
			old = append(old, o)
		}
	}
	if len(old) != 1 || r.old.IsOutput(old[0]) {
		return false
	}
	us := r.old.Users(old[0])
	if len(us) != n {
		return false
	}
	for _, u := range us {
		uv := r.old.Value(u)
		// read once: by v, or by an add v flattened (v met it as a term)
		if uv.Op != ir.OpSelect || r.old.IsOutput(u) || r.old.NumUses(u) != 1 {
			return false
		}
	}
	return true
}
