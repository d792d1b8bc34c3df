package passes

import (
	"fmt"

	"github.com/circopt/circopt/ir"
	fix "github.com/circopt/circopt/ir/fixpoint"
)

// rewriter is ir.Rebuild with the old-to-new id map exposed, so a rewrite
// can look through an operand at its original definition (and its use
// count in the old program) as well as at its replacement in the new one.
type rewriter struct {
	old *ir.Program
	b   *ir.Builder
	m   map[int]int // old id -> new id
}

// rewriteFunc decides what replaces v; ops are v's operands mapped to new
// ids. Return replaced=false to copy v unchanged onto ops.
type rewriteFunc func(r *rewriter, v *ir.Value, ops []int) (id int, replaced bool, err error)

// rewrite rebuilds p through f, then prunes the values nothing reads any
// more (rewrites routinely leave the pieces they fused unused). Values f
// does not replace are re-made through the smart constructors (normalize),
// so a rewrite that exposes, say, a permute of a permute never leaves it for
// a later pipeline run to find.
func rewrite(p *ir.Program, f rewriteFunc) (*ir.Program, error) {
	r := &rewriter{old: p, b: ir.NewBuilder(), m: make(map[int]int, len(p.Values))}
	for h, t := range p.Consts {
		r.b.AddConstTensor(h, t)
	}
	for _, v := range p.Values {
		ops := make([]int, len(v.Operands))
		for i, o := range v.Operands {
			n, ok := r.m[o]
			if !ok {
				return nil, fmt.Errorf("%v: operand %%%d is not defined earlier", v, o)
			}
			ops[i] = n
		}
		id, replaced, err := -1, false, error(nil)
		if f != nil {
			id, replaced, err = f(r, v, ops)
			if err != nil {
				return nil, fmt.Errorf("%v: %w", v, err)
			}
		}
		if !replaced {
			if id, err = normalize(r.b, v, ops); err != nil {
				return nil, fmt.Errorf("%v: %w", v, err)
			}
		} else if r.b.Value(id) == nil {
			return nil, fmt.Errorf("%v: replacement %%%d is not in the new program", v, id)
		} else if t := r.b.Value(id).Type; !t.Equal(v.Type) {
			// A type-changing rewrite is a bug in the pass; catch it here
			// with the culprit named rather than downstream.
			return nil, fmt.Errorf("%v: replacement %v has type %v", v, r.b.Value(id), t)
		}
		r.m[v.ID] = id
	}
	for _, o := range p.Outputs {
		if err := r.b.Output(o.Name, r.m[o.ID]); err != nil {
			return nil, err
		}
	}
	return prune(r.b.Build())
}

// onlyUser reports whether every use of the old value id is an operand of
// the old value user (possibly several times) and id is not an output.
func (r *rewriter) onlyUser(id, user int) bool {
	us := r.old.Users(id)
	if len(us) == 0 || r.old.IsOutput(id) {
		return false
	}
	for _, u := range us {
		if u != user {
			return false
		}
	}
	return true
}

// prune drops values not reachable from the outputs and renumbers densely.
func prune(p *ir.Program) (*ir.Program, error) {
	live := p.Live()
	if len(live) == len(p.Values) && dense(p) {
		return p, nil
	}
	b := ir.NewBuilder()
	for h, t := range p.Consts {
		b.AddConstTensor(h, t)
	}
	m := make(map[int]int, len(live))
	for _, v := range p.Values {
		if !live[v.ID] {
			continue
		}
		ops := make([]int, len(v.Operands))
		for i, o := range v.Operands {
			ops[i] = m[o]
		}
		id, err := b.Copy(v, ops...)
		if err != nil {
			return nil, fmt.Errorf("%v: %w", v, err)
		}
		m[v.ID] = id
	}
	for _, o := range p.Outputs {
		if err := b.Output(o.Name, m[o.ID]); err != nil {
			return nil, err
		}
	}
	return b.Build(), nil
}

// dense reports whether ids are 0..n-1 in program order.
func dense(p *ir.Program) bool {
	for i, v := range p.Values {
		if v.ID != i {
			return false
		}
	}
	return true
}

// maxSweeps bounds fixpoint: each sweep strictly shrinks what is left to
// do in practice, and a bound turns a runaway rewrite into a stop, not a
// hang.
const maxSweeps = 8

// fixpoint applies sweep until the printed program stops changing
// (fixpoint.FixedPoint), repeats one printed after an earlier sweep
// (CycleFound), or maxSweeps sweeps have run (LimitReached), and records
// why it stopped in ctx for the pass's Report entry (as rewrite.Simp does
// for circuits).
func fixpoint(p *ir.Program, ctx *Context, sweep func(*ir.Program) (*ir.Program, error)) (*ir.Program, error) {
	return fixpointN(p, ctx, maxSweeps, sweep)
}

// fixpointN is fixpoint with the bound given.
func fixpointN(p *ir.Program, ctx *Context, limit int, sweep func(*ir.Program) (*ir.Program, error)) (*ir.Program, error) {
	prev := p.String()
	seen := map[string]bool{prev: true}
	stop, n := fix.LimitReached, 0
	for n < limit {
		q, err := sweep(p)
		if err != nil {
			return nil, err
		}
		n++
		cur := prev
		if q != p { // a sweep returning its input unchanged costs no print
			cur = q.String()
		}
		p = q
		if cur == prev {
			stop = fix.FixedPoint
			break
		}
		if seen[cur] {
			stop = fix.CycleFound
			break
		}
		seen[cur] = true
		prev = cur
	}
	ctx.stopped(stop, n)
	return p, nil
}
