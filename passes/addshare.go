package passes

import (
	"fmt"

	"github.com/circopt/circopt/ir"
)

// addshare lets a sum reuse an earlier sum of its leading terms: when
// add(a, b, c, d) follows add(a, b, c) of the same type, it becomes
// add(add(a, b, c), d). A residual stream lowers to exactly these: each
// layer's sum repeats every earlier term (a 9-term add after an 8-term one
// with the same first 8), so without sharing the runtime re-reads every
// earlier term at every layer. Adds evaluate left to right, so the result
// is the same to the bit; the earlier sum is reused as its longest such
// prefix (at least two terms).
func addshare(p *ir.Program, _ *Context) (*ir.Program, error) {
	sums := map[string]int{} // operand list (new ids) -> an add of them
	key := func(ops []int) string { return fmt.Sprint(ops) }
	return rewrite(p, func(r *rewriter, v *ir.Value, ops []int) (int, bool, error) {
		if v.Op != ir.OpAdd {
			return -1, false, nil
		}
		for k := len(ops) - 1; k >= 2; k-- {
			pre, ok := sums[key(ops[:k])]
			if !ok || !typeOf(r.b, pre).Equal(v.Type) {
				continue
			}
			id, err := r.b.Add(ir.OpAdd, nil, append([]int{pre}, ops[k:]...)...)
			if err != nil {
				return -1, false, err
			}
			sums[key(ops)] = id
			return id, true, nil
		}
		id, err := normalize(r.b, v, ops)
		if err != nil {
			return -1, false, err
		}
		if nv := r.b.Value(id); nv.Op == ir.OpAdd {
			sums[key(nv.Operands)] = id
		}
		return id, true, nil
	})
}
