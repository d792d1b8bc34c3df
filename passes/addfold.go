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
//   - an add left with one term of the right shape is that term.
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
