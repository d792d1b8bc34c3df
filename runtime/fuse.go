package runtime

import (
	"fmt"
	"slices"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/ir/interp"
	"github.com/circopt/circopt/tensor"
)

// Elementwise fusion. Before running a program the fast executor groups
// chains and DAGs of elementwise values of one shape (add, mul, pow, scale,
// every unary function, and einsums that only multiply, like a,a->a) into
// regions, and runs each region as one kernel (fusekernel.go) that streams
// over the result in cache-sized blocks instead of making one pass over
// memory per value. It is an execution strategy, not a rewrite: the IR keeps
// its values, Reference still runs them one at a time, and every test that
// checks Fast against Reference or the naive evaluator checks fused plans.
//
// A region has one root (its result, the only value other values or the
// outputs read) and members: a fusible value joins the region of its users
// when all of them are in one region, it has the region's shape and they
// read it element for element (no broadcast, no permuting einsum labels),
// and it is not an output. Everything else a region reads is a leaf: any
// array, read through its strides, broadcasting or permuting as the reading
// op says. Because a member's every reader is in its region, no value
// outside a region can depend on a member, so collapsing a region into one
// value keeps the program acyclic.
//
// The executor and the memory schedule run the fused program (fuseProgram):
// the original with each region of two or more values, and each add or
// mul that gains by running alone as a region (soloRegion), replaced by one
// value of op opFused at the root's id, whose operands are the leaves. Members are
// never materialized, so PredictPeak and PlanSchedule count none of them.

// opFused is the runtime-internal op of a fused region: it appears in no
// program outside the executor, only in Fast's Stats (one ValueStat per
// region, at its root's id).
const opFused ir.Op = "fused"

// fusedKernel is one region: ops in dependency order, the last the root.
type fusedKernel struct {
	// rowOp, when set (softmax or log_softmax), is applied to each last-axis
	// row of the region's result, which is then the kernel's result
	rowOp   ir.Op
	rowOffs []int // softmaxBlock32's row offsets (float32 rows it blocks)
	shape   []int
	leaves  []fusedLeaf
	ops     []fusedOp
	nregs   int   // block-sized registers the ops write (the root writes the result)
	ids     []int // the original values, in program order (for tests)
	flops   int64
}

// fusedLeaf is operand `operand` of the fused value seen at the region's
// shape: result axis j reads the operand's axis axes[j], or broadcasts
// (stride 0) when axes[j] is -1 or that axis has size 1.
type fusedLeaf struct {
	operand int
	axes    []int
}

// fusedOp is one value of a region. args are slot numbers: below
// len(leaves) a leaf, else register slot-len(leaves); dst is a register, or
// -1 for the root, which writes the result.
type fusedOp struct {
	op     ir.Op
	factor float64
	args   []int
	dst    int
	fn     func(float64) float64 // a unary op's float64 function
	einsum bool                  // a multiplying einsum (unfused, a product kernel: C order)
}

// fusible reports values a region can hold: float elementwise ops computed
// in the run dtype.
func fusible(p *ir.Program, v *ir.Value, dt tensor.DType) bool {
	if valueDType(v, dt) != dt {
		return false
	}
	for _, o := range v.Operands {
		if valueDType(p.Value(o), dt) != dt {
			return false
		}
	}
	switch v.Op {
	case ir.OpAdd, ir.OpMul, ir.OpPow, ir.OpScale:
		return true
	case ir.OpEinsum:
		_, ok := productEinsum(v)
		return ok
	}
	return slices.Contains(ir.UnaryOps, v.Op)
}

// productEinsum returns, for a binary einsum that only multiplies (no
// summed label, no repeated label within a term), each operand's axis
// reading each result axis (-1 where the operand lacks the label).
func productEinsum(v *ir.Value) ([2][]int, bool) {
	var axes [2][]int
	if len(v.Operands) != 2 {
		return axes, false
	}
	sp, err := ir.ParseEinsum(v.Attrs.String("spec"), 2)
	if err != nil || hasRepeat(sp.Out) {
		return axes, false
	}
	for k, in := range sp.In {
		if hasRepeat(in) {
			return axes, false
		}
		for _, l := range in {
			if !slices.Contains(sp.Out, l) {
				return axes, false // summed
			}
		}
		axes[k] = make([]int, len(sp.Out))
		for j, l := range sp.Out {
			axes[k][j] = slices.Index(in, l)
		}
	}
	return axes, true
}

func hasRepeat(ls []int) bool {
	for i, l := range ls {
		if slices.Contains(ls[:i], l) {
			return true
		}
	}
	return false
}

// operandAxes is how value v reads its operand slot i at v's shape.
func operandAxes(p *ir.Program, v *ir.Value, i int) []int {
	if v.Op == ir.OpEinsum {
		axes, _ := productEinsum(v)
		return axes[i]
	}
	o := p.Value(v.Operands[i])
	r, lead := len(v.Shape()), len(v.Shape())-len(o.Shape())
	axes := make([]int, r)
	for j := range axes {
		axes[j] = j - lead // -1 and below: broadcast
		if axes[j] < 0 {
			axes[j] = -1
		}
	}
	return axes
}

// direct reports an operand read element for element: same shape, axes
// in order.
func direct(p *ir.Program, v *ir.Value, i int) bool {
	o := p.Value(v.Operands[i])
	if !slices.Equal(o.Shape(), v.Shape()) {
		return false
	}
	for j, a := range operandAxes(p, v, i) {
		if a != j {
			return false
		}
	}
	return true
}

// soloRegion reports a value worth a region by itself: an add of three or
// more operands, which the fused kernel reads once each, block by block,
// where the unfused kernel makes a pass over the result per operand (2.4x
// faster on nine [9971,42,56] operands; BenchmarkFusedRows), and an add,
// mul or multiplying einsum that broadcasts an operand over rows, which
// the fused kernel takes in blocks of whole rows where the unfused one
// walks row by row (a bias over [1663,8,64]: 1.5-2x faster).
func soloRegion(p *ir.Program, v *ir.Value) bool {
	switch {
	case v.Op == ir.OpAdd && len(v.Operands) >= 3:
		return true
	case v.Op == ir.OpEinsum:
		if _, ok := productEinsum(v); !ok {
			return false
		}
	case v.Op != ir.OpAdd && v.Op != ir.OpMul:
		return false
	}
	for i := range v.Operands {
		if !direct(p, v, i) {
			return true
		}
	}
	return false
}

// fuseProgram returns p with every region of two or more values (or one
// soloRegion value) collapsed into one opFused value, and the kernels by root id. A program with no
// such region comes back as p itself.
func fuseProgram(p *ir.Program, dt tensor.DType) (*ir.Program, map[int]*fusedKernel) {
	live := p.Live()
	users := map[int][]int{}
	for _, v := range p.Values {
		if !live[v.ID] {
			continue
		}
		for _, o := range v.Operands {
			if us := users[o]; len(us) == 0 || us[len(us)-1] != v.ID {
				users[o] = append(users[o], v.ID)
			}
		}
	}
	output := map[int]bool{}
	for _, o := range p.Outputs {
		output[o.ID] = true
	}
	region := map[int]int{} // fusible value -> its region's root
	members := map[int][]int{}
	for i := len(p.Values) - 1; i >= 0; i-- {
		v := p.Values[i]
		if !live[v.ID] || !fusible(p, v, dt) {
			continue
		}
		region[v.ID] = v.ID
		if output[v.ID] || len(users[v.ID]) == 0 {
			continue
		}
		root, ok := region[users[v.ID][0]]
		if !ok || !slices.Equal(v.Shape(), p.Value(root).Shape()) {
			continue
		}
		join := true
		for _, u := range users[v.ID] {
			if r, ok := region[u]; !ok || r != root {
				join = false
				break
			}
			uv := p.Value(u)
			for k, o := range uv.Operands {
				if o == v.ID && !direct(p, uv, k) {
					join = false
				}
			}
		}
		if join {
			region[v.ID] = root
			members[root] = append(members[root], v.ID)
		}
	}
	// A region whose root only a softmax or log_softmax over its last axis
	// reads takes that row op too: the rows are computed block by block
	// and go straight into the softmax, so the region's result is never
	// written out and read back (an attention's scaled, masked scores).
	rowOp := map[int]int{} // region root -> the softmax value it feeds
	for id, root := range region {
		if id != root || output[id] || len(users[id]) != 1 {
			continue
		}
		u := p.Value(users[id][0])
		if rowFusible(p, u, dt) && p.Value(id).Shape()[len(u.Shape())-1] > 1 {
			rowOp[id] = u.ID
			if members[root] == nil {
				members[root] = []int{}
			}
		}
	}
	for id, root := range region {
		if id == root && members[root] == nil && soloRegion(p, p.Value(id)) {
			members[root] = []int{}
		}
	}
	if len(members) == 0 {
		return p, nil
	}
	kernels := map[int]*fusedKernel{}
	fused := map[int]*ir.Value{}
	for root, ms := range members {
		k, fv := buildFused(p, root, ms)
		if sm, ok := rowOp[root]; ok {
			// the fused value stands for the softmax, at its place
			k.rowOp = p.Value(sm).Op
			if dt == tensor.Float32 {
				k.rowOffs = rowOffsets(k.rowLen())
			}
			k.flops += ir.FLOPsOf(p, p.Value(sm))
			fv.ID = sm
			kernels[sm], fused[sm] = k, fv
			region[root] = sm
			continue
		}
		kernels[root], fused[root] = k, fv
	}
	q := &ir.Program{Outputs: p.Outputs, Consts: p.Consts}
	for _, v := range p.Values {
		if fv, ok := fused[v.ID]; ok {
			q.Values = append(q.Values, fv)
		} else if r, ok := region[v.ID]; !ok || r == v.ID {
			q.Values = append(q.Values, v)
		}
	}
	return q, kernels
}

// rowFusible reports a softmax or log_softmax (over the last axis) whose
// input a region can compute block by block: float in the run dtype, rank
// at least 1.
func rowFusible(p *ir.Program, v *ir.Value, dt tensor.DType) bool {
	if v.Op != ir.OpSoftmax && v.Op != ir.OpLogSoftmax {
		return false
	}
	return valueDType(v, dt) == dt && len(v.Shape()) > 0 && valueDType(p.Value(v.Operands[0]), dt) == dt
}

// buildFused makes root's region (members ms) into a kernel and the value
// that stands for it: leaves are its operands, deduplicated by value.
func buildFused(p *ir.Program, root int, ms []int) (*fusedKernel, *ir.Value) {
	ids := append(slices.Clone(ms), root)
	slices.SortFunc(ids, func(a, b int) int { return p.Position(a) - p.Position(b) })
	in := map[int]bool{}
	for _, id := range ids {
		in[id] = true
	}
	rv := p.Value(root)
	k := &fusedKernel{shape: slices.Clone(rv.Shape()), ids: ids}
	fv := &ir.Value{ID: root, Op: opFused, Type: ir.Type{DType: rv.Type.DType, Shape: slices.Clone(rv.Shape())}}
	leafOf := map[string]int{}
	// last use of each member, to hand its register on
	last := map[int]int{}
	for i, id := range ids {
		for _, o := range p.Value(id).Operands {
			if in[o] {
				last[o] = i
			}
		}
	}
	reg := map[int]int{} // member -> register
	var free []int
	for i, id := range ids {
		v := p.Value(id)
		k.flops += ir.FLOPsOf(p, v)
		op := fusedOp{op: v.Op, factor: v.Attrs.Float("factor"), dst: -1}
		op.fn, _ = interp.UnaryFunc(v.Op)
		if v.Op == ir.OpEinsum {
			op.op, op.einsum = ir.OpMul, true
		}
		for j, o := range v.Operands {
			if in[o] {
				op.args = append(op.args, -1-reg[o]) // fixed up below, once the leaf count is known
				continue
			}
			axes := operandAxes(p, v, j)
			key := fmt.Sprint(o, axes)
			li, ok := leafOf[key]
			if !ok {
				oi := slices.Index(fv.Operands, o)
				if oi < 0 {
					oi = len(fv.Operands)
					fv.Operands = append(fv.Operands, o)
				}
				li = len(k.leaves)
				leafOf[key] = li
				k.leaves = append(k.leaves, fusedLeaf{operand: oi, axes: axes})
			}
			op.args = append(op.args, li)
		}
		// dst never aliases an argument: an n-ary add writes dst before reading
		// its later arguments
		if id != root {
			if len(free) > 0 {
				op.dst, free = free[len(free)-1], free[:len(free)-1]
			} else {
				op.dst = k.nregs
				k.nregs++
			}
			reg[id] = op.dst
		}
		for _, o := range slices.Compact(slices.Sorted(slices.Values(v.Operands))) {
			if in[o] && last[o] == i {
				free = append(free, reg[o])
			}
		}
		k.ops = append(k.ops, op)
	}
	for i := range k.ops {
		for j, a := range k.ops[i].args {
			if a < 0 {
				k.ops[i].args[j] = len(k.leaves) + (-1 - a)
			}
		}
	}
	return k, fv
}
