package acdc

import (
	"context"
	"fmt"

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
	f := &forward{cfg: cfg, w: map[string]circuit.Circuit{}, seq: len(ct)}
	for n, t := range m.Weights {
		if f.w[n], err = circuit.NewArray(t, n); err != nil {
			return nil, fmt.Errorf("weight %s: %w", n, err)
		}
	}
	if f.mask, err = causalMask(len(ct)); err != nil {
		return nil, err
	}
	r := &runner{ctx: ctx, f: f, gr: gr, opts: opts}
	cleanEmbed := f.embed(ct)
	r.corrupt = f.run(gr, f.embed(xt), nil, nil)
	full := f.run(gr, cleanEmbed, nil, nil)
	if f.err != nil {
		return nil, f.err
	}
	outs, err := r.eval(full[Logits], r.corrupt[Logits])
	if err != nil {
		return nil, err
	}
	r.sc = newScorer(opts.Metric, int(opts.Correct), int(opts.Wrong), outs[0])
	res := &Result{Full: r.sc.value(outs[0]), Corrupt: r.sc.value(outs[1]), Graph: gr}
	if err := r.prune(cleanEmbed); err != nil {
		return nil, err
	}
	final, err := r.variant(cleanEmbed, Edge{})
	if err != nil {
		return nil, err
	}
	outs, err = r.eval(final)
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
	ctx          context.Context
	f            *forward
	gr           *Graph
	opts         Options
	sc           *scorer
	corrupt      map[string]circuit.Circuit
	evals, steps int
}

// variant is the current circuit's logits with also the edge drop removed
// (none when drop is the zero Edge).
func (r *runner) variant(embed circuit.Circuit, drop Edge) (circuit.Circuit, error) {
	out := r.f.run(r.gr, embed, func(e Edge) bool { return e != drop && r.gr.Has(e) }, r.corrupt)
	if r.f.err != nil {
		return nil, r.f.err
	}
	return out[Logits], nil
}

// eval runs circuits through one compiled program, returning float64 logits.
func (r *runner) eval(cs ...circuit.Circuit) ([][]float64, error) {
	ts, err := circopt.EvaluateManyContext(r.ctx, cs, nil, circopt.Options{DType: r.opts.DType})
	if err != nil {
		return nil, fmt.Errorf("acdc: evaluation: %w", err)
	}
	r.evals += len(cs)
	r.steps++
	out := make([][]float64, len(ts))
	for i, t := range ts {
		out[i] = t.Cast(tensor.Float64).Float64s()
	}
	return out, nil
}

// prune visits receivers from the output backwards; at each, the current
// circuit and every single-edge removal evaluate together, and each edge
// whose removal raises the damage by less than the threshold goes.
func (r *runner) prune(embed circuit.Circuit) error {
	order, err := r.gr.ReverseOrder()
	if err != nil {
		return err
	}
	for _, recv := range order {
		senders, err := r.gr.Senders(recv)
		if err != nil {
			return err
		}
		if len(senders) == 0 {
			continue
		}
		if recv != Logits && !r.sends(recv) {
			// Nothing reads recv's output: its inputs cannot matter.
			for _, s := range senders {
				if err := r.gr.Remove(Edge{s, recv}); err != nil {
					return err
				}
			}
			continue
		}
		cs := make([]circuit.Circuit, 0, len(senders)+1)
		for _, drop := range append([]string{""}, senders...) {
			e := Edge{}
			if drop != "" {
				e = Edge{drop, recv}
			}
			c, err := r.variant(embed, e)
			if err != nil {
				return err
			}
			cs = append(cs, c)
		}
		outs, err := r.eval(cs...)
		if err != nil {
			return err
		}
		cur := r.sc.damage(outs[0])
		for i, s := range senders {
			if r.sc.damage(outs[i+1])-cur < r.opts.Threshold {
				if err := r.gr.Remove(Edge{s, recv}); err != nil {
					return err
				}
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
