package lower

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// gen draws random well-formed circuits of every node kind. Leaves are
// small random Arrays, Scalars and Symbols (bound in bind); inner nodes
// are drawn per kind from what the child's shape allows. Earlier results
// are reused as children now and then, so subtrees are shared.
type gen struct {
	t    *rapid.T
	bind map[string]*tensor.Tensor
	pool []circuit.Circuit
	n    int // counter for names and seeds
}

func (g *gen) int(lo, hi int, label string) int { return rapid.IntRange(lo, hi).Draw(g.t, label) }
func (g *gen) coin(label string) bool           { return rapid.Bool().Draw(g.t, label) }

func (g *gen) next() int { g.n++; return g.n }

func (g *gen) shape() []int {
	s := make([]int, g.int(0, 3, "rank"))
	for i := range s {
		s[i] = g.int(1, 4, "dim")
	}
	return s
}

func (g *gen) leaf(shape []int) circuit.Circuit {
	switch g.int(0, 3, "leaf") {
	case 0:
		return try(circuit.NewScalar(float64(g.int(-3, 3, "scalar")), shape, "")).of(g.t)
	case 1:
		name := fmt.Sprintf("s%d", g.next())
		g.bind[name] = try(tensor.RandN(tensor.Float64, shape, uint64(g.n))).of(g.t)
		return try(circuit.NewSymbol(shape, "", name)).of(g.t)
	}
	name := ""
	if g.coin("named") {
		name = fmt.Sprintf("w%d", g.next())
	}
	return try(circuit.RandArray(shape, uint64(g.next()), tensor.Float64, name)).of(g.t)
}

// circ draws a circuit with at most depth levels of inner nodes.
func (g *gen) circ(depth int) circuit.Circuit {
	if len(g.pool) > 0 && g.int(0, 5, "reuse") == 0 {
		return g.pool[g.int(0, len(g.pool)-1, "pick")]
	}
	if depth == 0 {
		return g.leaf(g.shape())
	}
	c := g.apply(g.circ(depth-1), depth)
	if c.Kind() != circuit.KindSymbol && g.coin("rename") {
		c = c.Rename(fmt.Sprintf("n%d", g.next()))
	}
	g.pool = append(g.pool, c)
	return c
}

// broadcastable draws a shape that broadcasts with s: a suffix of s with
// some axes set to 1, sometimes (when the whole of s is kept) with a new
// leading axis of size 2, so that any two such shapes broadcast together.
func (g *gen) broadcastable(s []int) []int {
	k := g.int(0, len(s), "suffix")
	out := append([]int(nil), s[len(s)-k:]...)
	for i := range out {
		if g.int(0, 3, "one") == 0 {
			out[i] = 1
		}
	}
	if k == len(s) && len(s) < 3 && g.int(0, 3, "lead") == 0 {
		out = append([]int{2}, out...)
	}
	return out
}

func (g *gen) apply(x circuit.Circuit, depth int) circuit.Circuit {
	s := x.Shape()
	switch g.int(0, 9, "kind") {
	case 0:
		n := g.int(0, 3, "terms")
		kids := []circuit.Circuit{}
		if n > 0 {
			kids = append(kids, x)
		}
		for i := 1; i < n; i++ {
			if g.coin("self") {
				kids = append(kids, x)
			} else {
				kids = append(kids, g.leaf(g.broadcastable(s)))
			}
		}
		return try(circuit.NewAdd("", kids...)).of(g.t)
	case 1:
		return g.einsum(x)
	case 2:
		return g.rearrange(x)
	case 3:
		return g.index(x)
	case 4:
		if len(s) == 0 {
			return try(circuit.NewTag("", "", x)).of(g.t)
		}
		ax := g.int(0, len(s)-1, "axis")
		kids := []circuit.Circuit{x}
		for range g.int(0, 2, "more") {
			o := append([]int(nil), s...)
			o[ax] = g.int(1, 3, "catdim")
			kids = append(kids, g.leaf(o))
		}
		return try(circuit.NewConcat("", ax, kids...)).of(g.t)
	case 5:
		names := circuit.FunctionNames()
		f := names[g.int(0, len(names)-1, "function")]
		fs, _ := circuit.LookupFunction(f)
		switch {
		case f == "pow":
			base := try(circuit.NewGeneralFunction("", "exp", x)).of(g.t)
			return try(circuit.NewGeneralFunction("", f, base, g.leaf(g.broadcastable(s)))).of(g.t)
		case fs.LastDim && (len(s) == 0 || s[len(s)-1] == 0):
			f = "sigmoid"
		case f == "log" || f == "rsqrt" || f == "logit":
			// keep inputs in (0,1): NaNs would only test NaN handling, where
			// the runtime and the naive evaluator differ (relu(NaN))
			x = try(circuit.NewGeneralFunction("", "sigmoid", x)).of(g.t)
		}
		return try(circuit.NewGeneralFunction("", f, x)).of(g.t)
	case 6:
		shape := make([]int, len(s))
		idx := make([]circuit.AxisIndex, len(s))
		for i, d := range s {
			lo, hi := g.int(0, 2, "padlo"), g.int(0, 2, "padhi")
			shape[i] = lo + d + hi
			idx[i] = circuit.Slice(lo, lo+d)
			if lo == 0 && hi == 0 && g.coin("all") {
				idx[i] = circuit.All()
			}
		}
		return try(circuit.NewScatter("", idx, shape, x)).of(g.t)
	case 7:
		return try(circuit.NewTag("", "", x)).of(g.t)
	case 8:
		return g.module(x, depth)
	}
	return x
}

// einsum contracts x (whose axes may share labels when sizes agree, taking
// a diagonal) with an optional second operand, into a random output that
// may repeat a label (embedding a diagonal).
func (g *gen) einsum(x circuit.Circuit) circuit.Circuit {
	size := map[int]int{}
	var labels []int
	xl := make([]int, x.Rank())
	for i, d := range x.Shape() {
		xl[i] = len(size)
		for _, l := range labels {
			if size[l] == d && g.int(0, 3, "diag") == 0 {
				xl[i] = l
				break
			}
		}
		if xl[i] == len(size) {
			size[xl[i]] = d
			labels = append(labels, xl[i])
		}
	}
	axes := [][]int{xl}
	kids := []circuit.Circuit{x}
	if g.coin("second") {
		var yl []int
		var ys []int
		for range g.int(0, 3, "yrank") {
			l := len(size)
			if len(labels) > 0 && g.coin("shared") {
				l = labels[g.int(0, len(labels)-1, "ylabel")]
			} else {
				size[l] = g.int(1, 3, "ydim")
				labels = append(labels, l)
			}
			yl = append(yl, l)
			ys = append(ys, size[l])
		}
		axes = append(axes, yl)
		kids = append(kids, g.leaf(ys))
	}
	var out []int
	for _, l := range labels {
		if g.coin("keep") {
			out = append(out, l)
		}
	}
	out = rapid.Permutation(out).Draw(g.t, "order")
	if len(out) > 0 && len(out) < 3 && g.int(0, 3, "embed") == 0 {
		out = append(out, out[0])
	}
	return try(circuit.NewEinsum("", axes, out, kids...)).of(g.t)
}

// rearrange splits input axes (d = d·1 = 1·d, 4 = 2·2), drops size-1 axes,
// permutes, inserts repeats and regroups the output.
func (g *gen) rearrange(x circuit.Circuit) circuit.Circuit {
	sp := circuit.RearrangeSpec{In: [][]int{}, Out: [][]int{}, Sizes: []int{}}
	var ids []int
	id := func(size int) int {
		sp.Sizes = append(sp.Sizes, size)
		return len(sp.Sizes) - 1
	}
	for _, d := range x.Shape() {
		var grp []int
		switch {
		case d == 1 && g.coin("drop"):
		case d == 4 && g.coin("split4"):
			grp = []int{id(2), id(-1)}
		case g.int(0, 3, "split") == 0:
			grp = []int{id(1), id(-1)}
			if g.coin("swap") {
				grp[0], grp[1] = grp[1], grp[0]
			}
		default:
			grp = []int{id(-1)}
		}
		sp.In = append(sp.In, grp)
		ids = append(ids, grp...)
	}
	for range g.int(0, 2, "repeats") {
		ids = append(ids, id(g.int(1, 3, "repeat")))
	}
	ids = rapid.Permutation(ids).Draw(g.t, "perm")
	for len(ids) > 0 {
		n := g.int(1, min(len(ids), 3), "group")
		sp.Out = append(sp.Out, ids[:n])
		ids = ids[n:]
		if g.int(0, 5, "unit") == 0 {
			sp.Out = append(sp.Out, []int{})
		}
	}
	return try(circuit.NewRearrange("", sp, x)).of(g.t)
}

// index draws an int, slice (with negative and out-of-range bounds) or
// position list per axis, for a prefix of the axes.
func (g *gen) index(x circuit.Circuit) circuit.Circuit {
	s := x.Shape()
	idx := make([]circuit.AxisIndex, g.int(0, len(s), "idxlen"))
	for i := range idx {
		d := s[i]
		kind := g.int(0, 2, "idxkind")
		if d == 0 && kind == 0 {
			kind = 1 // an empty axis has no position to pick
		}
		switch kind {
		case 0:
			idx[i] = circuit.Int(g.int(-d, d-1, "int"))
		case 1:
			a := circuit.AxisIndex{Kind: circuit.IndexSlice}
			if g.coin("start") {
				v := g.int(-d-1, d+1, "lo")
				a.Start = &v
			}
			if g.coin("stop") {
				v := g.int(-d-1, d+1, "hi")
				a.Stop = &v
			}
			idx[i] = a
		default:
			pos := make([]int64, g.int(0, min(d, 3), "npos"))
			for j := range pos {
				pos[j] = int64(g.int(-d, d-1, "pos"))
			}
			idx[i] = circuit.Positions(pos...)
		}
	}
	return try(circuit.NewIndex("", idx, x)).of(g.t)
}

// module calls a random spec over a symbol of x's trailing shape, so x's
// leading axes (if any) become batch axes.
func (g *gen) module(x circuit.Circuit, depth int) circuit.Circuit {
	batch := g.int(0, x.Rank(), "batch")
	s := try(circuit.NewSymbol(x.Shape()[batch:], "", fmt.Sprintf("arg%d", g.next()))).of(g.t)
	body := circuit.Circuit(s)
	for range g.int(1, 2, "body") {
		kind := g.int(0, 3, "bodykind")
		switch kind {
		case 0:
			body = try(circuit.NewAdd("", body, g.leaf(g.broadcastable(body.Shape())))).of(g.t)
		case 1:
			body = g.einsum(body)
		case 2:
			body = g.rearrange(body)
		default:
			body = try(circuit.NewGeneralFunction("", "tanh", body)).of(g.t)
		}
	}
	m, err := circuit.NewModule(fmt.Sprintf("mod%d", g.n), body, []circuit.ModuleArgSpec{{Symbol: s, Batchable: true}}, x)
	if err != nil {
		g.t.Fatalf("module over %v with batch %d: %v", x.Shape(), batch, err)
	}
	return m
}

// TestRapidRoundTrip: for random circuits (one to three roots sharing
// subtrees), the runtime on Lower's program, the naive evaluator on the
// circuits, the naive evaluator on Raise's circuits and the runtime on their
// lowering all agree in float64.
func TestRapidRoundTrip(t *testing.T) {
	kinds := map[circuit.Kind]int{}
	ops := map[ir.Op]int{}
	structural := []ir.Op{ir.OpInput, ir.OpConst, ir.OpScalar, ir.OpAdd, ir.OpEinsum, ir.OpReshape,
		ir.OpPermute, ir.OpBroadcast, ir.OpSlice, ir.OpSelect, ir.OpGather, ir.OpConcat, ir.OpScatter}
	missing := func() []string {
		var out []string
		for _, k := range circuit.AllKinds() {
			if kinds[k] == 0 {
				out = append(out, "no "+string(k)+" was generated")
			}
		}
		for _, op := range structural {
			if ops[op] == 0 {
				out = append(out, "no "+string(op)+" was lowered")
			}
		}
		return out
	}
	// Coverage is random: a round of rapid's cases can miss a rare op
	// (slices come from some Index nodes only), so rounds repeat, up to
	// five, until every kind and op has been reached.
	for round := 0; round < 5; round++ {
		rapid.Check(t, func(t *rapid.T) {
			g := &gen{t: t, bind: map[string]*tensor.Tensor{}}
			roots := make([]circuit.Circuit, g.int(1, 3, "roots"))
			for i := range roots {
				roots[i] = g.circ(g.int(1, 4, "depth"))
			}
			p := roundTrip(t, roots, g.bind)
			circuit.Walk(roots, func(c circuit.Circuit) { kinds[c.Kind()]++ })
			for _, v := range p.Values {
				ops[v.Op]++
			}
		})
		if testing.Short() || len(missing()) == 0 {
			break // rapid's 20 short-mode cases are too few to reach every op
		}
	}
	t.Logf("kinds %v", kinds)
	if testing.Short() {
		return
	}
	// the generator must reach every node kind and every structural op
	for _, m := range missing() {
		t.Error(m)
	}
}
