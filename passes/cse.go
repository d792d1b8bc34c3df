package passes

import (
	"slices"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// cse is common-subexpression elimination by hash-consing: a value whose
// op, attributes, (already merged) operands and type equal an earlier
// value's is replaced by it. Names play no part (the IR carries none), so
// two equal subtrees of differently named circuits share one computation.
// Constants merge by the content hash of their tensors, not by the key they
// happen to have in the table. The operands of commutative ops (add, mul)
// are sorted first so a+b and b+a meet.
// fullHashHex is the length of tensor.ContentHashHex's result.
const fullHashHex = 64

func cse(p *ir.Program, _ *Context) (*ir.Program, error) {
	seen := map[string]int{}
	contentHash := map[string]string{}
	return rewrite(p, func(r *rewriter, v *ir.Value, ops []int) (int, bool, error) {
		if v.Op == ir.OpAdd || v.Op == ir.OpMul {
			ops = slices.Clone(ops)
			slices.Sort(ops)
		}
		var key string
		if v.Op == ir.OpConst {
			h := v.Attrs.String("hash")
			ch, ok := contentHash[h]
			if !ok {
				ch = h
				// A full hash names its content already; a prefix (from
				// parsed IR) is resolved by hashing the tensor.
				if t := p.Consts[h]; t != nil && len(h) != fullHashHex {
					ch = tensor.ContentHashHex(t)
				}
				contentHash[h] = ch
			}
			key = "const " + ch + " " + v.Type.String()
		} else {
			// The printed line with a fixed id is exactly "op, attributes,
			// operands, type": the printer is the single source of truth.
			key = (&ir.Value{Op: v.Op, Operands: ops, Attrs: v.Attrs, Type: v.Type}).String()
		}
		if id, ok := seen[key]; ok {
			return id, true, nil
		}
		id, err := r.b.AddTyped(v.Op, v.Attrs, v.Type, ops...)
		if err != nil {
			return -1, false, err
		}
		seen[key] = id
		return id, true, nil
	})
}
