package passes

import "github.com/circopt/circopt/ir"

// rearrange fuses chains of layout ops: permute∘permute is one permute,
// reshape∘reshape one reshape, broadcast∘broadcast one broadcast, and an
// identity permute/reshape/broadcast is its operand. A layout op of a
// scalar fill is a fill of the new shape. The inner op of a chain is left
// for deadcode when nothing else reads it. The work is done by the smart
// constructors in build.go, which other passes share.
func rearrange(p *ir.Program, _ *Context) (*ir.Program, error) {
	return rewrite(p, func(r *rewriter, v *ir.Value, ops []int) (int, bool, error) {
		var id int
		var err error
		switch v.Op {
		case ir.OpPermute:
			id, err = mkPermute(r.b, ops[0], v.Attrs.Ints("perm"))
		case ir.OpReshape:
			id, err = mkReshape(r.b, ops[0], v.Type.Shape)
		case ir.OpBroadcast:
			id, err = mkBroadcast(r.b, ops[0], v.Type.Shape)
		default:
			return -1, false, nil
		}
		return id, err == nil, err
	})
}
