package acdc

import (
	"context"
	"fmt"
	"slices"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// runner holds the state of one ACDC pass.
type runner struct {
	*compiled
	ctx       context.Context
	gr        *Graph
	dt        tensor.DType
	threshold float64
	sc        *scorer
	cleanT    map[string][]float64 // every component's output in the full clean run
	corruptT  map[string][]float64 // and in the full corrupt run
	bound     map[int]map[string]*tensor.Tensor
	unbatched bool
	evals     int
	steps     int
}

func (d *Discoverer) newRunner(ctx context.Context, gr *Graph, clean, corrupt []int64) (*runner, error) {
	c, err := d.compiledFor(len(clean))
	if err != nil {
		return nil, err
	}
	r := &runner{compiled: c, ctx: ctx, gr: gr, dt: d.opts.DType, threshold: d.opts.Threshold, bound: map[int]map[string]*tensor.Tensor{}}
	if err := r.constants(d.embed(clean), d.embed(corrupt)); err != nil {
		return nil, err
	}
	return r, nil
}

// embed is the token embeddings [seq, hidden], plus the positional ones
// unless the heads read those (shortformer).
func (d *Discoverer) embed(ids []int64) []float64 {
	h := d.m.Config.Hidden
	out := make([]float64, len(ids)*h)
	for p, id := range ids {
		copy(out[p*h:][:h], d.tok[int(id)*h:][:h])
		if d.pos != nil {
			pos := d.pos[p*h:][:h]
			for i := range h {
				out[p*h+i] += pos[i]
			}
		}
	}
	return out
}

// constants runs the full clean and corrupt runs once (one plan run, two
// variants); every step reads their outputs.
func (r *runner) constants(clean, corrupt []float64) error {
	emb, err := r.input([]int{2, r.f.seq, r.f.cfg.Hidden}, append(clean, corrupt...))
	if err != nil {
		return err
	}
	ts, _, err := r.consts.RunContext(r.ctx, map[string]*tensor.Tensor{embedName: emb})
	if err != nil {
		return fmt.Errorf("acdc: clean and corrupt runs: %w", err)
	}
	r.evals += 2
	r.cleanT, r.corruptT = map[string][]float64{Embed: clean}, map[string][]float64{Embed: corrupt}
	for i, n := range r.full.Components()[1:] {
		v := ts[i].Float64s()
		r.cleanT[n], r.corruptT[n] = v[:len(v)/2], v[len(v)/2:]
	}
	return nil
}

// bindings are the run-time inputs of the plans from forward position
// start on, but the mask: base and diff of the components before start as
// every position and the last one see them, and the corrupt outputs of the
// components the plans compute.
func (r *runner) bindings(start int) (map[string]*tensor.Tensor, error) {
	if b, ok := r.bound[start]; ok {
		return b, nil
	}
	b := map[string]*tensor.Tensor{}
	comps := r.full.Components()
	for _, c := range comps[start : len(comps)-1] {
		t, err := r.input(r.outShape(c), r.corruptT[c])
		if err != nil {
			return nil, err
		}
		b[corruptPref+c] = t
	}
	for _, recv := range r.full.Receivers() {
		if r.order[recv] < start {
			continue
		}
		senders := r.from[recv]
		if comp := senders[r.before(senders, start):]; len(comp) > 0 {
			sum, _, err := r.stack(comp, r.seqSeen(r.f.reads(recv)), true)
			if err != nil {
				return nil, err
			}
			b[corsumPrefix+recv] = sum
		}
	}
	for _, last := range []bool{false, true} {
		if !last && slices.ContainsFunc(comps[:start], r.f.lastOnly) {
			continue // no receiver after a last-position-only one reads every position
		}
		var err error
		n := seenName(last)
		if b[basePrefix+n], b[diffPrefix+n], err = r.stack(comps[:start], r.seqSeen(last), false); err != nil {
			return nil, err
		}
	}
	r.bound[start] = b
	return b, nil
}

// stack is Σ corrupt output over senders [seq, hidden], and (unless
// sumOnly) clean − corrupt output stacked [senders, seq, hidden], at the
// last seq positions.
func (r *runner) stack(senders []string, seq int, sumOnly bool) (*tensor.Tensor, *tensor.Tensor, error) {
	h := r.f.cfg.Hidden
	sum := make([]float64, seq*h)
	var diff []float64
	if !sumOnly {
		diff = make([]float64, 0, len(senders)*seq*h)
	}
	for _, s := range senders {
		cl, co := r.cleanT[s], r.corruptT[s]
		cl, co = cl[len(cl)-seq*h:], co[len(co)-seq*h:]
		for i := range sum {
			sum[i] += co[i]
		}
		if !sumOnly {
			for i := range sum {
				diff = append(diff, cl[i]-co[i])
			}
		}
	}
	st, err := r.input([]int{seq, h}, sum)
	if err != nil || sumOnly {
		return st, nil, err
	}
	dt, err := r.input([]int{len(senders), seq, h}, diff)
	return st, dt, err
}

// input is a plan input in the plans' dtype, so runs bind it without a cast.
func (r *runner) input(shape []int, v []float64) (*tensor.Tensor, error) {
	if r.dt == tensor.Float64 {
		return tensor.FromFloat64(shape, v)
	}
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return tensor.FromFloat32(shape, f)
}

// row is one variant's mask: 1 for each edge keep says is kept.
func (r *runner) row(keep func(Edge) bool) []float32 {
	m := make([]float32, len(r.edges))
	for i, e := range r.edges {
		if keep(e) {
			m[i] = 1
		}
	}
	return m
}

// eval runs the variants (one mask row each, keeping every edge into the
// components before forward position start; laid out by stepRows(layout)
// unless layout is nil) and returns each variant's last-position logits in
// float64.
func (r *runner) eval(start int, layout []string, rows ...[]float32) ([][]float64, error) {
	for _, row := range rows {
		for i, e := range r.edges {
			if row[i] != 1 && r.order[e.Receiver] < start {
				return nil, fmt.Errorf("acdc: edge %s is patched before the first computed component %d", e, start)
			}
		}
	}
	r.evals += len(rows)
	r.steps++
	if r.unbatched {
		return r.evalEach(rows)
	}
	p, n, err := r.plan(start, len(rows), layout, r.dt)
	if err != nil {
		return nil, err
	}
	bound, err := r.bindings(start)
	if err != nil {
		return nil, err
	}
	padded := slices.Clone(rows)
	for len(padded) < n {
		padded = append(padded, rows[0])
	}
	mask, err := tensor.FromFloat32([]int{n, len(r.edges)}, slices.Concat(padded...))
	if err != nil {
		return nil, err
	}
	in := map[string]*tensor.Tensor{maskName: mask}
	for k, t := range bound {
		in[k] = t
	}
	ts, _, err := p.RunContext(r.ctx, in)
	if err != nil {
		return nil, fmt.Errorf("acdc: evaluation: %w", err)
	}
	flat := ts[0].Float64s()
	v := len(flat) / n
	out := make([][]float64, len(rows))
	for i := range out {
		out[i] = flat[i*v : (i+1)*v]
	}
	return out, nil
}

// evalEach evaluates every variant as its own circuit, the whole model
// from the embedding, with each patched edge reading the corrupt output as
// an Array (one EvaluateMany: shared work is computed once).
func (r *runner) evalEach(rows [][]float32) ([][]float64, error) {
	u := r.u
	arrays := map[string]circuit.Circuit{}
	for _, n := range r.full.Components() {
		for _, src := range []struct {
			name string
			v    map[string][]float64
		}{{"clean." + n, r.cleanT}, {"corrupt." + n, r.corruptT}} {
			t, err := tensor.FromFloat64(r.outShape(n), src.v[n])
			if err != nil {
				return nil, err
			}
			if arrays[src.name], err = circuit.NewArray(t, src.name); err != nil {
				return nil, err
			}
		}
	}
	corrupt := map[string]circuit.Circuit{}
	for _, n := range r.full.Components() {
		corrupt[n] = arrays["corrupt."+n]
	}
	cs := make([]circuit.Circuit, len(rows))
	for k, row := range rows {
		in := u.perEdge(corrupt, func(e Edge, o, cor circuit.Circuit) circuit.Circuit {
			if row[r.index[e]] == 1 {
				return o
			}
			return cor
		})
		out := u.run(r.gr, map[string]circuit.Circuit{Embed: arrays["clean."+Embed]}, in)
		if u.err != nil {
			return nil, u.err
		}
		cs[k] = out[Logits]
	}
	ts, err := circopt.EvaluateManyContext(r.ctx, cs, nil, circopt.Options{DType: r.dt})
	if err != nil {
		return nil, fmt.Errorf("acdc: evaluation: %w", err)
	}
	out := make([][]float64, len(rows))
	for k, t := range ts {
		out[k] = t.Float64s()
	}
	return out, nil
}

// prune visits receivers from the output backwards; the heads of one
// layer (which do not read each other) form one step. At each step the
// current circuit and every single-edge removal into the step's receivers
// evaluate together in one plan run, and each edge whose removal raises the
// damage by less than the threshold goes.
func (r *runner) prune() error {
	order, err := r.gr.ReverseOrder()
	if err != nil {
		return err
	}
	order = slices.DeleteFunc(order, func(n string) bool { _, ok := r.from[n]; return !ok }) // receivers only
	for len(order) > 0 {
		n := 1
		for n < len(order) && sameLayerHeads(order[0], order[n]) {
			n++
		}
		if err := r.step(order[:n]); err != nil {
			return err
		}
		order = order[n:]
	}
	return nil
}

// step judges every edge into the receivers recvs.
func (r *runner) step(recvs []string) error {
	recvs = slices.Clone(recvs)
	slices.SortFunc(recvs, func(a, b string) int { return r.rank[a] - r.rank[b] })
	am, err := r.gr.g.AdjacencyMap()
	if err != nil {
		return err
	}
	unread := map[string]bool{}
	for _, recv := range recvs {
		if recv == Logits || len(am[compOf(recv)]) > 0 {
			continue
		}
		// Nothing reads recv's output: its inputs cannot matter.
		unread[recv] = true
		senders, err := r.gr.Senders(recv)
		if err != nil {
			return err
		}
		for _, s := range senders {
			if err := r.gr.Remove(Edge{s, recv}); err != nil {
				return err
			}
		}
	}
	// Several receivers take stepRows' layout: one row per edge of the
	// full graph, rows of unread receivers repeating the current circuit.
	var layout []string
	if len(recvs) > 1 {
		layout = recvs
	}
	cur := r.row(r.gr.Has)
	rows, cands, pads := [][]float32{cur}, map[int]Edge{}, 0
	for _, recv := range recvs {
		for _, s := range r.from[recv] {
			switch e := (Edge{s, recv}); {
			case !unread[recv]:
				cands[len(rows)] = e
				row := slices.Clone(cur)
				row[r.index[e]] = 0
				rows = append(rows, row)
			case layout != nil:
				pads++
				rows = append(rows, cur)
			}
		}
	}
	if len(cands) == 0 {
		return nil
	}
	outs, err := r.eval(r.order[recvs[0]], layout, rows...)
	if err != nil {
		return err
	}
	r.evals -= pads
	base := r.sc.damage(outs[0])
	for i := 1; i < len(rows); i++ {
		if e, ok := cands[i]; ok && r.sc.damage(outs[i])-base < r.threshold {
			if err := r.gr.Remove(e); err != nil {
				return err
			}
		}
	}
	return nil
}
