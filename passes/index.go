package passes

import "github.com/circopt/circopt/ir"

// indexFusion fuses index chains: slice∘slice is one slice (offsets add),
// gather∘gather with const positions is one gather, a slice along a const
// gather's axis gathers fewer positions,
// select of a slice selects the source and slices the remaining axes, a
// slice or select that falls inside one piece of a concat reads that piece,
// an identity slice is its operand, and indexing a scalar fill gives a fill.
// Fewer, simpler index ops are what push-down and the runtime want.
func indexFusion(p *ir.Program, _ *Context) (*ir.Program, error) {
	return rewrite(p, func(r *rewriter, v *ir.Value, ops []int) (int, bool, error) {
		var id int
		var err error
		switch v.Op {
		case ir.OpSlice:
			id, err = mkSlice(r.b, ops[0], v.Attrs.Ints("starts"), v.Attrs.Ints("stops"))
		case ir.OpSelect:
			id, err = mkSelect(r.b, ops[0], v.Attrs.Int("axis"), v.Attrs.Int("index"))
		case ir.OpGather:
			id, err = mkGather(r.b, ops[0], v.Attrs.Int("axis"), ops[1])
		default:
			return -1, false, nil
		}
		return id, err == nil, err
	})
}
