package passes

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/passes/internal/order"
)

// einsumFusion turns each tree of einsums into a planned chain of binary
// contractions:
//
//  1. Flatten: an einsum whose only use is an operand of another einsum is
//     inlined into it (its summed labels get fresh names, its output labels
//     take the user's names for that operand, so a diagonal in the user
//     unifies them). Only einsums whose output labels all occur in some
//     operand are inlined; an output label written twice (an embedding,
//     a->aa) unifies the user's two labels for those axes, since the
//     embedding is zero off the diagonal.
//  2. Absorb: permute operands become relabelled operands, scale operands
//     and scalar-fill operands become one factor (a fill's labels that
//     nothing else carries contribute their sizes to it). A permute whose
//     operand is an einsum used only there is a root of its own: the
//     einsum's output labels are permuted instead.
//  3. Plan: the flat operand list goes to passes/internal/order (exact DP up to
//     fusionDPOperands operands, greedy beyond; FLOPs as cost; Options.MemCap
//     bounds every intermediate), and the path is recorded as a note. An
//     operand carrying labels no other operand nor the output has is summed
//     over them first when that is cheaper (order cannot express it).
//  4. Lower: each step becomes a binary (or unary) einsum; a last unary
//     einsum adds output-only or repeated output labels; the factor becomes
//     one scale on the result.
//
// A tree is left as it is when the plan costs more FLOPs than the tree (in
// order's cost model; an n-ary einsum costs its naive loop nest), or no
// fewer when nothing was absorbed: rewriting only on improvement is what
// makes the pass idempotent.
func einsumFusion(p *ir.Program, ctx *Context) (*ir.Program, error) {
	// feeds: the value's only use is an einsum operand, possibly through
	// single-use scales and permutes (which fusion absorbs as well).
	feeds := map[int]bool{}
	for i := len(p.Values) - 1; i >= 0; i-- { // users come later: walk backwards
		v := p.Values[i]
		users := p.Users(v.ID)
		if p.IsOutput(v.ID) || len(users) != 1 {
			continue
		}
		u := p.Value(users[0])
		feeds[v.ID] = u.Op == ir.OpEinsum || (u.Op == ir.OpScale || u.Op == ir.OpPermute) && feeds[u.ID]
	}
	absorb := map[int]bool{}
	for _, v := range p.Values {
		if v.Op != ir.OpEinsum || !feeds[v.ID] {
			continue
		}
		if spec, err := ir.ParseEinsum(v.Attrs.String("spec"), len(v.Operands)); err == nil && inlinable(spec) {
			absorb[v.ID] = true
		}
	}
	// A permute of an einsum it is the only user of, and that does not
	// itself lead into an einsum (then the outer tree absorbs both), is
	// lowered as the einsum with permuted output labels.
	// An einsum batchGather will replace by an index op of an existing
	// counterpart (einsum(x[perm], w) -> einsum(x, w)[perm]) keeps its
	// output order: the counterpart has that order, not the permuted one.
	permRoot, viaPerm := map[int]bool{}, map[int]bool{}
	var commuting map[int]bool // computed when first needed
	for _, v := range p.Values {
		if v.Op != ir.OpPermute || feeds[v.ID] {
			continue
		}
		e := v.Operands[0]
		if ev := p.Value(e); ev.Op != ir.OpEinsum || len(ev.Operands) == 0 || absorb[e] || p.IsOutput(e) || len(p.Users(e)) != 1 {
			continue
		}
		if commuting == nil {
			commuting = commutingValues(p)
		}
		if !commuting[e] {
			permRoot[v.ID], viaPerm[e] = true, true
		}
	}
	var memCap int64
	if ctx != nil {
		memCap = ctx.Opts.MemCap
	}
	return rewrite(p, func(r *rewriter, v *ir.Value, ops []int) (int, bool, error) {
		root := v // the einsum at the top of the tree
		if v.Op == ir.OpPermute && permRoot[v.ID] {
			root = r.old.Value(v.Operands[0])
		} else if v.Op != ir.OpEinsum || absorb[v.ID] || viaPerm[v.ID] || len(v.Operands) == 0 {
			return -1, false, nil
		}
		g := &einsumGroup{r: r, absorb: absorb, feeds: feeds, sizes: map[int]int{}, factor: 1, parent: map[int]int{}}
		out, err := g.expandRoot(root)
		if err != nil {
			return -1, false, err
		}
		if root != v { // result axis i is the einsum's output axis perm[i]
			perm := v.Attrs.Ints("perm")
			pout := make([]int, len(perm))
			for i, a := range perm {
				pout[i] = out[a]
			}
			out = pout
			g.absorbed = true
		}
		if len(g.leaves) == 0 {
			return -1, false, nil
		}
		return g.lower(v, out, memCap, ctx)
	})
}

// inlinable: each of the einsum's output labels occurs in an operand, so
// its result is a relabelling of a contraction (a label written twice is
// a diagonal the user's labels unify on).
func inlinable(s *ir.EinsumSpec) bool {
	in := map[int]bool{}
	for _, t := range s.In {
		for _, l := range t {
			in[l] = true
		}
	}
	for _, l := range s.Out {
		if !in[l] {
			return false
		}
	}
	return true
}

type einsumLeaf struct {
	id     int   // new id
	labels []int // group label per axis
}

// einsumGroup is one flattened einsum tree.
type einsumGroup struct {
	r        *rewriter
	absorb   map[int]bool // old einsums inlined into their user
	feeds    map[int]bool // old values whose only use leads into an einsum
	next     int          // fresh label counter
	sizes    map[int]int  // group label -> extent
	leaves   []einsumLeaf
	fills    [][]int // labels of absorbed scalar fills
	factor   float64
	absorbed bool        // a permute, scale or fill was absorbed
	nodes    int         // einsums in the tree
	nary     bool        // some einsum in the tree has more than 2 operands
	existing float64     // FLOPs of the tree as it is, in order's cost model
	parent   map[int]int // union-find: labels an inlined embedding identified
}

func (g *einsumGroup) fresh() int { g.next++; return g.next - 1 }

// find is label l's representative among the labels identified with it.
func (g *einsumGroup) find(l int) int {
	for {
		p, ok := g.parent[l]
		if !ok {
			return l
		}
		l = p
	}
}

// unify identifies labels a and b (the smaller representative wins, so the
// result does not depend on the order labels were met in).
func (g *einsumGroup) unify(a, b int) {
	a, b = g.find(a), g.find(b)
	if a == b {
		return
	}
	if b < a {
		a, b = b, a
	}
	g.parent[b] = a
}

// resolve rewrites every label to its representative.
func (g *einsumGroup) resolve(out []int) []int {
	if len(g.parent) == 0 {
		return out
	}
	res := func(ls []int) []int {
		o := make([]int, len(ls))
		for i, l := range ls {
			o[i] = g.find(l)
		}
		return o
	}
	for l, n := range g.sizes {
		g.sizes[g.find(l)] = n // identified labels have equal extents
	}
	for i := range g.leaves {
		g.leaves[i].labels = res(g.leaves[i].labels)
	}
	for i := range g.fills {
		g.fills[i] = res(g.fills[i])
	}
	return res(out)
}

// node maps one einsum's spec into group labels (out gives its output
// labels' names; nil for the root) and accounts for its cost.
func (g *einsumGroup) node(v *ir.Value, outNames []int) ([][]int, []int, error) {
	spec, err := ir.ParseEinsum(v.Attrs.String("spec"), len(v.Operands))
	if err != nil {
		return nil, nil, err
	}
	name := map[int]int{}
	for i, l := range spec.Out {
		if outNames != nil {
			if n, ok := name[l]; ok {
				g.unify(n, outNames[i]) // an embedding: the user's two axes are one
			} else {
				name[l] = outNames[i]
			}
		} else if _, ok := name[l]; !ok {
			name[l] = g.fresh()
		}
	}
	terms := make([][]int, len(spec.In))
	union := map[int]bool{}
	for k, t := range spec.In {
		terms[k] = make([]int, len(t))
		for j, l := range t {
			if _, ok := name[l]; !ok {
				name[l] = g.fresh()
			}
			terms[k][j] = name[l]
			union[name[l]] = true
		}
	}
	out := make([]int, len(spec.Out))
	summed := false
	outSet := map[int]bool{}
	for i, l := range spec.Out {
		out[i] = name[l]
		outSet[name[l]] = true
	}
	for l := range union {
		if !outSet[l] {
			summed = true
		}
	}
	// Extents come from the operand shapes (old program, same as new).
	for k, o := range v.Operands {
		s := g.r.old.Value(o).Type.Shape
		for j, l := range terms[k] {
			g.sizes[l] = s[j]
		}
	}
	for i, l := range out {
		if _, ok := g.sizes[l]; !ok {
			g.sizes[l] = v.Type.Shape[i]
		}
	}
	g.nodes++
	cost := 1.0
	for l := range union {
		cost *= float64(g.sizes[l])
	}
	switch n := len(v.Operands); {
	case n == 2 && summed:
		cost *= 2 // order's model: a multiply-add per term
	case n > 2:
		cost *= float64(n) // the naive loop nest the runtime would run
		g.nary = true
	}
	g.existing += cost
	return terms, out, nil
}

func (g *einsumGroup) expandRoot(v *ir.Value) ([]int, error) {
	terms, out, err := g.node(v, nil)
	if err != nil {
		return nil, err
	}
	for k, o := range v.Operands {
		if err := g.expandOld(o, terms[k]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// expandOld follows inlinable einsums in the old program, and the
// single-use scales and permutes between them.
func (g *einsumGroup) expandOld(oldID int, labels []int) error {
	ov := g.r.old.Value(oldID)
	if g.feeds[oldID] && (ov.Op == ir.OpScale || ov.Op == ir.OpPermute) {
		for i, l := range labels {
			g.sizes[l] = ov.Type.Shape[i]
		}
		g.absorbed = true
		if ov.Op == ir.OpScale {
			g.factor *= ov.Attrs.Float("factor")
			return g.expandOld(ov.Operands[0], labels)
		}
		perm := ov.Attrs.Ints("perm")
		xl := make([]int, len(perm))
		for i, a := range perm {
			xl[a] = labels[i]
		}
		return g.expandOld(ov.Operands[0], xl)
	}
	if g.absorb[oldID] {
		terms, _, err := g.node(ov, labels)
		if err != nil {
			return err
		}
		for k, o := range ov.Operands {
			if err := g.expandOld(o, terms[k]); err != nil {
				return err
			}
		}
		return nil
	}
	g.expandNew(g.r.m[oldID], labels)
	return nil
}

// expandNew absorbs permutes, scales and fills of the new program (what
// earlier rewrites produced is what a second run would see).
func (g *einsumGroup) expandNew(id int, labels []int) {
	nv := g.r.b.Value(id)
	for i, l := range labels {
		g.sizes[l] = nv.Type.Shape[i]
	}
	switch nv.Op {
	case ir.OpPermute:
		perm := nv.Attrs.Ints("perm")
		xl := make([]int, len(perm))
		for i, a := range perm {
			xl[a] = labels[i]
		}
		g.absorbed = true
		g.expandNew(nv.Operands[0], xl)
	case ir.OpScale:
		g.factor *= nv.Attrs.Float("factor")
		g.absorbed = true
		g.expandNew(nv.Operands[0], labels)
	case ir.OpScalar:
		g.factor *= nv.Attrs.Float("value")
		g.fills = append(g.fills, labels)
		g.absorbed = true
	default:
		g.leaves = append(g.leaves, einsumLeaf{id: id, labels: labels})
	}
}

// lower plans the group and emits it, or reports replaced=false to keep the
// tree as it is.
func (g *einsumGroup) lower(v *ir.Value, out []int, memCap int64, ctx *Context) (int, bool, error) {
	b := g.r.b
	out = g.resolve(out)
	sort.SliceStable(g.leaves, func(i, j int) bool { return g.leaves[i].id < g.leaves[j].id })
	// Canonical letters: first appearance over leaves, then output.
	letter := map[int]int{}
	name := func(l int) {
		if _, ok := letter[l]; !ok {
			letter[l] = len(letter)
		}
	}
	inLeaf := map[int]bool{}
	for _, lf := range g.leaves {
		for _, l := range lf.labels {
			name(l)
			inLeaf[l] = true
		}
	}
	outSet := map[int]bool{}
	for _, l := range out {
		name(l)
		outSet[l] = true
	}
	// Labels only a fill carries are summed over a constant: a factor.
	counted := map[int]bool{}
	for _, f := range g.fills {
		for _, l := range f {
			if !inLeaf[l] && !outSet[l] && !counted[l] {
				counted[l] = true
				g.factor *= float64(g.sizes[l])
			}
		}
	}
	if len(letter) > 52 {
		return -1, false, nil
	}
	toLetter := func(ls []int) []int {
		o := make([]int, len(ls))
		for i, l := range ls {
			o[i] = letter[l] // 0..51: order prints these as a..zA..Z
		}
		return o
	}
	outL := toLetter(out)
	if len(g.leaves) == 1 {
		return g.lowerSingle(v, toLetter(g.leaves[0].labels), outL)
	}
	prob := order.Problem{Output: outL, Sizes: map[int]int{}}
	for _, lf := range g.leaves {
		ls := toLetter(lf.labels)
		prob.Operands = append(prob.Operands, order.Operand{Labels: ls})
		for i, l := range lf.labels {
			prob.Sizes[ls[i]] = g.sizes[l]
		}
	}
	if memCap > 0 {
		prob.MemCap = max(memCap/int64(v.Type.DType.Size()), 1)
	}
	path, err := planFusion(prob)
	if err != nil && !errors.Is(err, order.ErrMemCap) {
		return -1, false, nil // unplannable (should not happen for a verified program): keep
	}
	cost := path.FLOPs
	// The alternative: sum each operand over its private labels first.
	inLabels := make([][]int, len(prob.Operands)) // each leaf's labels before the plan
	for i, o := range prob.Operands {
		inLabels[i] = o.Labels
	}
	if pre, rprob, ok := prereduce(prob); ok {
		rpath, rerr := planFusion(rprob)
		fits := rerr == nil || errors.Is(rerr, order.ErrMemCap) && path.OverCap
		if fits && pre+rpath.FLOPs < cost*(1-1e-9) {
			prob, path, cost = rprob, rpath, pre+rpath.FLOPs
		}
	}
	// Keep the tree when the plan is worse, or no better and nothing was
	// absorbed: rewriting only on improvement is what makes a second run a
	// no-op.
	if cost > g.existing*(1+1e-9) || !g.absorbed && !g.nary && cost >= g.existing*(1-1e-9) {
		return -1, false, nil
	}
	if len(g.leaves) >= 3 && ctx != nil {
		ctx.Notef("path %s %s: %s", specOf(prob), shapesOf(prob), path.String())
	}
	type cur struct {
		id     int
		labels []int
	}
	list := make([]cur, len(g.leaves))
	for i, lf := range g.leaves {
		list[i] = cur{lf.id, prob.Operands[i].Labels}
		if !slices.Equal(inLabels[i], prob.Operands[i].Labels) { // pre-reduced
			if list[i].id, err = mkEinsum(b, canonicalSpec([][]int{inLabels[i]}, prob.Operands[i].Labels), lf.id); err != nil {
				return -1, false, err
			}
		}
	}
	for _, s := range path.Steps {
		var id int
		if s.Right < 0 {
			a := list[s.Left]
			id, err = mkEinsum(b, canonicalSpec([][]int{a.labels}, s.Result), a.id)
			list = slices.Delete(list, s.Left, s.Left+1)
		} else {
			x, y := list[s.Left], list[s.Right]
			if x.id > y.id { // operands in program order: a stable, canonical form
				x, y = y, x
			}
			id, err = mkEinsum(b, canonicalSpec([][]int{x.labels, y.labels}, s.Result), x.id, y.id)
			list = slices.Delete(list, s.Right, s.Right+1)
			list = slices.Delete(list, s.Left, s.Left+1)
		}
		if err != nil {
			return -1, false, err
		}
		list = append(list, cur{id, s.Result})
	}
	if len(list) != 1 {
		return -1, false, fmt.Errorf("contraction path left %d operands", len(list))
	}
	res, err := g.finish(v, list[0].id, list[0].labels, outL)
	return res, err == nil, err
}

// fusionDPOperands is the largest operand count fusion plans exactly (order's
// DP) rather than greedily: DP at 10 operands is 3^10 = 59049 splits, a
// few hundred microseconds, and only trees that large pay it.
const fusionDPOperands = 10

// planFusion plans p exactly up to fusionDPOperands operands, through
// order.Plan (greedy) beyond.
func planFusion(p order.Problem) (order.Path, error) {
	if n := len(p.Operands); n >= 2 && n <= fusionDPOperands {
		return order.DP(p)
	}
	return order.Plan(p)
}

// prereduce returns p with every operand summed over the labels only it
// carries (not the output, not another operand), and what those unary
// reductions cost in order's model (the operand's element count); ok=false
// when no operand has such a label. Summing u and w before their outer
// product (a,b-> as a-> and b->) is the typical win order cannot see.
func prereduce(p order.Problem) (float64, order.Problem, bool) {
	uses := map[int]int{} // label -> operands carrying it
	for _, o := range p.Operands {
		seen := map[int]bool{}
		for _, l := range o.Labels {
			if !seen[l] {
				seen[l] = true
				uses[l]++
			}
		}
	}
	for _, l := range p.Output {
		uses[l] += len(p.Operands) + 1 // never private
	}
	q := order.Problem{Output: p.Output, Sizes: p.Sizes, MemCap: p.MemCap}
	cost, any := 0.0, false
	for _, o := range p.Operands {
		var keep []int
		elems := 1.0
		seen := map[int]bool{}
		for _, l := range o.Labels {
			if seen[l] {
				continue
			}
			seen[l] = true
			elems *= float64(p.Sizes[l])
			if uses[l] > 1 {
				keep = append(keep, l)
			}
		}
		if len(keep) == len(seen) {
			q.Operands = append(q.Operands, o)
			continue
		}
		any = true
		cost += elems
		q.Operands = append(q.Operands, order.Operand{Labels: keep})
	}
	return cost, q, any
}

// lowerSingle handles a tree that reduces to one operand.
func (g *einsumGroup) lowerSingle(v *ir.Value, in, out []int) (int, bool, error) {
	perm, isPerm := permutationOf(in, out)
	if !isPerm && !g.absorbed && g.nodes == 1 {
		return -1, false, nil // a lone unary einsum: nothing to gain
	}
	var id int
	var err error
	if isPerm {
		id, err = mkPermute(g.r.b, g.leaves[0].id, perm)
	} else {
		id, err = g.r.b.AddTyped(ir.OpEinsum, ir.Attrs{"spec": canonicalSpec([][]int{in}, out)}, withShape(v.Type, v.Type.Shape), g.leaves[0].id)
	}
	if err != nil {
		return -1, false, err
	}
	id, err = mkScale(g.r.b, id, g.factor)
	return id, err == nil, err
}

// finish maps the path's final labels to the output (adding output-only
// and repeated labels with one unary einsum) and applies the factor.
func (g *einsumGroup) finish(v *ir.Value, id int, labels, out []int) (int, error) {
	var err error
	if !slices.Equal(labels, out) {
		if perm, ok := permutationOf(labels, out); ok {
			id, err = mkPermute(g.r.b, id, perm)
		} else {
			id, err = g.r.b.AddTyped(ir.OpEinsum, ir.Attrs{"spec": canonicalSpec([][]int{labels}, out)}, withShape(v.Type, v.Type.Shape), id)
		}
		if err != nil {
			return -1, err
		}
	}
	return mkScale(g.r.b, id, g.factor)
}

// permutationOf returns perm with out[i] = in[perm[i]] when in and out are
// the same distinct labels in some order.
func permutationOf(in, out []int) ([]int, bool) {
	if len(in) != len(out) {
		return nil, false
	}
	pos := map[int]int{}
	for i, l := range in {
		if _, dup := pos[l]; dup {
			return nil, false
		}
		pos[l] = i
	}
	perm := make([]int, len(out))
	seen := map[int]bool{}
	for i, l := range out {
		j, ok := pos[l]
		if !ok || seen[l] {
			return nil, false
		}
		seen[l] = true
		perm[i] = j
	}
	return perm, true
}

// labelRune names label number n (0..51) a..z then A..Z.
func labelRune(n int) int {
	if n < 26 {
		return 'a' + n
	}
	return 'A' + n - 26
}

// canonicalSpec prints a spec with labels renamed a, b, c ... in order of
// first appearance, so equal contractions print (and CSE) equally whatever
// names the planner used.
func canonicalSpec(in [][]int, out []int) string {
	m := map[int]int{}
	ren := func(ls []int) []int {
		o := make([]int, len(ls))
		for i, l := range ls {
			if _, ok := m[l]; !ok {
				m[l] = labelRune(len(m))
			}
			o[i] = m[l]
		}
		return o
	}
	s := &ir.EinsumSpec{Out: nil}
	for _, t := range in {
		s.In = append(s.In, ren(t))
	}
	s.Out = ren(out)
	return s.String()
}

func specOf(p order.Problem) string {
	runes := func(ls []int) []int {
		o := make([]int, len(ls))
		for i, l := range ls {
			o[i] = labelRune(l)
		}
		return o
	}
	s := &ir.EinsumSpec{Out: runes(p.Output)}
	for _, o := range p.Operands {
		s.In = append(s.In, runes(o.Labels))
	}
	return s.String()
}

func shapesOf(p order.Problem) string {
	parts := make([]string, len(p.Operands))
	for i, o := range p.Operands {
		dims := make([]string, len(o.Labels))
		for j, l := range o.Labels {
			dims[j] = fmt.Sprint(p.Sizes[l])
		}
		parts[i] = "[" + strings.Join(dims, ",") + "]"
	}
	return strings.Join(parts, " ")
}
