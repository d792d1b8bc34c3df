package acdc

import (
	"fmt"
	"maps"
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

// head is head h of layer l on its own input x [seq, hidden] (q, k and v
// all read x), without the layer's output bias. A final-layer head queries
// the last position only (nothing later reads the others).
func (f *forward) head(l, h int, x circuit.Circuit) circuit.Circuit {
	name := headName(l, h)
	a := fmt.Sprintf("a%d", l)
	y := f.layerNorm(name+".ln", a+".ln", x)
	at := func(n string) circuit.Circuit {
		return f.index(name+".w."+n, f.w[a+".w."+n], circuit.Int(h))
	}
	proj := func(n string, y circuit.Circuit) circuit.Circuit {
		return f.add(name+"."+n, f.einsum("", "jd,Bsd->Bsj", at(n), y), at(n+"_bias"))
	}
	qy, mask := y, f.mask
	if f.lastOnly(name) {
		qy, mask = f.last(y), f.index("t.mask.last", f.mask, circuit.Slice(f.seq-1, f.seq), circuit.All())
	}
	q, k, v := proj("q", qy), proj("k", y), proj("v", y)
	if f.err != nil {
		return nil
	}
	scale := f.ok(circuit.NewScalar(1/math.Sqrt(float64(f.cfg.HeadDim())), nil, ""))
	// Two operands and a scale, not a three-operand einsum: the runtime has GEMMs for pairs.
	scores := f.ok(circuit.Mul(name+".scores", f.einsum("", "Bsj,Btj->Bst", q, k), scale))
	probs := f.ok(circuit.NewGeneralFunction(name+".probs", "softmax", f.add(name+".masked", scores, mask)))
	z := f.einsum(name+".z", "Bst,Btj->Bsj", probs, v)
	return f.einsum(name, "ej,Bsj->Bse", at("o"), z)
}

// lastOnly reports whether only the last position of c's output is ever
// read: the final layer's heads and MLP, and the logits.
func (f *forward) lastOnly(c string) bool {
	var l, h int
	if _, err := fmt.Sscanf(c, "a%d.h%d", &l, &h); err == nil {
		return l == f.cfg.Layers-1
	}
	if _, err := fmt.Sscanf(c, "m%d", &l); err == nil {
		return l == f.cfg.Layers-1
	}
	return c == Logits
}

// last keeps the last position of a stream [..., seq, hidden] as an axis of one.
func (f *forward) last(x circuit.Circuit) circuit.Circuit {
	if f.err != nil {
		return nil
	}
	idx := make([]circuit.AxisIndex, len(x.Shape()))
	for i := range idx {
		idx[i] = circuit.All()
	}
	idx[len(idx)-2] = circuit.Slice(f.seq-1, f.seq)
	return f.index("", x, idx...)
}

func (f *forward) mlp(l int, x circuit.Circuit) circuit.Circuit {
	m := mlpName(l)
	y := f.layerNorm(m+".ln", m+".ln", x)
	pre := f.add(m+".pre", f.einsum("", "fd,Bsd->Bsf", f.w[m+".w.proj_in"], y), f.w[m+".w.in_bias"])
	act := f.ok(circuit.NewGeneralFunction(m+".act", "gelu_new", pre))
	return f.add(m, f.einsum("", "df,Bsf->Bsd", f.w[m+".w.proj_out"], act), f.w[m+".w.out_bias"])
}

// logits is the last position's logits [vocab] from the final stream x [1, hidden].
func (f *forward) logits(x circuit.Circuit) circuit.Circuit {
	idx := []circuit.AxisIndex{circuit.Int(0), circuit.All()} // x is the last position only
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

// inputs makes receiver r's input terms from its senders' outputs (which
// out holds); last says r reads the last position only.
type inputs func(r string, senders []string, out map[string]circuit.Circuit, last bool) []circuit.Circuit

// run is the forward pass: each receiver's input is the sum of the terms
// in makes from its senders, plus the attention output biases of the
// layers before it. Components in known (a prefix of the forward order) are
// not computed: known holds their outputs. run returns every component's
// output by name.
func (f *forward) run(gr *Graph, known map[string]circuit.Circuit, in inputs) map[string]circuit.Circuit {
	return f.runThen(gr, known, in, nil)
}

// runThen is run with then(r, output) replacing each computed output (nil:
// none).
func (f *forward) runThen(gr *Graph, known map[string]circuit.Circuit, in inputs, then func(r string, out circuit.Circuit) circuit.Circuit) map[string]circuit.Circuit {
	out := maps.Clone(known)
	comps := gr.Components()
	for i, r := range comps {
		if _, ok := out[r]; ok {
			continue
		}
		var senders []string
		for _, s := range comps[:i] {
			if !sameLayerHeads(s, r) {
				senders = append(senders, s)
			}
		}
		terms := in(r, senders, out, f.reads(r))
		for l := range f.layerOf(r) {
			terms = append(terms, f.w[fmt.Sprintf("a%d.w.o_bias", l)])
		}
		out[r] = f.component(r, f.add(r+".in", terms...))
		if then != nil && f.err == nil {
			out[r] = then(r, out[r])
		}
		if f.err != nil {
			return nil
		}
	}
	return out
}

// reads reports whether receiver r reads the last position only: heads
// read every position for their keys.
func (f *forward) reads(r string) bool { return f.lastOnly(r) && !strings.HasPrefix(r, "a") }

// seen is sender s's output o as a receiver that reads the last position
// only (last) or every position sees it.
func (f *forward) seen(s string, o circuit.Circuit, last bool) circuit.Circuit {
	if last && !f.lastOnly(s) {
		return f.last(o)
	}
	return o
}

// perEdge makes a receiver's input one term per edge: in(edge, sender's
// output, corrupt output or nil without corrupt), as the receiver sees them.
func (f *forward) perEdge(corrupt map[string]circuit.Circuit, in func(e Edge, out, cor circuit.Circuit) circuit.Circuit) inputs {
	return func(r string, senders []string, out map[string]circuit.Circuit, last bool) []circuit.Circuit {
		terms := make([]circuit.Circuit, len(senders))
		for i, s := range senders {
			var cor circuit.Circuit
			if corrupt != nil {
				cor = f.seen(s, corrupt[s], last)
			}
			terms[i] = in(Edge{s, r}, f.seen(s, out[s], last), cor)
		}
		return terms
	}
}

// whole passes every sender's output unchanged: the unpatched model.
func (f *forward) whole() inputs {
	return f.perEdge(nil, func(_ Edge, out, _ circuit.Circuit) circuit.Circuit { return out })
}
