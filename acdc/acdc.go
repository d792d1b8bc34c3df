package acdc

import (
	"context"
	"fmt"
	"slices"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/transformer"
)

// Options configure Run.
type Options struct {
	Metric    Metric
	Threshold float64
	// Correct and Wrong are the token ids of the logit difference.
	Correct, Wrong int64
	// DType of the evaluation (float32 by default).
	DType tensor.DType
}

// Result is the circuit ACDC keeps.
type Result struct {
	// Edges kept on a path from embed to logits, sorted by receiver then sender.
	Edges []Edge
	// Full, Pruned and Corrupt are the metric's value (KL from the full
	// model, or the logit difference) for the full model, the pruned
	// circuit and the fully corrupted model.
	Full, Pruned, Corrupt float64
	// Evaluations counts circuits evaluated; Steps counts EvaluateMany calls.
	Evaluations, Steps int
	// Graph holds every edge left after pruning.
	Graph *Graph
}

// Run is ACDC on m: clean and corrupt are int64 token ids [seq] of one
// length; the metric is read at the last position.
func Run(ctx context.Context, m *transformer.Model, clean, corrupt *tensor.Tensor, opts Options) (*Result, error) {
	cfg := m.Config
	if _, err := ParseMetric(string(opts.Metric)); err != nil {
		return nil, err
	}
	if opts.Threshold < 0 {
		return nil, fmt.Errorf("threshold %g is negative", opts.Threshold)
	}
	if opts.Metric == LogitDiff {
		for _, id := range []int64{opts.Correct, opts.Wrong} {
			if id < 0 || id >= int64(cfg.Vocab) {
				return nil, fmt.Errorf("token id %d is outside the vocabulary of %d", id, cfg.Vocab)
			}
		}
	}
	ct, err := checkTokens(cfg, "clean", clean)
	if err != nil {
		return nil, err
	}
	xt, err := checkTokens(cfg, "corrupt", corrupt)
	if err != nil {
		return nil, err
	}
	if len(ct) != len(xt) {
		return nil, fmt.Errorf("clean has %d tokens, corrupt %d: want one length", len(ct), len(xt))
	}
	gr, err := NewGraph(cfg)
	if err != nil {
		return nil, err
	}
	return run(ctx, m, gr, ct, xt, opts, false)
}

// run is Run after the checks; unbatched evaluates every variant as its
// own circuit (the reference the batched plans are tested against).
func run(ctx context.Context, m *transformer.Model, gr *Graph, clean, corrupt []int64, opts Options, unbatched bool) (*Result, error) {
	r, err := newRunner(ctx, m, gr, clean, corrupt, opts)
	if err != nil {
		return nil, err
	}
	r.unbatched = unbatched
	r.sc = newScorer(opts.Metric, int(opts.Correct), int(opts.Wrong), r.logits[0])
	res := &Result{Full: r.sc.value(r.logits[0]), Corrupt: r.sc.value(r.logits[1]), Graph: gr}
	if err := r.prune(); err != nil {
		return nil, err
	}
	outs, err := r.eval(1, r.row(gr.Has))
	if err != nil {
		return nil, err
	}
	res.Pruned = r.sc.value(outs[0])
	if res.Edges, err = gr.Connected(); err != nil {
		return nil, err
	}
	res.Evaluations, res.Steps = r.evals, r.steps
	return res, nil
}

// checkTokens refuses anything but int64 ids [seq] inside the vocabulary.
func checkTokens(cfg transformer.Config, what string, t *tensor.Tensor) ([]int64, error) {
	if t.DType() != tensor.Int64 || t.Rank() != 1 || t.Size() == 0 {
		return nil, fmt.Errorf("%s tokens: %v %v, want int64 ids of shape [seq]", what, t.DType(), t.Shape())
	}
	if t.Size() > cfg.Ctx {
		return nil, fmt.Errorf("%s tokens: %d tokens is more than the %d positions", what, t.Size(), cfg.Ctx)
	}
	ids := t.Int64s()
	for i, id := range ids {
		if id < 0 || id >= int64(cfg.Vocab) {
			return nil, fmt.Errorf("%s tokens: id %d at position %d is outside the vocabulary of %d", what, id, i, cfg.Vocab)
		}
	}
	return ids, nil
}

// runner holds the state of one ACDC pass.
type runner struct {
	ctx       context.Context
	f         *forward // the clean run, batched over variants
	u         *forward // one run, unbatched
	gr        *Graph
	opts      Options
	sc        *scorer
	clean     map[string]circuit.Circuit // every component's output in the full clean run, as Arrays
	corrupt   map[string]circuit.Circuit // and in the full corrupt run
	cleanT    map[string][]float64       // the same outputs' values
	corruptT  map[string][]float64
	logits    [2][]float64             // the clean and corrupt runs' logits
	order     map[string]int           // each component's position in the forward order
	edges     []Edge                   // every edge of the full graph, in mask column order
	index     map[Edge]int             // its column
	plans     map[[2]int]*circopt.Plan // by first computed component and variant count
	unbatched bool
	evals     int
	steps     int
}

// maskName is the Symbol bound to the variants' edge masks [variants, edges].
const maskName = "acdc.mask"

func newRunner(ctx context.Context, m *transformer.Model, gr *Graph, clean, corrupt []int64, opts Options) (*runner, error) {
	f := &forward{cfg: m.Config, w: map[string]circuit.Circuit{}, seq: len(clean), bp: "b"}
	var err error
	for n, t := range m.Weights {
		if f.w[n], err = circuit.NewArray(t, n); err != nil {
			return nil, fmt.Errorf("weight %s: %w", n, err)
		}
	}
	if f.mask, err = transformer.CausalMask(len(clean)); err != nil {
		return nil, err
	}
	u := *f
	u.bp = ""
	r := &runner{ctx: ctx, f: f, u: &u, gr: gr, opts: opts, order: map[string]int{}, index: map[Edge]int{}, plans: map[[2]int]*circopt.Plan{}}
	for i, n := range gr.Components() {
		r.order[n] = i
	}
	if err := r.constants(clean, corrupt); err != nil {
		return nil, err
	}
	if r.edges, err = gr.Edges(); err != nil {
		return nil, err
	}
	for i, e := range r.edges {
		r.index[e] = i
	}
	return r, nil
}

// constants evaluates the full clean and corrupt runs once, so that every
// plan reads their outputs as Arrays instead of computing them again.
func (r *runner) constants(clean, corrupt []int64) error {
	names := r.gr.Components()
	var roots []circuit.Circuit
	for _, toks := range [][]int64{clean, corrupt} {
		out := r.u.run(r.gr, map[string]circuit.Circuit{Embed: r.u.embed(toks)}, r.u.whole())
		if r.u.err != nil {
			return r.u.err
		}
		for _, n := range names {
			roots = append(roots, out[n])
		}
	}
	ts, err := circopt.EvaluateManyContext(r.ctx, roots, nil, circopt.Options{DType: r.opts.DType})
	if err != nil {
		return fmt.Errorf("acdc: clean and corrupt runs: %w", err)
	}
	r.evals += 2
	r.clean, r.corrupt = map[string]circuit.Circuit{}, map[string]circuit.Circuit{}
	r.cleanT, r.corruptT = map[string][]float64{}, map[string][]float64{}
	for k, dst := range []map[string]circuit.Circuit{r.clean, r.corrupt} {
		for i, n := range names {
			t := ts[k*len(names)+i]
			if dst[n], err = circuit.NewArray(t, []string{"clean.", "corrupt."}[k]+n); err != nil {
				return err
			}
			[]map[string][]float64{r.cleanT, r.corruptT}[k][n] = t.Cast(tensor.Float64).Float64s()
		}
	}
	r.logits = [2][]float64{r.cleanT[Logits], r.corruptT[Logits]}
	return nil
}

// masked is the clean run over b variants from the component at forward
// position start on (the earlier ones are the clean run's): edge e of
// variant i is kept where mask[i, e] is 1 and patched to the corrupt sender
// output where it is 0 (input = corrupt + mask·(clean − corrupt)). The
// edges from the clean run's components enter as one contraction per
// receiver: Σ corrupt + mask[:, their columns]·(clean − corrupt) stacked.
func (r *runner) masked(start, b int) (map[string]circuit.Circuit, error) {
	sym, err := circuit.NewSymbol([]int{b, len(r.edges)}, "", maskName)
	if err != nil {
		return nil, err
	}
	f := r.f
	cols := func(e Edge, n int) circuit.Circuit {
		return f.index("", sym, circuit.All(), circuit.Slice(r.index[e], r.index[e]+n))
	}
	edge := f.perEdge(r.corrupt, func(e Edge, out, cor circuit.Circuit) circuit.Circuit {
		col := f.ok(circuit.Unsqueeze("", cols(e, 1), -1)) // [b, 1, 1] broadcasts over positions and features
		return f.add("", cor, f.ok(circuit.Mul("", col, f.ok(circuit.Sub("", out, cor)))))
	})
	in := func(recv string, senders []string, out map[string]circuit.Circuit, last bool) []circuit.Circuit {
		n := 0
		for n < len(senders) && r.order[senders[n]] < start {
			n++
		}
		terms := edge(recv, senders[n:], out, last)
		if n == 0 {
			return terms
		}
		base, diff, err := r.stack(senders[:n], last)
		if err != nil {
			f.ok(nil, err)
			return nil
		}
		// Edges into recv are sorted by sender, so the clean run's senders' columns are adjacent.
		return append(terms, base, f.einsum("", "Be,esd->Bsd", cols(Edge{senders[0], recv}, n), diff))
	}
	known := map[string]circuit.Circuit{}
	for n, i := range r.order {
		if i < start {
			known[n] = r.clean[n]
		}
	}
	out := f.run(r.gr, known, in)
	return out, f.err
}

// stack is Σ corrupt output over senders, and (clean − corrupt) output
// stacked [senders, positions, hidden], as a receiver sees them.
func (r *runner) stack(senders []string, last bool) (circuit.Circuit, circuit.Circuit, error) {
	seq, d := r.f.seq, r.f.cfg.Hidden
	if last {
		seq = 1
	}
	sum := make([]float64, seq*d)
	diff := make([]float64, 0, len(senders)*seq*d)
	for _, s := range senders {
		cl, co := r.cleanT[s], r.corruptT[s]
		cl, co = cl[len(cl)-seq*d:], co[len(co)-seq*d:] // the last positions
		for i := range sum {
			sum[i] += co[i]
			diff = append(diff, cl[i]-co[i])
		}
	}
	st, err := tensor.FromFloat64([]int{seq, d}, sum)
	if err != nil {
		return nil, nil, err
	}
	dt, err := tensor.FromFloat64([]int{len(senders), seq, d}, diff)
	if err != nil {
		return nil, nil, err
	}
	base, err := circuit.NewArray(st, "")
	if err != nil {
		return nil, nil, err
	}
	stacked, err := circuit.NewArray(dt, "")
	return base, stacked, err
}

// plan is a compiled masked run's logits from start on, for at least b
// variants: a plan already compiled for up to a quarter more variants is
// reused (the extra rows are padding), since a compile costs more than a
// few rows.
func (r *runner) plan(start, b int) (*circopt.Plan, int, error) {
	best := 0
	for k := range r.plans {
		if n := k[1]; k[0] == start && n >= b && n <= b+b/4+1 && (best == 0 || n < best) {
			best = n
		}
	}
	if best > 0 {
		return r.plans[[2]int{start, best}], best, nil
	}
	out, err := r.masked(start, b)
	if err != nil {
		return nil, 0, err
	}
	p, err := circopt.Compile([]circuit.Circuit{out[Logits]}, circopt.Options{DType: r.opts.DType})
	if err != nil {
		return nil, 0, fmt.Errorf("acdc: compile: %w", err)
	}
	r.plans[[2]int{start, b}] = p
	return p, b, nil
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
// components before forward position start) and returns each variant's
// last-position logits in float64.
func (r *runner) eval(start int, rows ...[]float32) ([][]float64, error) {
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
	p, n, err := r.plan(start, len(rows))
	if err != nil {
		return nil, err
	}
	padded := slices.Clone(rows)
	for len(padded) < n {
		padded = append(padded, rows[0])
	}
	t, err := tensor.FromFloat32([]int{n, len(r.edges)}, slices.Concat(padded...))
	if err != nil {
		return nil, err
	}
	ts, _, err := p.RunContext(r.ctx, map[string]*tensor.Tensor{maskName: t})
	if err != nil {
		return nil, fmt.Errorf("acdc: evaluation: %w", err)
	}
	flat := ts[0].Cast(tensor.Float64).Float64s()
	v := len(flat) / n
	out := make([][]float64, len(rows))
	for i := range out {
		out[i] = flat[i*v : (i+1)*v]
	}
	return out, nil
}

// evalEach evaluates every variant as its own circuit, the whole model
// from the embedding, with each patched edge reading the corrupt Array
// (one EvaluateMany: shared work is computed once).
func (r *runner) evalEach(rows [][]float32) ([][]float64, error) {
	u := r.u
	cs := make([]circuit.Circuit, len(rows))
	for k, row := range rows {
		in := u.perEdge(r.corrupt, func(e Edge, o, cor circuit.Circuit) circuit.Circuit {
			if row[r.index[e]] == 1 {
				return o
			}
			return cor
		})
		out := u.run(r.gr, map[string]circuit.Circuit{Embed: r.clean[Embed]}, in)
		if u.err != nil {
			return nil, u.err
		}
		cs[k] = out[Logits]
	}
	ts, err := circopt.EvaluateManyContext(r.ctx, cs, nil, circopt.Options{DType: r.opts.DType})
	if err != nil {
		return nil, fmt.Errorf("acdc: evaluation: %w", err)
	}
	out := make([][]float64, len(rows))
	for k, t := range ts {
		out[k] = t.Cast(tensor.Float64).Float64s()
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
	var cands []Edge
	for _, recv := range recvs {
		senders, err := r.gr.Senders(recv)
		if err != nil {
			return err
		}
		unread := recv != Logits && !r.sends(recv)
		for _, s := range senders {
			e := Edge{s, recv}
			if unread {
				// Nothing reads recv's output: its inputs cannot matter.
				if err := r.gr.Remove(e); err != nil {
					return err
				}
				continue
			}
			cands = append(cands, e)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	rows := [][]float32{r.row(r.gr.Has)}
	for _, drop := range cands {
		rows = append(rows, r.row(func(e Edge) bool { return e != drop && r.gr.Has(e) }))
	}
	start := len(r.order)
	for _, recv := range recvs {
		start = min(start, r.order[recv])
	}
	outs, err := r.eval(start, rows...)
	if err != nil {
		return err
	}
	cur := r.sc.damage(outs[0])
	for i, e := range cands {
		if r.sc.damage(outs[i+1])-cur < r.opts.Threshold {
			if err := r.gr.Remove(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// sends reports whether any edge still leaves c.
func (r *runner) sends(c string) bool {
	am, err := r.gr.g.AdjacencyMap()
	return err == nil && len(am[c]) > 0
}
