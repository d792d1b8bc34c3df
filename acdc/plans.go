package acdc

import (
	"fmt"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/transformer"
)

// Names of the Symbols the plans bind at run time.
const (
	maskName     = "acdc.mask"     // the variants' edge masks [variants, edges]
	embedName    = "acdc.embed"    // the clean and corrupt embeddings [2, seq, hidden]
	basePrefix   = "acdc.base."    // + seenName: Σ corrupt output of the components before the step
	diffPrefix   = "acdc.diff."    // + seenName: their clean − corrupt outputs, stacked
	corruptPref  = "acdc.corrupt." // + sender: its corrupt output, for senders the step computes
	corsumPrefix = "acdc.corsum."  // + receiver: Σ corrupt output of its senders the step computes
)

// compiled is what a Discoverer keeps for one token count.
type compiled struct {
	f, u   *forward       // the forward pass batched over variants, and unbatched
	edges  []Edge         // every edge of the full graph, in mask column order
	index  map[Edge]int   // its column
	order  map[string]int // each component's position in the forward order, and each receiver's component's
	rank   map[string]int // each receiver's position among the receivers
	full   *Graph
	from   map[string][]string // each receiver's senders in the full graph, in forward order
	consts *circopt.Plan       // the clean and corrupt runs from their embeddings
	plans  map[planKey]*circopt.Plan
}

// compiledFor is the token count's plans, made on first use.
func (d *Discoverer) compiledFor(seq int) (*compiled, error) {
	if c, ok := d.bySeq[seq]; ok {
		return c, nil
	}
	f := &forward{cfg: d.m.Config, headDim: d.m.HeadDim, arch: d.m.Arch, layout: d.layout, w: d.w, seq: seq, bp: "b"}
	var err error
	if f.mask, err = mask(seq, d.m.Arch.Causal); err != nil {
		return nil, err
	}
	u := *f
	u.bp = ""              // the unbatched reference runs head by head
	f.layered = everyLayer // the batched plans stack a layer's heads unless a step runs them on their own rows
	c := &compiled{f: f, u: &u, index: map[Edge]int{}, order: map[string]int{}, rank: map[string]int{}, plans: map[planKey]*circopt.Plan{}}
	if c.full, err = NewGraph(d.layout); err != nil {
		return nil, err
	}
	c.from = map[string][]string{}
	for i, n := range c.full.Components() {
		c.order[n] = i
	}
	for i, r := range c.full.Receivers() {
		c.order[r], c.rank[r] = c.order[compOf(r)], i
		if c.from[r], err = c.full.Senders(r); err != nil {
			return nil, err
		}
	}
	if c.edges, err = c.full.Edges(); err != nil {
		return nil, err
	}
	for i, e := range c.edges {
		c.index[e] = i
	}
	emb, err := circuit.NewSymbol([]int{2, seq, d.m.Config.Hidden}, "", embedName)
	if err != nil {
		return nil, err
	}
	out := f.run(c.full, map[string]circuit.Circuit{Embed: emb}, f.whole())
	if f.err != nil {
		return nil, f.err
	}
	names := c.full.Components()[1:]
	roots := make([]circuit.Circuit, len(names))
	for i, n := range names {
		roots[i] = out[n]
	}
	if c.consts, err = circopt.Compile(roots, circopt.Options{DType: d.opts.DType}); err != nil {
		return nil, fmt.Errorf("acdc: compile the clean and corrupt runs: %w", err)
	}
	d.bySeq[seq] = c
	return c, nil
}

func everyLayer(int) bool { return true }

// mask is added to attention scores: the causal mask, or zeros.
func mask(seq int, causal bool) (circuit.Circuit, error) {
	if causal {
		return transformer.CausalMask(seq)
	}
	t, err := tensor.FromFloat32([]int{seq, seq}, make([]float32, seq*seq))
	if err != nil {
		return nil, err
	}
	return circuit.NewArray(t, "t.mask")
}

// planKey names a plan: its first computed component, its variant count,
// and whether its rows follow a step's layout (stepRows).
type planKey struct {
	start, b int
	step     bool
}

// plan is the compiled masked run's logits from forward position start on,
// for at least b variants: the smallest plan already compiled for up to
// twice as many variants is reused (the extra rows are padding), since a
// compile costs more than a few rows. With step (the receivers of one
// step), the rows follow stepRows' layout and b must be its length.
func (c *compiled) plan(start, b int, step []string, dt tensor.DType) (*circopt.Plan, int, error) {
	key := planKey{start, b, step != nil}
	if step == nil {
		for k := range c.plans {
			if !k.step && k.start == start && k.b >= b && k.b <= 2*b && (key.b == b || k.b < key.b) {
				key.b = k.b
			}
		}
	}
	if p, ok := c.plans[key]; ok {
		return p, key.b, nil
	}
	out, err := c.masked(start, b, step)
	if err != nil {
		return nil, 0, err
	}
	p, err := circopt.Compile([]circuit.Circuit{out[Logits]}, circopt.Options{DType: dt})
	if err != nil {
		return nil, 0, fmt.Errorf("acdc: compile: %w", err)
	}
	c.plans[key] = p
	return p, b, nil
}

// stepRows is the row layout of a step over receivers step (in forward
// order, a component's receivers adjacent): row 0 is the current circuit,
// then each receiver's rows, one per sender of the full graph. It returns
// each receiver's rows [lo, hi), each component's (its receivers'
// together) and the row count.
func (c *compiled) stepRows(step []string) (recv, comp map[string][2]int, n int) {
	recv, comp, n = map[string][2]int{}, map[string][2]int{}, 1
	for _, r := range step {
		recv[r] = [2]int{n, n + len(c.from[r])}
		cr, ok := comp[compOf(r)]
		if !ok {
			cr = [2]int{n, n}
		}
		n += len(c.from[r])
		cr[1] = n
		comp[compOf(r)] = cr
	}
	return recv, comp, n
}

// masked is the clean run over b variants from the component at forward
// position start on (the earlier ones are the clean run's, all their edges
// in): edge e of variant i is kept where mask[i, e] is 1 and patched to the
// corrupt sender output where it is 0 (input = corrupt + mask·(clean −
// corrupt)). The edges from the earlier components enter as one
// contraction per receiver: base + mask[:, their columns]·diff (every
// receiver computed has every component before start as a sender, so
// base and diff are shared). With step,
// the rows follow stepRows(step), and a step receiver whose senders all
// come before start runs only on row 0 and its own rows: the others do not
// change its input.
func (c *compiled) masked(start, b int, step []string) (map[string]circuit.Circuit, error) {
	f := c.f
	syms := map[string]circuit.Circuit{} // one Symbol per name: runs bind by name
	sym := func(name string, shape ...int) circuit.Circuit {
		if _, ok := syms[name]; !ok {
			syms[name] = f.ok(circuit.NewSymbol(shape, "", name))
		}
		return syms[name]
	}
	mask := sym(maskName, b, len(c.edges))
	cols := func(rows circuit.AxisIndex, e Edge, n int) circuit.Circuit {
		return f.index("", mask, rows, circuit.Slice(c.index[e], c.index[e]+n))
	}
	var at, portAt map[string][2]int
	if step != nil {
		var n int
		if portAt, at, n = c.stepRows(step); n != b {
			return nil, fmt.Errorf("acdc: step of %d rows in a plan of %d", n, b)
		}
	}
	known, corrupt := map[string]circuit.Circuit{}, map[string]circuit.Circuit{}
	for _, n := range c.full.Components() {
		switch i := c.order[n]; {
		case i < start:
			known[n] = nil // never read: receivers see these senders through base and diff
		case n != Logits:
			corrupt[n] = sym(corruptPref+n, c.outShape(n)...)
		}
	}
	diffs := map[string]circuit.Circuit{} // out − corrupt of each computed sender, shared by its receivers
	diff := func(s string, out map[string]circuit.Circuit) circuit.Circuit {
		if _, ok := diffs[s]; !ok {
			diffs[s] = f.ok(circuit.Sub(s+".diff", out[s], corrupt[s]))
		}
		return diffs[s]
	}
	own := map[string]bool{}       // step components computed on their own rows
	expand := map[string][]int64{} // a head's q, k or v input on its own rows: the head's row of each
	in := func(recv string, senders []string, out map[string]circuit.Circuit, last bool) []circuit.Circuit {
		n := c.before(senders, start)
		rows := circuit.All()
		if r, ok := at[compOf(recv)]; ok && n == len(senders) {
			own[compOf(recv)] = true
			lo, hi := r[0], r[1]
			if recv != compOf(recv) {
				// A head's input differs from row 0 only on its own rows: the head
				// projects it there and spreads the projection to the head's rows.
				pr := portAt[recv]
				idx := make([]int64, 1+hi-lo)
				for g := pr[0]; g < pr[1]; g++ {
					idx[g-lo+1] = int64(g - pr[0] + 1)
				}
				expand[recv], lo, hi = idx, pr[0], pr[1]
			}
			rows = circuit.Positions(append([]int64{0}, span(lo, hi)...)...)
		}
		var terms []circuit.Circuit
		if comp := senders[n:]; len(comp) > 0 {
			// Σ corrupt + mask[:, their columns]·(out − corrupt) stacked [variants, senders, …]:
			// one contraction, and the stack is shared by receivers with these senders.
			ds := make([]circuit.Circuit, len(comp))
			for i, s := range comp {
				ds[i] = f.ok(circuit.Unsqueeze("", f.seen(s, diff(s, out), last), 1))
			}
			if f.err != nil {
				return nil
			}
			stack := f.ok(circuit.NewConcat("", 1, ds...))
			terms = append(terms, sym(corsumPrefix+recv, c.seqSeen(last), f.cfg.Hidden),
				f.einsum("", "Bn,Bnsd->Bsd", cols(rows, Edge{comp[0], recv}, len(comp)), stack))
		}
		if n == 0 {
			return terms
		}
		if n != start {
			f.ok(nil, fmt.Errorf("acdc: %s has %d senders before position %d", recv, n, start))
			return nil
		}
		seq := c.seqSeen(last)
		base := sym(basePrefix+seenName(last), seq, f.cfg.Hidden)
		diff := sym(diffPrefix+seenName(last), n, seq, f.cfg.Hidden)
		// Edges into recv are sorted by sender, so the earlier senders' columns are adjacent.
		return append(terms, base, f.einsum("", "Be,esd->Bsd", cols(rows, Edge{senders[0], recv}, n), diff))
	}
	// spread gives every row its own-rows output: row 0's, or its own.
	spread := func(recv string, o circuit.Circuit) circuit.Circuit {
		if !own[recv] {
			return o
		}
		r, idx := at[recv], make([]int64, b)
		for i := r[0]; i < r[1]; i++ {
			idx[i] = int64(i - r[0] + 1)
		}
		return f.pick(recv+".rows", o, idx)
	}
	f.rows = func(recv string, x circuit.Circuit) circuit.Circuit {
		if idx, ok := expand[recv]; ok {
			return f.pick(recv+".rows", x, idx)
		}
		return x
	}
	f.layered = func(l int) bool { _, own := at[headName(l, 0)]; return !own }
	defer func() { f.rows, f.layered = nil, everyLayer }()
	out := f.runThen(c.full, known, in, spread)
	return out, f.err
}

// span is lo, lo+1, …, hi−1.
func span(lo, hi int) []int64 {
	out := make([]int64, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, int64(i))
	}
	return out
}

// before counts the senders (in forward order) before position start.
func (c *compiled) before(senders []string, start int) int {
	n := 0
	for n < len(senders) && c.order[senders[n]] < start {
		n++
	}
	return n
}

// seqSeen is the positions a receiver sees: one if it reads the last only.
func (c *compiled) seqSeen(last bool) int {
	if last {
		return 1
	}
	return c.f.seq
}

// seenName names the positions a receiver sees (seqSeen).
func seenName(last bool) string {
	if last {
		return "last"
	}
	return "all"
}

// outShape is component n's output shape in one run.
func (c *compiled) outShape(n string) []int {
	if n == Logits {
		return []int{c.f.cfg.Vocab}
	}
	return []int{c.seqSeen(c.f.lastOnly(n)), c.f.cfg.Hidden}
}

// pick is rows idx of x [n, …] as a product with a one-hot [len(idx), n]
// matrix, not a gather: the optimizer pushes a gather towards the inputs,
// which for one that repeats rows (as these do) would compute the whole
// component on every row instead of on its own.
func (f *forward) pick(name string, x circuit.Circuit, idx []int64) circuit.Circuit {
	if f.err != nil {
		return nil
	}
	n := x.Shape()[0]
	oh := make([]float32, len(idx)*n)
	for i, j := range idx {
		oh[i*n+int(j)] = 1
	}
	t, err := tensor.FromFloat32([]int{len(idx), n}, oh)
	if err != nil {
		f.ok(nil, err)
		return nil
	}
	return f.einsum(name, "rn,nsd->rsd", f.ok(circuit.NewArray(t, "")), x)
}
