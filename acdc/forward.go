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
	cfg     transformer.Config
	headDim int
	arch    Arch
	layout  Layout
	w       map[string]circuit.Circuit
	mask    circuit.Circuit
	seq     int
	bp      string // einsum letter of the variant axis ("" for none), replaces B in specs
	// rows, if set, maps a head's q, k or v projection from its receiver's
	// rows to the head's (masked).
	rows func(recv string, x circuit.Circuit) circuit.Circuit
	// layered, if set, says which layers' heads run together on a head
	// axis (layer); the others run head by head.
	layered func(l int) bool
	// allQueries keeps every position of every component (Patterns): no
	// component reads the last position alone.
	allQueries bool
	err        error
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

// head is head h of layer l on its q, k and v inputs [seq, hidden] (one
// circuit for all three unless the receivers are split), without the
// layer's output bias. A final-layer head queries the last position only
// (nothing later reads the others); its q input may already be that
// position alone.
func (f *forward) head(l, h int, xq, xk, xv circuit.Circuit) circuit.Circuit {
	name := headName(l, h)
	a := fmt.Sprintf("a%d", l)
	// One layer norm per distinct input: the receivers' names, or the head's when they are one.
	lns := map[circuit.Circuit]circuit.Circuit{}
	ln := func(port string, x circuit.Circuit) circuit.Circuit {
		if y, ok := lns[x]; ok {
			return y
		}
		pre := name
		if f.layout.QKV {
			pre += "." + port
		}
		lns[x] = f.layerNorm(pre+".ln", a+".ln", x)
		return lns[x]
	}
	yq, yk, yv := ln("q", xq), ln("k", xk), ln("v", xv)
	if f.err != nil {
		return nil
	}
	at := func(n string) circuit.Circuit {
		return f.index(name+".w."+n, f.w[a+".w."+n], circuit.Int(h))
	}
	proj := func(n string, y circuit.Circuit) circuit.Circuit {
		p := f.einsum("", "jd,Bsd->Bsj", at(n), y)
		if f.arch.AttnBias {
			p = f.add("", p, at(n+"_bias"))
		}
		if f.rows != nil && f.layout.QKV && f.err == nil {
			p = f.rows(name+"."+n, p)
		}
		if p == nil {
			return nil
		}
		return p.Rename(name + "." + n)
	}
	return f.attend(name, name, "", f.lastOnly(name), yq, yk, yv, proj, at("o"))
}

// attend is attention from the normed inputs yq, yk and yv, with a head
// axis h before the positions when ax is "h" (wo is then [heads, hidden,
// head_dim]): a final layer queries its last position alone, shortformer
// positions join the queries and keys, proj projects an input. Its result
// is named out.
func (f *forward) attend(name, out, ax string, last bool, yq, yk, yv circuit.Circuit, proj func(n string, y circuit.Circuit) circuit.Circuit, wo circuit.Circuit) circuit.Circuit {
	mask := f.mask
	if last {
		if sh := yq.Shape(); sh[len(sh)-2] != 1 {
			yq = f.last(yq)
		}
		mask = f.index("t.mask.last", f.mask, circuit.Slice(f.seq-1, f.seq), circuit.All())
	}
	q, k, v := proj("q", f.posed(yq, last)), proj("k", f.posed(yk, false)), proj("v", yv)
	if f.err != nil {
		return nil
	}
	b := "B" + ax
	scale := f.ok(circuit.NewScalar(1/math.Sqrt(float64(f.headDim)), nil, ""))
	// Two operands and a scale, not a three-operand einsum: the runtime has GEMMs for pairs.
	scores := f.ok(circuit.Mul(name+".scores", f.einsum("", b+"sj,"+b+"tj->"+b+"st", q, k), scale))
	probs := f.ok(circuit.NewGeneralFunction(name+".probs", "softmax", f.add(name+".masked", scores, mask)))
	z := f.einsum(name+".z", b+"st,"+b+"tj->"+b+"sj", probs, v)
	return f.einsum(out, ax+"ej,"+b+"sj->"+b+"se", wo, z)
}

// posed is a query or key input after its layer norm: with shortformer
// positions, plus the positional embeddings of the positions it holds
// (the last alone, or all).
func (f *forward) posed(y circuit.Circuit, last bool) circuit.Circuit {
	if !f.arch.Shortformer || f.err != nil {
		return y
	}
	lo := 0
	if last {
		lo = f.seq - 1
	}
	return f.add("", y, f.index("", f.w["t.w.pos_embeds"], circuit.Slice(lo, f.seq), circuit.All()))
}

// lastOnly reports whether only the last position of c's output is ever
// read: the final layer's heads and MLP, and the logits.
func (f *forward) lastOnly(c string) bool {
	if f.allQueries {
		return false
	}
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
	act := f.ok(circuit.NewGeneralFunction(m+".act", f.arch.MLPAct, pre))
	out := f.einsum("", "df,Bsf->Bsd", f.w[m+".w.proj_out"], act)
	if !f.arch.MLPOutputBias {
		return f.add(m, out)
	}
	return f.add(m, out, f.w[m+".w.out_bias"])
}

// logits is the last position's logits [vocab] from the final stream x [1, hidden].
func (f *forward) logits(x circuit.Circuit) circuit.Circuit {
	idx := []circuit.AxisIndex{circuit.Int(0), circuit.All()} // x is the last position only
	if f.bp != "" {
		idx = append([]circuit.AxisIndex{circuit.All()}, idx...)
	}
	last := f.index("final.last", x, idx...)
	if f.arch.FinalNorm {
		last = f.layerNorm("final.ln", "final.ln", last)
	}
	if !f.arch.OutputBias {
		return f.einsum(Logits, "vd,Bd->Bv", f.w["t.w.unembed"], last)
	}
	return f.add(Logits, f.einsum("", "vd,Bd->Bv", f.w["t.w.unembed"], last), f.w["t.w.unembed_bias"])
}

// component computes one component's output from its inputs, one per
// receiver (Layout.receivers).
func (f *forward) component(name string, xs []circuit.Circuit) circuit.Circuit {
	var l, h int
	if _, err := fmt.Sscanf(name, "a%d.h%d", &l, &h); err == nil {
		if len(xs) == 1 {
			return f.head(l, h, xs[0], xs[0], xs[0])
		}
		return f.head(l, h, xs[0], xs[1], xs[2])
	}
	if _, err := fmt.Sscanf(name, "m%d", &l); err == nil {
		return f.mlp(l, xs[0])
	}
	if name == Logits {
		return f.logits(xs[0])
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
// in makes from its senders, plus the attention output biases (if any) of
// the layers before it. Components in known (a prefix of the forward order) are
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
		var l int
		layer, isHead := headLayer(r)
		if isHead && f.layered != nil {
			fmt.Sscanf(layer, "a%d", &l)
		}
		if isHead && f.layered != nil && f.layered(l) {
			// Every head of the layer at once: they share their senders.
			xss := make([][]circuit.Circuit, f.cfg.Heads)
			for h := range xss {
				xss[h] = f.inputsOf(headName(l, h), senders, out, in)
			}
			for h, o := range f.layer(l, xss) {
				out[headName(l, h)] = o
				if then != nil && f.err == nil {
					out[headName(l, h)] = then(headName(l, h), o)
				}
			}
		} else {
			out[r] = f.component(r, f.inputsOf(r, senders, out, in))
			if then != nil && f.err == nil {
				out[r] = then(r, out[r])
			}
		}
		if f.err != nil {
			return nil
		}
	}
	return out
}

// inputsOf is component r's inputs, one per receiver, from its senders.
func (f *forward) inputsOf(r string, senders []string, out map[string]circuit.Circuit, in inputs) []circuit.Circuit {
	var xs []circuit.Circuit
	for _, p := range f.layout.receivers(r) {
		terms := in(p, senders, out, f.reads(p))
		for l := range f.layerOf(r) {
			if f.arch.AttnBias {
				terms = append(terms, f.w[fmt.Sprintf("a%d.w.o_bias", l)])
			}
		}
		xs = append(xs, f.add(p+".in", terms...))
	}
	return xs
}

// layer is every head of layer l computed at once on a head axis, from
// each head's inputs xss[h] (one, or its q, k and v): head's equations
// with a fraction of the nodes, for layers whose heads all run on every
// row. It returns each head's output.
func (f *forward) layer(l int, xss [][]circuit.Circuit) []circuit.Circuit {
	a := fmt.Sprintf("a%d", l)
	heads := len(xss)
	// stack puts input port of every head on an axis before the positions.
	stack := func(port int) circuit.Circuit {
		xs := make([]circuit.Circuit, heads)
		for h := range xs {
			x := xss[h][port]
			xs[h] = f.ok(circuit.Unsqueeze("", x, len(x.Shape())-2))
		}
		if f.err != nil {
			return nil
		}
		return f.ok(circuit.NewConcat("", len(xs[0].Shape())-3, xs...))
	}
	var yq, yk, yv circuit.Circuit
	if len(xss[0]) == 1 {
		yq = f.layerNorm(a+".ln", a+".ln", stack(0))
		yk, yv = yq, yq
	} else {
		yq, yk, yv = f.layerNorm(a+".q.ln", a+".ln", stack(0)), f.layerNorm(a+".k.ln", a+".ln", stack(1)), f.layerNorm(a+".v.ln", a+".ln", stack(2))
	}
	if f.err != nil {
		return nil
	}
	proj := func(n string, y circuit.Circuit) circuit.Circuit {
		p := f.einsum(a+"."+n, "hjd,Bhsd->Bhsj", f.w[a+".w."+n], y)
		if !f.arch.AttnBias {
			return p
		}
		return f.add(a+"."+n+"_b", p, f.ok(circuit.Unsqueeze("", f.w[a+".w."+n+"_bias"], 1)))
	}
	o := f.attend(a, a+".heads", "h", f.lastOnly(headName(l, 0)), yq, yk, yv, proj, f.w[a+".w.o"])
	if f.err != nil {
		return nil
	}
	outs := make([]circuit.Circuit, heads)
	for h := range outs {
		idx := []circuit.AxisIndex{circuit.Int(h), circuit.All(), circuit.All()}
		if f.bp != "" {
			idx = append([]circuit.AxisIndex{circuit.All()}, idx...)
		}
		outs[h] = f.index(headName(l, h), o, idx...)
	}
	return outs
}

// reads reports whether receiver r reads the last position only: heads
// read every position for their keys and values, a final-layer head's
// q input the last alone.
func (f *forward) reads(r string) bool {
	c, port := splitPort(r)
	return f.lastOnly(c) && (!isHead(c) || port == "q")
}

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
