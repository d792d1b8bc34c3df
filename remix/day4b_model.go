package remix

import (
	"fmt"
	"math"
	"slices"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// The REMIX day-4b paren balancer: its tokenizer's ids and its sizes.
const (
	ParenStart = 0
	ParenPad   = 1
	ParenEnd   = 2
	ParenOpen  = 3
	ParenClose = 4

	ParenVocab   = 5
	ParenSeq     = 42 // 40 parens, [BEGIN] and [END]
	ParenHidden  = 56
	ParenHeads   = 2
	ParenHeadDim = 28
	ParenLayers  = 3
)

// The scrub circuit's free Symbols, named after the dataset's input arrays.
const (
	ParenTokens     = "tokens"                               // one-hot tokens [42,5]
	ParenIsBalanced = "is_balanced"                          // the label []: 1 when balanced
	parenTokensUUID = "ce34280e-169f-40bd-b78e-8adeb4274aba" // the day's
	parenLabelUUID  = "4a3f9e51-7c2d-4b8e-9f16-2d5c8b1e7a03"
)

// ParenWeightShapes are the weights the balancer is built from, by
// rust_circuit name, with their shapes.
func ParenWeightShapes() map[string][]int {
	h, n, c := ParenHidden, ParenHeads, ParenHeadDim
	s := map[string][]int{
		"t.w.tok_embeds": {ParenVocab, h}, "t.w.unembed": {2, h}, "t.w.unembed_bias": {2},
		"final.ln.w.scale": {h}, "final.ln.w.bias": {h},
	}
	for l := 0; l < ParenLayers; l++ {
		a, m := fmt.Sprintf("a%d", l), fmt.Sprintf("m%d", l)
		for _, x := range []string{"q", "k", "v"} {
			s[a+".w."+x] = []int{n, c, h}
			s[a+".w."+x+"_bias"] = []int{n, c}
		}
		s[a+".w.o"], s[a+".w.o_bias"] = []int{n, h, c}, []int{h}
		s[m+".w.proj_in"], s[m+".w.in_bias"] = []int{h, h}, []int{h}
		s[m+".w.proj_out"], s[m+".w.out_bias"] = []int{h, h}, []int{h}
		for _, p := range []string{a, m} {
			s[p+".ln.w.scale"], s[p+".ln.w.bias"] = []int{h}, []int{h}
		}
	}
	return s
}

// checkParenWeights names the first missing or misshapen weight.
func checkParenWeights(w map[string]*tensor.Tensor) error {
	for name, shape := range ParenWeightShapes() {
		t, ok := w[name]
		if !ok {
			return fmt.Errorf("paren balancer: no weight %q", name)
		}
		if !slices.Equal(t.Shape(), shape) {
			return fmt.Errorf("paren balancer: weight %q has shape %v, want %v", name, t.Shape(), shape)
		}
	}
	pos, ok := w["t.w.pos_embeds"]
	if !ok {
		return fmt.Errorf("paren balancer: no weight %q", "t.w.pos_embeds")
	}
	if pos.Rank() != 2 || pos.Dim(0) < ParenSeq || pos.Dim(1) != ParenHidden {
		return fmt.Errorf("paren balancer: weight %q has shape %v, want [>=%d %d]", "t.w.pos_embeds", pos.Shape(), ParenSeq, ParenHidden)
	}
	return nil
}

// parenBuilder builds circuit nodes, keeping the first error so that the
// model reads as straight-line code.
type parenBuilder struct {
	w   map[string]*tensor.Tensor
	arr map[string]circuit.Circuit
	err error
}

func (b *parenBuilder) keep(c circuit.Circuit, err error) circuit.Circuit {
	if err != nil && b.err == nil {
		b.err = err
	}
	if b.err != nil {
		return nil
	}
	return c
}

// weight is the Array of a weight, one per name.
func (b *parenBuilder) weight(name string) circuit.Circuit {
	if a, ok := b.arr[name]; ok {
		return a
	}
	a := b.keep(circuit.NewArray(b.w[name], name))
	b.arr[name] = a
	return a
}

// headWeight is head h's slice of a per-head weight.
func (b *parenBuilder) headWeight(name string, h int) circuit.Circuit {
	return b.index(fmt.Sprintf("%s.h%d", name, h), b.weight(name), circuit.Int(h))
}

func (b *parenBuilder) array(name string, shape []int, v ...float64) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	t, err := tensor.FromFloat32(shape, f)
	if err != nil {
		return b.keep(nil, err)
	}
	return b.keep(circuit.NewArray(t, name))
}

func (b *parenBuilder) einsum(name, spec string, cs ...circuit.Circuit) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	return b.keep(circuit.NewEinsumSpec(name, spec, cs...))
}

func (b *parenBuilder) add(name string, cs ...circuit.Circuit) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	return b.keep(circuit.NewAdd(name, cs...))
}

func (b *parenBuilder) scalar(v float64, name string, shape ...int) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	return b.keep(circuit.NewScalar(v, shape, name))
}

func (b *parenBuilder) fn(name, f string, c circuit.Circuit) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	return b.keep(circuit.NewGeneralFunction(name, f, c))
}

func (b *parenBuilder) index(name string, c circuit.Circuit, idx ...circuit.AxisIndex) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	return b.keep(circuit.NewIndex(name, idx, c))
}

func (b *parenBuilder) concat(name string, cs ...circuit.Circuit) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	return b.keep(circuit.NewConcat(name, 0, cs...))
}

// layerNorm is modlib's 'ln' on each row of x [s,56]: eps 1e-5, biased
// variance, then weight p.ln.w.scale and bias p.ln.w.bias. The row
// statistics are [s] (unsqueezed to [s,1] where they broadcast), not
// modlib's [s,1] einsum outputs: the fast runtime sums rows but has no
// kernel for a sum that also inserts a size-1 axis.
func (b *parenBuilder) layerNorm(name, p string, x circuit.Circuit) circuit.Circuit {
	recip := b.scalar(1.0/ParenHidden, "")
	neg := b.einsum(name+".neg_mean", "sh,,->s", x, b.scalar(-1, ""), recip)
	sub := b.add(name+".mean_subbed", x, b.unsqueeze(name+".neg_mean_col", neg))
	v := b.einsum(name+".var", "sh,sh,->s", sub, sub, recip)
	rs := b.fn(name+".rsqrt", "rsqrt", b.add(name+".var_p_eps", v, b.scalar(1e-5, "")))
	y := b.einsum(name+".y", "sh,s->sh", sub, rs)
	return b.add(name, b.einsum(name+".y_scaled", "sh,h->sh", y, b.weight(p+".ln.w.scale")), b.weight(p+".ln.w.bias"))
}

func (b *parenBuilder) unsqueeze(name string, c circuit.Circuit) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	return b.keep(circuit.Unsqueeze(name, c, c.Rank()))
}

// attnHead is head h of layer l ('a{l}.h{h}') on x [42,56], every
// position attending to every non-[PAD] key, as modlib's 'a.head'.
func (b *parenBuilder) attnHead(l, h int, x, mask circuit.Circuit) circuit.Circuit {
	a, p := fmt.Sprintf("a%d", l), fmt.Sprintf("a%d.h%d", l, h)
	ln := b.layerNorm(p+".norm", a, x)
	proj := func(w string) circuit.Circuit {
		return b.add(p+"."+w, b.einsum(p+"."+w+"_mul", "sd,cd->sc", ln, b.headWeight(a+".w."+w, h)), b.headWeight(a+".w."+w+"_bias", h))
	}
	q, k, v := proj("q"), proj("k"), proj("v")
	raw := b.einsum(p+".attn_scores_raw", "qc,kc,,k->qk", q, k, b.scalar(1/math.Sqrt(ParenHeadDim), ""), mask)
	notMask := b.add(p+".not_mask", b.scalar(1, ""), b.einsum("", "k,->k", mask, b.scalar(-1, "")))
	scores := b.add(p+".attn_scores", raw, b.einsum(p+".score_neg_inf_bias", "k,->k", notMask, b.scalar(-10000, "")))
	probs := b.fn(p+".attn_probs", "softmax", scores)
	comb := b.einsum(p+".comb_v", "qk,kc->qc", probs, v)
	return b.einsum(p, "qc,dc->qd", comb, b.headWeight(a+".w.o", h))
}

// mlp is layer l's ReLU MLP ('m{l}') on x [42,56].
func (b *parenBuilder) mlp(l int, x circuit.Circuit) circuit.Circuit {
	m := fmt.Sprintf("m%d", l)
	ln := b.layerNorm(m+".norm", m, x)
	pre := b.add(m+".pre", b.einsum(m+".pre_mul", "sd,hd->sh", ln, b.weight(m+".w.proj_in")), b.weight(m+".w.in_bias"))
	act := b.fn(m+".act", "relu", pre)
	return b.add(m, b.einsum(m+".out", "sh,oh->so", act, b.weight(m+".w.proj_out")), b.weight(m+".w.out_bias"))
}

// byPosition is x [42,…] as a Concat of slices named name.at_pos{i} at the
// given boundaries (rust_circuit's split_to_concat).
func (b *parenBuilder) byPosition(concat, name string, x circuit.Circuit, bounds ...int) circuit.Circuit {
	var parts []circuit.Circuit
	for i := 0; i+1 < len(bounds); i++ {
		lo, hi := bounds[i], bounds[i+1]
		n := fmt.Sprintf("%s.at_pos%d", name, lo)
		if hi > lo+1 {
			n = fmt.Sprintf("%s.at_pos%d_%d", name, lo, hi)
		}
		parts = append(parts, b.index(n, x, circuit.Slice(lo, hi), circuit.All()))
	}
	return b.concat(concat, parts...)
}

// H00OpenVector is the day's estimate of what head 0.0 writes when every
// paren is open: half the difference of its mean outputs on an open and on
// a close paren at positions 1 to 40 (each token attending to itself).
func H00OpenVector(w map[string]*tensor.Tensor) ([]float64, error) {
	if err := checkParenWeights(w); err != nil {
		return nil, err
	}
	tok, pos := w["t.w.tok_embeds"].Float64s(), w["t.w.pos_embeds"].Float64s()
	scale, bias := w["a0.ln.w.scale"].Float64s(), w["a0.ln.w.bias"].Float64s()
	wv, bv, wo := w["a0.w.v"].Float64s(), w["a0.w.v_bias"].Float64s(), w["a0.w.o"].Float64s()
	h, c := ParenHidden, ParenHeadDim
	mean := func(t int) []float64 {
		out := make([]float64, h)
		for p := 1; p <= 40; p++ {
			x := make([]float64, h)
			mu := 0.0
			for i := range x {
				x[i] = tok[t*h+i] + pos[p*h+i]
				mu += x[i] / float64(h)
			}
			v := 0.0
			for i := range x {
				x[i] -= mu
				v += x[i] * x[i] / float64(h)
			}
			for i := range x {
				x[i] = x[i]/math.Sqrt(v+1e-5)*scale[i] + bias[i]
			}
			for j := 0; j < c; j++ { // head 0's value, then its output
				val := bv[j]
				for i := 0; i < h; i++ {
					val += wv[j*h+i] * x[i]
				}
				for d := 0; d < h; d++ {
					out[d] += wo[d*c+j] * val / 40
				}
			}
		}
		return out
	}
	open, closed := mean(ParenOpen), mean(ParenClose)
	for i := range open {
		open[i] = (open[i] - closed[i]) / 2
	}
	return open, nil
}

// ParenCircuits are the balancer over one example.
type ParenCircuits struct {
	// Logits [2] at position 0: class 1 is "balanced".
	Logits circuit.Circuit
	// Loss [] is the binary cross-entropy of Logits against is_balanced.
	Loss circuit.Circuit
}

// BuildParen builds the balancer over the free Symbols tokens [42,5]
// (one-hot) and is_balanced [] with the residual stream flattened, as the
// day's configure_transformer leaves it: every layer's input
// 'a{l}.input'/'m{l}.input' and 'final.input' is the Add of the embeddings
// and every earlier head 'a{l}.h{h}', attention bias 'a{l}.w.o_bias' and
// MLP 'm{l}'. The splits the day's hypotheses need are built in, all
// value-preserving:
//   - heads 1.0 and 2.0 read 'a{l}.h0.input_concat', slices at_pos0, at_pos1
//     and at_pos2_42 of 'a{l}.input';
//   - head 2.1 reads 'a2.h1.input_concat', 'a2.input.at_pos{i}' for each i;
//   - head 0.0 enters the stream as 'a0.h0_concat' (slices 'a0.h0.at_pos…'
//     of 'a0.h0'), and 'a0.h0' is 'a0.h0_phi' (H00OpenVector times 2p-1,
//     p the share of open parens) plus 'a0.h0_phi_residual';
//   - head 0.0 reads its own copy of the embeddings, 'a0.h0.embeds', so
//     that 'embeds' is the embeddings reached other than through 0.0.
//
// The final norm and unembedding run at position 0 only.
func BuildParen(w map[string]*tensor.Tensor) (*ParenCircuits, error) {
	if err := checkParenWeights(w); err != nil {
		return nil, err
	}
	dir, err := H00OpenVector(w)
	if err != nil {
		return nil, err
	}
	b := &parenBuilder{w: w, arr: map[string]circuit.Circuit{}}
	tokens := b.keep(circuit.NewSymbol([]int{ParenSeq, ParenVocab}, parenTokensUUID, ParenTokens))
	label := b.keep(circuit.NewSymbol(nil, parenLabelUUID, ParenIsBalanced))
	embeds := func(name string) circuit.Circuit {
		tok := b.einsum(name+".tok", "sv,vh->sh", tokens, b.weight("t.w.tok_embeds"))
		pos := b.index(name+".pos", b.weight("t.w.pos_embeds"), circuit.Slice(0, ParenSeq), circuit.All())
		return b.add(name, tok, pos)
	}
	tokenCol := func(name string, t int) circuit.Circuit {
		return b.index(name, tokens, circuit.All(), circuit.Int(t))
	}
	mask := b.add("padding_mask", b.scalar(1, ""), b.einsum("", "s,->s", tokenCol("is_pad", ParenPad), b.scalar(-1, "")))

	// phi: the open direction times 2p-1
	opens := b.einsum("num_opens", "s->", tokenCol("is_open", ParenOpen))
	parens := b.add("num_parens", opens, b.einsum("num_closes", "s->", tokenCol("is_close", ParenClose)))
	p := b.einsum("p_open", ",->", opens, b.fn("", "reciprocal", parens))
	factor := b.add("p_open_mul_factor", b.einsum("", ",->", p, b.scalar(2, "")), b.scalar(-1, ""))
	phi := b.einsum("a0.h0_phi", "h,->h", b.array("open direction", []int{ParenHidden}, dir...), factor)

	terms := []circuit.Circuit{embeds("embeds")}
	for l := 0; l < ParenLayers; l++ {
		in := b.add(fmt.Sprintf("a%d.input", l), terms...)
		for h := 0; h < ParenHeads; h++ {
			x := in
			switch {
			case l == 0 && h == 0:
				x = embeds("a0.h0.embeds")
			case h == 0:
				x = b.byPosition(fmt.Sprintf("a%d.h0.input_concat", l), fmt.Sprintf("a%d.input", l), in, 0, 1, 2, ParenSeq)
			case l == 2 && h == 1:
				bounds := make([]int, ParenSeq+1)
				for i := range bounds {
					bounds[i] = i
				}
				x = b.byPosition("a2.h1.input_concat", "a2.input", in, bounds...)
			}
			head := b.attnHead(l, h, x, mask)
			if l == 0 && h == 0 {
				orig := b.keep(head, nil)
				if orig != nil {
					orig = orig.Rename("a0.h0_orig")
				}
				res := b.add("a0.h0_phi_residual", orig, b.einsum("", "h,->h", phi, b.scalar(-1, "")))
				head = b.byPosition("a0.h0_concat", "a0.h0", b.add("a0.h0", phi, res), 0, 1, 2, ParenSeq)
			}
			terms = append(terms, head)
		}
		terms = append(terms, b.weight(fmt.Sprintf("a%d.w.o_bias", l)))
		terms = append(terms, b.mlp(l, b.add(fmt.Sprintf("m%d.input", l), terms...)))
	}
	final := b.index("final.input.at_pos0", b.add("final.input", terms...), circuit.Slice(0, 1), circuit.All())
	ln := b.layerNorm("final.norm", "final", final)
	logits := b.add("logits", b.einsum("logits_no_bias", "sh,vh->v", ln, b.weight("t.w.unembed")), b.weight("t.w.unembed_bias"))
	target := b.add("target", b.array("target.unbalanced", []int{2}, 1, 0), b.einsum("", ",v->v", label, b.array("target.per_label", []int{2}, -1, 1)))
	loss := b.einsum("loss", "v,v,->", b.fn("log_probs", "log_softmax", logits), target, b.scalar(-1, ""))
	if b.err != nil {
		return nil, fmt.Errorf("paren balancer: %w", b.err)
	}
	return &ParenCircuits{Logits: logits, Loss: loss}, nil
}
