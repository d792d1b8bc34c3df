package acdc

import (
	"fmt"
	"math"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/transformer"
)

// forward writes the edge-split forward pass of one model on one token
// sequence. It keeps the first error so the construction reads as the
// model's equations.
type forward struct {
	cfg  transformer.Config
	w    map[string]circuit.Circuit
	mask circuit.Circuit
	seq  int
	bp   string // einsum letter of the variant axis ("" for none), replaces B in specs
	err  error
}

func (f *forward) ok(c circuit.Circuit, err error) circuit.Circuit {
	if f.err == nil && err != nil {
		f.err = err
	}
	if f.err != nil {
		return nil
	}
	return c
}

func (f *forward) einsum(name, spec string, cs ...circuit.Circuit) circuit.Circuit {
	if f.err != nil {
		return nil
	}
	return f.ok(circuit.NewEinsumSpec(name, strings.ReplaceAll(spec, "B", f.bp), cs...))
}

func (f *forward) add(name string, cs ...circuit.Circuit) circuit.Circuit {
	if f.err != nil {
		return nil
	}
	return f.ok(circuit.NewAdd(name, cs...))
}

func (f *forward) index(name string, c circuit.Circuit, idx ...circuit.AxisIndex) circuit.Circuit {
	if f.err != nil {
		return nil
	}
	return f.ok(circuit.NewIndex(name, idx, c))
}

// layerNorm over the last axis, named prefix, with weights wp+".w.scale/bias".
func (f *forward) layerNorm(prefix, wp string, x circuit.Circuit) circuit.Circuit {
	if f.err != nil {
		return nil
	}
	return f.ok(transformer.LayerNorm(prefix, x, f.w[wp+".w.scale"], f.w[wp+".w.bias"], f.cfg.LNEps))
}

// embed is token plus positional embeddings, [seq, hidden].
func (f *forward) embed(tokens []int64) circuit.Circuit {
	tok := f.index("t.tok_embeds", f.w["t.w.tok_embeds"], circuit.Positions(tokens...), circuit.All())
	pos := f.index("t.pos_embeds", f.w["t.w.pos_embeds"], circuit.Slice(0, len(tokens)), circuit.All())
	return f.add(Embed, tok, pos)
}

// head is head h of layer l on its own input x [seq, hidden] (q, k and v
// all read x), without the layer's output bias.
func (f *forward) head(l, h int, x circuit.Circuit) circuit.Circuit {
	name := headName(l, h)
	a := fmt.Sprintf("a%d", l)
	y := f.layerNorm(name+".ln", a+".ln", x)
	at := func(n string) circuit.Circuit {
		return f.index(name+".w."+n, f.w[a+".w."+n], circuit.Int(h))
	}
	proj := func(n string) circuit.Circuit {
		return f.add(name+"."+n, f.einsum("", "jd,Bsd->Bsj", at(n), y), at(n+"_bias"))
	}
	q, k, v := proj("q"), proj("k"), proj("v")
	if f.err != nil {
		return nil
	}
	scale := f.ok(circuit.NewScalar(1/math.Sqrt(float64(f.cfg.HeadDim())), nil, ""))
	scores := f.einsum(name+".scores", "Bsj,Btj,->Bst", q, k, scale)
	probs := f.ok(circuit.NewGeneralFunction(name+".probs", "softmax", f.add(name+".masked", scores, f.mask)))
	z := f.einsum(name+".z", "Bst,Btj->Bsj", probs, v)
	return f.einsum(name, "ej,Bsj->Bse", at("o"), z)
}

func (f *forward) mlp(l int, x circuit.Circuit) circuit.Circuit {
	m := mlpName(l)
	y := f.layerNorm(m+".ln", m+".ln", x)
	pre := f.add(m+".pre", f.einsum("", "fd,Bsd->Bsf", f.w[m+".w.proj_in"], y), f.w[m+".w.in_bias"])
	act := f.ok(circuit.NewGeneralFunction(m+".act", "gelu_new", pre))
	return f.add(m, f.einsum("", "df,Bsf->Bsd", f.w[m+".w.proj_out"], act), f.w[m+".w.out_bias"])
}

// logits is the last position's logits [vocab] from the final stream x.
func (f *forward) logits(x circuit.Circuit) circuit.Circuit {
	idx := []circuit.AxisIndex{circuit.Int(f.seq - 1), circuit.All()}
	if f.bp != "" {
		idx = append([]circuit.AxisIndex{circuit.All()}, idx...)
	}
	last := f.index("final.last", x, idx...)
	return f.einsum(Logits, "vd,Bd->Bv", f.w["t.w.unembed"], f.layerNorm("final.ln", "final.ln", last))
}

// component computes one sender's output from its input stream.
func (f *forward) component(name string, x circuit.Circuit) circuit.Circuit {
	var l, h int
	if _, err := fmt.Sscanf(name, "a%d.h%d", &l, &h); err == nil {
		return f.head(l, h, x)
	}
	if _, err := fmt.Sscanf(name, "m%d", &l); err == nil {
		return f.mlp(l, x)
	}
	if name == Logits {
		return f.logits(x)
	}
	f.ok(nil, fmt.Errorf("unknown component %q", name))
	return nil
}

// layerOf is the layer a component reads at (Layers for the logits).
func (f *forward) layerOf(name string) int {
	var l, h int
	if _, err := fmt.Sscanf(name, "a%d.h%d", &l, &h); err == nil {
		return l
	}
	if _, err := fmt.Sscanf(name, "m%d", &l); err == nil {
		return l + 1 // the MLP reads after its layer's attention bias
	}
	return f.cfg.Layers
}

// run is the forward pass: each receiver's input is the sum over its
// senders s of in(edge, s's output), plus the attention output biases of
// the layers before it. It returns every component's output by name.
func (f *forward) run(gr *Graph, embed circuit.Circuit, in func(e Edge, out circuit.Circuit) circuit.Circuit) map[string]circuit.Circuit {
	out := map[string]circuit.Circuit{Embed: embed}
	comps := gr.Components()
	for i, r := range comps {
		if r == Embed {
			continue
		}
		var terms []circuit.Circuit
		for _, s := range comps[:i] {
			if !sameLayerHeads(s, r) {
				terms = append(terms, in(Edge{s, r}, out[s]))
			}
		}
		for l := range f.layerOf(r) {
			terms = append(terms, f.w[fmt.Sprintf("a%d.w.o_bias", l)])
		}
		out[r] = f.component(r, f.add(r+".in", terms...))
		if f.err != nil {
			return nil
		}
	}
	return out
}

// whole passes every sender's output unchanged: the unpatched model.
func whole(_ Edge, out circuit.Circuit) circuit.Circuit { return out }
