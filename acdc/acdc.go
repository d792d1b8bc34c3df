package acdc

import (
	"context"
	"errors"
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
	r, err := newRunner(ctx, m, gr, ct, xt, opts)
	if err != nil {
		return nil, err
	}
	all, none := r.row(func(Edge) bool { return true }), r.row(func(Edge) bool { return false })
	outs, err := r.eval(all, none)
	if err != nil {
		return nil, err
	}
	r.sc = newScorer(opts.Metric, int(opts.Correct), int(opts.Wrong), outs[0])
	res := &Result{Full: r.sc.value(outs[0]), Corrupt: r.sc.value(outs[1]), Graph: gr}
	if err := r.prune(); err != nil {
		return nil, err
	}
	if outs, err = r.eval(r.row(gr.Has)); err != nil {
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
	ctx     context.Context
	f       *forward // the clean run, batched over variants
	gr      *Graph
	opts    Options
	sc      *scorer
	embed   circuit.Circuit
	corrupt map[string]circuit.Circuit
	edges   []Edge       // every edge of the full graph, in mask column order
	index   map[Edge]int // its column
	plans   map[int]*circopt.Plan
	evals   int
	steps   int
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
	cf := *f
	cf.bp = ""
	r := &runner{ctx: ctx, f: f, gr: gr, opts: opts, index: map[Edge]int{}, plans: map[int]*circopt.Plan{}}
	cor := cf.run(gr, cf.embed(corrupt), whole)
	r.embed = f.embed(clean)
	if cf.err != nil || f.err != nil {
		return nil, errors.Join(cf.err, f.err)
	}
	if r.corrupt, err = r.constants(cor); err != nil {
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

// constants evaluates the corrupt run once, so that every plan reads its
// outputs as Arrays instead of folding the run again.
func (r *runner) constants(cs map[string]circuit.Circuit) (map[string]circuit.Circuit, error) {
	names := r.gr.Components()
	roots := make([]circuit.Circuit, len(names))
	for i, n := range names {
		roots[i] = cs[n]
	}
	ts, err := circopt.EvaluateManyContext(r.ctx, roots, nil, circopt.Options{DType: r.opts.DType})
	if err != nil {
		return nil, fmt.Errorf("acdc: corrupt run: %w", err)
	}
	r.evals++
	out := make(map[string]circuit.Circuit, len(names))
	for i, n := range names {
		if out[n], err = circuit.NewArray(ts[i], "corrupt."+n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// masked is the clean run over b variants: edge e of variant i is kept
// where mask[i, e] is 1 and patched to the corrupt sender output where it
// is 0 (input = corrupt + mask·(clean − corrupt)).
func (r *runner) masked(b int) (map[string]circuit.Circuit, error) {
	sym, err := circuit.NewSymbol([]int{b, len(r.edges)}, "", maskName)
	if err != nil {
		return nil, err
	}
	f := r.f
	in := func(e Edge, out circuit.Circuit) circuit.Circuit {
		cor := r.corrupt[e.Sender]
		col := f.index("", sym, circuit.All(), circuit.Slice(r.index[e], r.index[e]+1))
		col = f.ok(circuit.Unsqueeze("", col, -1)) // [b, 1, 1] broadcasts over positions and features
		return f.add("", cor, f.ok(circuit.Mul("", col, f.ok(circuit.Sub("", out, cor)))))
	}
	out := f.run(r.gr, r.embed, in)
	return out, f.err
}

// plan is a compiled masked run's logits for at least b variants: a plan
// already compiled for up to a quarter more variants is reused (the extra
// rows are padding), since a compile costs more than a few rows.
func (r *runner) plan(b int) (*circopt.Plan, int, error) {
	best := 0
	for n := range r.plans {
		if n >= b && n <= b+b/4+1 && (best == 0 || n < best) {
			best = n
		}
	}
	if best > 0 {
		return r.plans[best], best, nil
	}
	out, err := r.masked(b)
	if err != nil {
		return nil, 0, err
	}
	p, err := circopt.Compile([]circuit.Circuit{out[Logits]}, circopt.Options{DType: r.opts.DType})
	if err != nil {
		return nil, 0, fmt.Errorf("acdc: compile: %w", err)
	}
	r.plans[b] = p
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

// eval runs the variants (one mask row each) through one plan run and
// returns each variant's last-position logits in float64.
func (r *runner) eval(rows ...[]float32) ([][]float64, error) {
	p, n, err := r.plan(len(rows))
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
	r.evals += len(rows)
	r.steps++
	flat := ts[0].Cast(tensor.Float64).Float64s()
	v := len(flat) / n
	out := make([][]float64, len(rows))
	for i := range out {
		out[i] = flat[i*v : (i+1)*v]
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
	outs, err := r.eval(rows...)
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
