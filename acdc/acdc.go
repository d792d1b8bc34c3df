package acdc

import (
	"context"
	"fmt"

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
	// Receivers chooses a head's receivers: one input (Heads) or its q, k
	// and v inputs apart (QKV, as in the ACDC paper). The default is QKV for
	// attention-only models and Heads for models with MLPs.
	Receivers Receivers
}

// Receivers is how a head receives edges (Options.Receivers).
type Receivers string

// The receivers of a head: chosen by the model (QKV without MLPs, else
// Heads), one per head, or its q, k and v inputs apart.
const (
	AutoReceivers Receivers = ""
	HeadReceivers Receivers = "heads"
	QKVReceivers  Receivers = "qkv"
)

// ParseReceivers checks a receivers name ("auto" is the default).
func ParseReceivers(s string) (Receivers, error) {
	switch r := Receivers(s); r {
	case "auto":
		return AutoReceivers, nil
	case HeadReceivers, QKVReceivers:
		return r, nil
	}
	return "", fmt.Errorf("unknown receivers %q (want auto, heads or qkv)", s)
}

// Result is the circuit ACDC keeps.
type Result struct {
	// Edges kept on a path from embed to logits, sorted by receiver then sender.
	Edges []Edge
	// Full, Pruned and Corrupt are the metric's value (KL from the full
	// model, or the logit difference) for the full model, the pruned
	// circuit and the fully corrupted model.
	Full, Pruned, Corrupt float64
	// Evaluations counts circuits evaluated (the clean and corrupt runs, each
	// step's current circuit and candidates, the pruned circuit); Steps counts
	// batched plan runs (one per greedy step with candidates, one for the
	// pruned circuit).
	Evaluations, Steps int
	// Graph holds every edge left after pruning.
	Graph *Graph
}

// Discoverer runs ACDC on one model. It keeps the plans it compiles,
// which depend only on the model, the token count and the step (tokens and
// edge masks are bound at run time): a second run on other tokens of the
// same length compiles nothing. It is not safe for concurrent use.
type Discoverer struct {
	m      *Model
	opts   Options
	layout Layout
	w      map[string]circuit.Circuit // the weights as Arrays
	tok    []float64                  // token embeddings [vocab, hidden]
	pos    []float64                  // positional embeddings [ctx, hidden] (nil for shortformer models: the heads read them)
	bySeq  map[int]*compiled
}

// New checks opts against m's vocabulary and prepares m's weights.
func New(m *Model, opts Options) (*Discoverer, error) {
	if _, err := ParseMetric(string(opts.Metric)); err != nil {
		return nil, err
	}
	qkv := !m.Arch.MLP
	switch opts.Receivers {
	case AutoReceivers:
	case HeadReceivers, QKVReceivers:
		qkv = opts.Receivers == QKVReceivers
	default:
		return nil, fmt.Errorf("unknown receivers %q (want heads or qkv)", opts.Receivers)
	}
	if opts.Threshold < 0 {
		return nil, fmt.Errorf("threshold %g is negative", opts.Threshold)
	}
	if opts.Metric == LogitDiff {
		for _, id := range []int64{opts.Correct, opts.Wrong} {
			if id < 0 || id >= int64(m.Config.Vocab) {
				return nil, fmt.Errorf("token id %d is outside the vocabulary of %d", id, m.Config.Vocab)
			}
		}
	}
	d := &Discoverer{m: m, opts: opts, w: map[string]circuit.Circuit{}, bySeq: map[int]*compiled{},
		layout: Layout{Layers: m.Config.Layers, Heads: m.Config.Heads, MLP: m.Arch.MLP, QKV: qkv}}
	for n, t := range m.Weights {
		var err error
		if d.w[n], err = circuit.NewArray(t, n); err != nil {
			return nil, fmt.Errorf("weight %s: %w", n, err)
		}
	}
	for _, e := range []struct {
		name string
		dst  *[]float64
	}{{"t.w.tok_embeds", &d.tok}, {"t.w.pos_embeds", &d.pos}} {
		if e.name == "t.w.pos_embeds" && m.Arch.Shortformer {
			continue
		}
		t, ok := m.Weights[e.name]
		if !ok {
			return nil, fmt.Errorf("model has no weight %s", e.name)
		}
		*e.dst = t.Cast(tensor.Float64).Float64s()
	}
	return d, nil
}

// Run is ACDC on m: clean and corrupt are int64 token ids [seq] of one
// length; the metric is read at the last position.
func Run(ctx context.Context, m *Model, clean, corrupt *tensor.Tensor, opts Options) (*Result, error) {
	d, err := New(m, opts)
	if err != nil {
		return nil, err
	}
	return d.Run(ctx, clean, corrupt)
}

// Run is ACDC on the Discoverer's model (see the package function Run).
func (d *Discoverer) Run(ctx context.Context, clean, corrupt *tensor.Tensor) (*Result, error) {
	return d.run(ctx, clean, corrupt, false)
}

// run is Run; unbatched evaluates every variant as its own circuit (the
// reference the batched plans are tested against).
func (d *Discoverer) run(ctx context.Context, clean, corrupt *tensor.Tensor, unbatched bool) (*Result, error) {
	cfg := d.m.Config
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
	gr, err := NewGraph(d.layout)
	if err != nil {
		return nil, err
	}
	r, err := d.newRunner(ctx, gr, ct, xt)
	if err != nil {
		return nil, err
	}
	r.unbatched = unbatched
	opts := d.opts
	r.sc = newScorer(opts.Metric, int(opts.Correct), int(opts.Wrong), r.cleanT[Logits])
	res := &Result{Full: r.sc.value(r.cleanT[Logits]), Corrupt: r.sc.value(r.corruptT[Logits]), Graph: gr}
	if err := r.prune(); err != nil {
		return nil, err
	}
	outs, err := r.eval(1, nil, r.row(gr.Has))
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
