package remix

import (
	"fmt"
	"slices"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// Day3Heads splits the heads as the day does: layer 0's previous-token
// head(s) from the rest, layer 1's induction heads from the rest.
type Day3Heads struct {
	Prev, Induction []int
}

// Day3Input and Day3Mask are the dataset arrays the loss circuit reads: the
// token ids as floats [seq+1] and the [seq] mask of positions whose next token
// is a repeat (the loss is taken there only).
const (
	Day3Input = "toks"
	Day3Mask  = "repeated"
	// Day3Seq is the number of positions the model is run on.
	Day3Seq = 32
)

// fixed uuids keep loss.circ's text the same from run to run
const (
	day3InputUUID = "d3d3d3d3-0000-4000-8000-000000000001"
	day3MaskUUID  = "d3d3d3d3-0000-4000-8000-000000000002"
)

// builder makes the day's circuit; every helper records its first error.
type builder struct {
	m    *Day3Model
	seq  int
	err  error
	pos  circuit.Circuit
	mask circuit.Circuit
}

// note records the first error.
func (b *builder) note(err error) {
	if err != nil && b.err == nil {
		b.err = err
	}
}

func (b *builder) einsum(name, spec string, cs ...circuit.Circuit) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	c, err := circuit.NewEinsumSpec(name, spec, cs...)
	b.note(err)
	return c
}

func (b *builder) add(name string, cs ...circuit.Circuit) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	c, err := circuit.NewAdd(name, cs...)
	b.note(err)
	return c
}

func (b *builder) fn(name, spec string, c circuit.Circuit) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	c, err := circuit.NewGeneralFunction(name, spec, c)
	b.note(err)
	return c
}

func (b *builder) array(name string, t *tensor.Tensor) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	c, err := circuit.NewArray(t, name)
	b.note(err)
	return c
}

func (b *builder) scalar(name string, v float64) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	c, err := circuit.NewScalar(v, nil, name)
	b.note(err)
	return c
}

// layerNorm is rust_circuit's ln: (x - mean) rsqrt(var + 1e-5) scale + bias,
// the mean subtracted by a centring matrix so x's axes need no broadcast.
func (b *builder) layerNorm(p string, x circuit.Circuit) circuit.Circuit {
	d := b.m.Hidden()
	c := make([]float64, d*d)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			c[i*d+j] = -1 / float64(d)
		}
		c[i*d+i] += 1
	}
	ct, err := tensor.FromFloat64([]int{d, d}, c)
	b.note(err)
	if b.err != nil {
		return nil
	}
	centre := b.array(p+".ln.centre", ct)
	sub := b.einsum(p+".ln.mean_subbed", "sd,de->se", x, centre)
	v := b.einsum(p+".ln.var", "sd,sd,->s", sub, sub, b.scalar(p+".ln.recip_hidden", 1/float64(d)))
	rs := b.fn(p+".ln.rsqrt", "rsqrt", b.add(p+".ln.var_p_eps", v, b.scalar(p+".ln.eps", 1e-5)))
	y := b.einsum(p+".ln.y_scaled", "sd,s,d->sd", sub, rs, b.array(p+".ln.w.scale", b.m.Weights[p+".ln.w.scale"]))
	return b.add(p+".ln", y, b.array(p+".ln.w.bias", b.m.Weights[p+".ln.w.bias"]))
}

// heads is layer l's attention restricted to the heads hs, named name, with
// separate query, key and value inputs (the residual stream before layer
// l's norm). Shortformer: positions are added to the normed q and k inputs.
func (b *builder) heads(name string, l int, hs []int, q, k, v circuit.Circuit) circuit.Circuit {
	a := fmt.Sprintf("a%d", l)
	w := func(x string) circuit.Circuit {
		t, err := tensor.Gather(b.m.Weights[a+".w."+x], 0, toInt64(hs))
		b.note(err)
		if b.err != nil {
			return nil
		}
		return b.array(name+".w."+x, t)
	}
	qIn := b.add(name+".q_in", b.layerNorm(a, q), b.pos)
	kIn := b.add(name+".k_in", b.layerNorm(a, k), b.pos)
	qs := b.einsum(name+".q", "sd,hcd->hsc", qIn, w("q"))
	ks := b.einsum(name+".k", "sd,hcd->hsc", kIn, w("k"))
	vs := b.einsum(name+".v", "sd,hcd->hsc", b.layerNorm(a, v), w("v"))
	raw := b.einsum(name+".attn_scores_raw", "hqc,hkc,->hqk", qs, ks, b.scalar(name+".div_head_size", scaleRecip(b.m.HeadDim())))
	probs := b.fn(name+".attn_probs", "softmax", b.add(name+".attn_scores", raw, b.mask))
	comb := b.einsum(name+".comb_v", "hqk,hkc->hqc", probs, vs)
	return b.einsum(name, "hqc,hdc->qd", comb, w("o"))
}

func toInt64(xs []int) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = int64(x)
	}
	return out
}

// complement is 0..n-1 without xs.
func complement(n int, xs []int) []int {
	var out []int
	for i := 0; i < n; i++ {
		if !slices.Contains(xs, i) {
			out = append(out, i)
		}
	}
	return out
}

// Day3Loss builds the day's per-example loss as one explicit circuit: the
// mean next-token loss over the positions where Day3Mask is 1, of the model
// run on the tokens Day3Input. The free Symbols are Day3Input [seq+1] (ids
// as floats) and Day3Mask [seq]. Heads are split into 'b0.a.prev' /
// 'b0.a.not_prev' and 'a1.ind' / 'a1.not_ind'; the induction heads read
// their query, key and value inputs through separate nodes
// 'a1.ind.q_input', 'a1.ind.k_input', 'a1.ind.v_input' (each the residual
// stream 'idxed_embeds' + 'b0.a'), so a matcher can pick one path, as the
// day's substituted modules allow.
func Day3Loss(m *Day3Model, heads Day3Heads, seq int) (circuit.Circuit, error) {
	if len(heads.Prev) == 0 || len(heads.Induction) == 0 {
		return nil, fmt.Errorf("day 3: no previous-token or induction heads given")
	}
	for _, h := range append(slices.Clone(heads.Prev), heads.Induction...) {
		if h < 0 || h >= m.Heads() {
			return nil, fmt.Errorf("day 3: head %d out of range (%d heads)", h, m.Heads())
		}
	}
	if seq < 1 || seq > m.Weights["t.w.pos_embeds"].Dim(0) {
		return nil, fmt.Errorf("day 3: sequence length %d outside 1..%d", seq, m.Weights["t.w.pos_embeds"].Dim(0))
	}
	b := &builder{m: m, seq: seq}
	pos, err := tensor.Gather(m.Weights["t.w.pos_embeds"], 0, iota64(seq))
	b.note(err)
	if b.err != nil {
		return nil, b.err
	}
	b.pos = b.array("t.w.pos_embeds_idxed", pos)
	// rust_circuit adds (1 - mask) * -10000 to the scores
	bias := make([]float64, seq*seq)
	for i := 0; i < seq; i++ {
		for j := i + 1; j < seq; j++ {
			bias[i*seq+j] = -10000
		}
	}
	bt, err := tensor.FromFloat64([]int{seq, seq}, bias)
	b.note(err)
	if b.err != nil {
		return nil, b.err
	}
	b.mask = b.array("a.score_neg_inf_bias", bt)

	toks, err := circuit.NewSymbol([]int{seq + 1}, day3InputUUID, Day3Input)
	b.note(err)
	mask, err := circuit.NewSymbol([]int{seq}, day3MaskUUID, Day3Mask)
	b.note(err)
	if b.err != nil {
		return nil, b.err
	}
	oh := b.oneHot(toks)
	in, err := circuit.NewIndex("input_toks", []circuit.AxisIndex{circuit.Slice(0, seq), circuit.All()}, oh)
	b.note(err)
	next, err := circuit.NewIndex("true_toks", []circuit.AxisIndex{circuit.Slice(1, seq+1), circuit.All()}, oh)
	b.note(err)
	emb := b.einsum("idxed_embeds", "sv,vd->sd", in, b.array("t.w.tok_embeds", m.Weights["t.w.tok_embeds"]))

	notPrev := complement(m.Heads(), heads.Prev)
	a0 := b.add("b0.a",
		b.heads("b0.a.prev", 0, heads.Prev, emb, emb, emb),
		b.heads("b0.a.not_prev", 0, notPrev, emb, emb, emb))
	resid := func(name string) circuit.Circuit { return b.add(name, emb, a0) }
	r1 := resid("b0")
	ind := b.heads("a1.ind", 1, heads.Induction, resid("a1.ind.q_input"), resid("a1.ind.k_input"), resid("a1.ind.v_input"))
	notInd := b.heads("a1.not_ind", 1, complement(m.Heads(), heads.Induction), r1, r1, r1)
	r2 := b.add("b1", r1, ind, notInd)
	logits := b.einsum("t.logits", "sd,vd->sv", b.layerNorm("final", r2), b.array("t.w.unembed", m.Weights["t.w.unembed"]))
	lp := b.fn("logprobs", "log_softmax", logits)
	count := b.fn("recip_count", "reciprocal", b.einsum("count", "s->", mask))
	loss := b.einsum("loss", "sv,sv,s,,->", lp, next, mask, count, b.scalar("neg", -1))
	if b.err != nil {
		return nil, fmt.Errorf("day 3 circuit: %w", b.err)
	}
	return loss, nil
}

// oneHot is 'toks_onehot' [n, vocab]: step(1/2 - |id - v|), exact for the
// integer-valued float ids the dataset holds, so the data stays one id per
// position.
func (b *builder) oneHot(ids circuit.Circuit) circuit.Circuit {
	v := b.m.Vocab()
	neg := make([]float64, v)
	for i := range neg {
		neg[i] = -float64(i)
	}
	nt, err := tensor.FromFloat64([]int{v}, neg)
	b.note(err)
	ones, err := tensor.Full(tensor.Float64, []int{v}, 1)
	b.note(err)
	if b.err != nil {
		return nil
	}
	spread := b.einsum("toks_spread", "s,v->sv", ids, b.array("vocab_ones", ones))
	dist := b.fn("toks_dist", "abs", b.add("toks_minus_vocab", spread, b.array("neg_vocab", nt)))
	half := b.add("toks_half_minus_dist", b.scalar("half", 0.5), b.einsum("toks_neg_dist", "sv,->sv", dist, b.scalar("minus_one", -1)))
	return b.fn("toks_onehot", "step", half)
}

// Day3Node evaluates the node named name of the loss circuit (for example
// 'a1.ind.attn_probs', [heads, q, k]) on one sequence of seq+1 token ids.
func Day3Node(loss circuit.Circuit, name string, ids []int64, vocab int, dt tensor.DType) (*tensor.Tensor, error) {
	var node circuit.Circuit
	circuit.Walk([]circuit.Circuit{loss}, func(c circuit.Circuit) {
		if node == nil && c.Name() == name {
			node = c
		}
	})
	if node == nil {
		return nil, fmt.Errorf("day 3 circuit: no node %q", name)
	}
	f := make([]float64, len(ids))
	for i, t := range ids {
		if t < 0 || int(t) >= vocab {
			return nil, fmt.Errorf("token %d at position %d is outside the vocabulary of %d", t, i, vocab)
		}
		f[i] = float64(t)
	}
	in, err := tensor.FromFloat64([]int{len(ids)}, f)
	if err != nil {
		return nil, err
	}
	return circuit.Evaluate(node, circuit.EvalOptions{DType: dt, Bindings: map[string]*tensor.Tensor{Day3Input: in}})
}
