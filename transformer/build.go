package transformer

import (
	"fmt"
	"math"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// BuildOptions configures the forward pass's circuit layout.
type BuildOptions struct {
	// SplitHeads computes each head as its own node 'a{l}.h{i}' (summed
	// into 'a{l}'), so one head can be ablated or patched alone.
	SplitHeads bool
}

// maskedScore is added to attention scores above the diagonal: exp of it
// underflows to zero in float32 and float64 alike.
const maskedScore = -1e9

// builder writes the forward pass, keeping the first error so the
// construction reads as the model's equations.
type builder struct {
	cfg  Config
	w    map[string]circuit.Circuit
	bp   string // einsum letters of the batch axes of the residual stream
	rank int    // rank of the residual stream
	err  error
}

func (b *builder) ok(c circuit.Circuit, err error) circuit.Circuit {
	if b.err == nil && err != nil {
		b.err = err
	}
	if b.err != nil {
		return nil
	}
	return c
}

func (b *builder) weight(name string) circuit.Circuit {
	c, ok := b.w[name]
	if !ok && b.err == nil {
		b.err = fmt.Errorf("weight %q is missing", name)
	}
	return c
}

func (b *builder) einsum(name, spec string, cs ...circuit.Circuit) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	return b.ok(circuit.NewEinsumSpec(name, strings.ReplaceAll(spec, "B", b.bp), cs...))
}

func (b *builder) add(name string, cs ...circuit.Circuit) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	return b.ok(circuit.NewAdd(name, cs...))
}

func (b *builder) fn(name, spec string, c circuit.Circuit) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	return b.ok(circuit.NewGeneralFunction(name, spec, c))
}

// layerNorm over the last axis, with the weights under prefix+".w.scale/bias".
func (b *builder) layerNorm(prefix string, x circuit.Circuit) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	return b.ok(LayerNorm(prefix, x, b.weight(prefix+".w.scale"), b.weight(prefix+".w.bias"), b.cfg.LNEps))
}

// LayerNorm normalizes x over its last axis as GPT-2 does, (x − mean) ·
// rsqrt(var + eps) · scale + bias, with its parts named under prefix
// (prefix+".mean", ".centered", ".var", ".eps", ".rstd", ".norm", and
// prefix for the result).
func LayerNorm(prefix string, x, scale, bias circuit.Circuit, eps float64) (circuit.Circuit, error) {
	if scale == nil || bias == nil {
		return nil, fmt.Errorf("layer norm %q: missing scale or bias", prefix)
	}
	mean, err := circuit.Mean(prefix+".mean", x, -1)
	if err != nil {
		return nil, err
	}
	um, err := circuit.Unsqueeze("", mean, -1)
	if err != nil {
		return nil, err
	}
	centered, err := circuit.Sub(prefix+".centered", x, um)
	if err != nil {
		return nil, err
	}
	sq, err := circuit.Mul("", centered, centered)
	if err != nil {
		return nil, err
	}
	variance, err := circuit.Mean(prefix+".var", sq, -1)
	if err != nil {
		return nil, err
	}
	e, err := circuit.NewScalar(eps, nil, prefix+".eps")
	if err != nil {
		return nil, err
	}
	ve, err := circuit.NewAdd("", variance, e)
	if err != nil {
		return nil, err
	}
	rstd, err := circuit.NewGeneralFunction(prefix+".rstd", "rsqrt", ve)
	if err != nil {
		return nil, err
	}
	ur, err := circuit.Unsqueeze("", rstd, -1)
	if err != nil {
		return nil, err
	}
	norm, err := circuit.Mul(prefix+".norm", centered, ur, scale)
	if err != nil {
		return nil, err
	}
	return circuit.NewAdd(prefix, norm, bias)
}

// attention is layer l's attention output 'a{l}' on the normed stream y.
func (b *builder) attention(l int, y, mask circuit.Circuit, split bool) circuit.Circuit {
	a := fmt.Sprintf("a%d", l)
	if !split {
		return b.add(a, b.heads(a, a+".heads", "h", y, mask, b.weight(a+".w.q"), b.weight(a+".w.k"), b.weight(a+".w.v"), b.weight(a+".w.o"),
			b.headBias(a+".w.q_bias"), b.headBias(a+".w.k_bias"), b.headBias(a+".w.v_bias")), b.weight(a+".w.o_bias"))
	}
	terms := make([]circuit.Circuit, 0, b.cfg.Heads+1)
	for i := 0; i < b.cfg.Heads; i++ {
		h := fmt.Sprintf("%s.h%d", a, i)
		at := func(n string) circuit.Circuit {
			if b.err != nil {
				return nil
			}
			return b.ok(circuit.NewIndex(fmt.Sprintf("%s.w.%s", h, n), []circuit.AxisIndex{circuit.Int(i)}, b.weight(a+".w."+n)))
		}
		terms = append(terms, b.heads(h, h, "", y, mask, at("q"), at("k"), at("v"), at("o"), at("q_bias"), at("k_bias"), at("v_bias")))
	}
	return b.add(a, append(terms, b.weight(a+".w.o_bias"))...)
}

// headBias views a [heads, head_dim] bias as [heads, 1, head_dim] so it
// broadcasts over positions.
func (b *builder) headBias(name string) circuit.Circuit {
	w := b.weight(name)
	if b.err != nil {
		return nil
	}
	return b.ok(circuit.Unsqueeze("", w, 1))
}

// heads computes attention heads (all of them with hl "h", one with hl "")
// and their summed output projection, without the output bias, named out.
func (b *builder) heads(name, out, hl string, y, mask, wq, wk, wv, wo, bq, bk, bv circuit.Circuit) circuit.Circuit {
	proj := func(n string, w, bias circuit.Circuit) circuit.Circuit {
		return b.add(name+"."+n, b.einsum("", hl+"jd,Bsd->B"+hl+"sj", w, y), bias)
	}
	q, k, v := proj("q", wq, bq), proj("k", wk, bk), proj("v", wv, bv)
	if b.err != nil {
		return nil
	}
	scale := b.ok(circuit.NewScalar(1/math.Sqrt(float64(b.cfg.HeadDim())), nil, ""))
	scores := b.einsum(name+".scores", "B"+hl+"sj,B"+hl+"tj,->B"+hl+"st", q, k, scale)
	probs := b.fn(name+".probs", "softmax", b.add(name+".masked", scores, mask))
	z := b.einsum(name+".z", "B"+hl+"st,B"+hl+"tj->B"+hl+"sj", probs, v)
	return b.einsum(out, hl+"ej,B"+hl+"sj->Bse", wo, z)
}

func (b *builder) mlp(l int, y circuit.Circuit) circuit.Circuit {
	m := fmt.Sprintf("m%d", l)
	pre := b.add(m+".pre", b.einsum("", "fd,Bsd->Bsf", b.weight(m+".w.proj_in"), y), b.weight(m+".w.in_bias"))
	act := b.fn(m+".act", "gelu_new", pre)
	return b.add(m, b.einsum("", "df,Bsf->Bsd", b.weight(m+".w.proj_out"), act), b.weight(m+".w.out_bias"))
}

// CausalMask is the Array 't.mask' [seq, seq] added to attention scores:
// 0 on and below the diagonal and a large negative score above it.
func CausalMask(seq int) (circuit.Circuit, error) {
	data := make([]float32, seq*seq)
	for i := 0; i < seq; i++ {
		for j := i + 1; j < seq; j++ {
			data[i*seq+j] = maskedScore
		}
	}
	t, err := tensor.FromFloat32([]int{seq, seq}, data)
	if err != nil {
		return nil, err
	}
	return circuit.NewArray(t, "t.mask")
}

// Build is the forward pass: from the residual stream input [..., seq,
// hidden] (at most one batch axis) to logits [..., seq, vocab] named
// 't.logits'. w maps every weight name of cfg.Shapes to a leaf (an Array
// or a Symbol).
func Build(cfg Config, w map[string]circuit.Circuit, input circuit.Circuit, opts BuildOptions) (circuit.Circuit, error) {
	sh := input.Shape()
	if len(sh) < 2 || len(sh) > 3 || sh[len(sh)-1] != cfg.Hidden {
		return nil, fmt.Errorf("input %s has shape %v, want [seq, %d] or [batch, seq, %d]", circuit.Label(input), sh, cfg.Hidden, cfg.Hidden)
	}
	b := &builder{cfg: cfg, w: w, rank: len(sh)}
	if len(sh) == 3 {
		b.bp = "b"
	}
	mask := b.ok(CausalMask(sh[len(sh)-2]))
	x := input
	for l := 0; l < cfg.Layers; l++ {
		a := b.attention(l, b.layerNorm(fmt.Sprintf("a%d.ln", l), x), mask, opts.SplitHeads)
		x = b.add(fmt.Sprintf("a%d.resid", l), x, a)
		m := b.mlp(l, b.layerNorm(fmt.Sprintf("m%d.ln", l), x))
		x = b.add(fmt.Sprintf("b%d", l), x, m)
	}
	logits := b.einsum("t.logits", "vd,Bsd->Bsv", b.weight("t.w.unembed"), b.layerNorm("final.ln", x))
	if b.err != nil {
		return nil, b.err
	}
	return logits, nil
}
