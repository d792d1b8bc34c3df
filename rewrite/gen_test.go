package rewrite

import (
	"fmt"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
	"pgregory.net/rapid"
)

// Tolerances for value checks against the naive float64 evaluator.
const (
	rtol = 1e-9
	atol = 1e-12
)

// tb is what both *testing.T and *rapid.T provide.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

// gen draws random circuits for property tests.
type gen struct {
	t *rapid.T
	n int
}

func newGen(t *rapid.T) *gen { return &gen{t: t} }

func (g *gen) intn(lo, hi int, label string) int {
	return rapid.IntRange(lo, hi).Draw(g.t, label)
}

func (g *gen) bool(label string) bool { return rapid.Bool().Draw(g.t, label) }

// array is a named random float64 array.
func (g *gen) array(shape []int) circuit.Circuit {
	g.n++
	seed := rapid.Uint64().Draw(g.t, "seed")
	a, err := circuit.RandArray(shape, seed, tensor.Float64, fmt.Sprintf("a%d", g.n))
	if err != nil {
		g.t.Fatalf("RandArray: %v", err)
	}
	return a
}

func (g *gen) shape(minRank, maxRank, maxDim int) []int {
	r := g.intn(minRank, maxRank, "rank")
	s := make([]int, r)
	for i := range s {
		s[i] = g.intn(1, maxDim, "dim")
	}
	return s
}

// broadcastable returns a shape that broadcasts to s: a suffix of s with
// some dimensions replaced by 1.
func (g *gen) broadcastable(s []int) []int {
	drop := g.intn(0, len(s), "drop")
	out := append([]int(nil), s[drop:]...)
	for i := range out {
		if g.intn(0, 3, "one") == 0 {
			out[i] = 1
		}
	}
	return out
}

func (g *gen) scalar(v float64, shape []int) circuit.Circuit {
	s, err := circuit.NewScalar(v, shape, "")
	if err != nil {
		g.t.Fatalf("NewScalar: %v", err)
	}
	return s
}

// must unwraps a constructor result in tests; a failure panics, which both
// testing and rapid report as a test failure with the stack.
func must[T any](x T, err error) T {
	if err != nil {
		panic(err)
	}
	return x
}

// einsumOver draws a random einsum whose output has shape out. Output
// labels may repeat (diagonal embedding) when diag is set; extra labels are
// summed; depth > 0 lets operands be einsums themselves.
func (g *gen) einsumOver(out []int, diag bool, depth int) *circuit.Einsum {
	var sizes []int
	outL := make([]int, len(out))
	for j, d := range out {
		if diag && j > 0 && g.intn(0, 3, "repeat") == 0 {
			k := g.intn(0, j-1, "which")
			if out[k] == d {
				outL[j] = outL[k]
				continue
			}
		}
		outL[j] = len(sizes)
		sizes = append(sizes, d)
	}
	for n := g.intn(0, 2, "summed"); n > 0; n-- {
		sizes = append(sizes, g.intn(1, 3, "size"))
	}
	nops := g.intn(1, 3, "operands")
	axes := make([][]int, nops)
	used := map[int]bool{}
	for i := range axes {
		r := 0
		if len(sizes) > 0 {
			r = g.intn(0, 3, "oprank")
		}
		for k := 0; k < r; k++ {
			l := g.intn(0, len(sizes)-1, "label")
			axes[i] = append(axes[i], l)
			used[l] = true
		}
	}
	// every output label must occur in some operand
	for _, l := range outL {
		if !used[l] {
			i := g.intn(0, nops-1, "host")
			axes[i] = append(axes[i], l)
			used[l] = true
		}
	}
	kids := make([]circuit.Circuit, nops)
	for i, ax := range axes {
		if axes[i] == nil {
			axes[i] = []int{}
		}
		shape := make([]int, len(ax))
		for k, l := range ax {
			shape[k] = sizes[l]
		}
		if depth > 0 && g.bool("nested") {
			kids[i] = g.einsumOver(shape, diag, depth-1)
		} else {
			kids[i] = g.array(shape)
		}
	}
	return must(circuit.NewEinsum("", axes, outL, kids...))
}

// index draws a random index for shape; force names an axis that gets a
// non-identity index (-1 for none).
func (g *gen) index(shape []int, force int) []circuit.AxisIndex {
	idx := make([]circuit.AxisIndex, len(shape))
	for i, d := range shape {
		if d == 0 {
			idx[i] = rapid.SampledFrom([]circuit.AxisIndex{circuit.All(), circuit.Slice(0, 0), circuit.Positions()}).Draw(g.t, "empty")
			continue
		}
		k := g.intn(0, 3, "idxkind")
		if i == force && k == 0 {
			k = 1
		}
		switch k {
		case 0:
			idx[i] = circuit.All()
		case 1:
			idx[i] = circuit.Int(g.intn(-d, d-1, "int"))
		case 2:
			lo := g.intn(-d, d-1, "lo")
			hi := g.intn(-d, d, "hi")
			if i == force {
				lo, hi = g.intn(1, d, "lo"), d
				if d == 1 {
					lo = 0
					hi = 0
				}
			}
			idx[i] = circuit.Slice(lo, hi)
		default:
			n := g.intn(0, 3, "npos")
			ps := make([]int64, n)
			for j := range ps {
				ps[j] = int64(g.intn(-d, d-1, "pos"))
			}
			idx[i] = circuit.Positions(ps...)
			if i == force && n == d {
				idx[i] = circuit.Int(0)
			}
		}
	}
	return idx
}

// rearrangeSpec draws an einops spec over atoms: it returns the spec and
// the input shape it applies to.
func (g *gen) rearrangeSpec() (circuit.RearrangeSpec, []int) {
	natoms := g.intn(1, 4, "atoms")
	sp := circuit.RearrangeSpec{}
	for i := 0; i < natoms; i++ {
		sp.Sizes = append(sp.Sizes, g.intn(1, 4, "atom"))
	}
	ids := make([]int, natoms)
	for i := range ids {
		ids[i] = i
	}
	sp.In = g.groups(ids)
	outIDs := rapid.Permutation(ids).Draw(g.t, "perm")
	for n := g.intn(0, 1, "repeats"); n > 0; n-- {
		at := g.intn(0, len(outIDs), "at")
		id := len(sp.Sizes)
		sp.Sizes = append(sp.Sizes, g.intn(1, 3, "rep"))
		outIDs = append(outIDs[:at], append([]int{id}, outIDs[at:]...)...)
	}
	sp.Out = g.groups(outIDs)
	in := make([]int, len(sp.In))
	for i, grp := range sp.In {
		in[i] = 1
		for _, id := range grp {
			in[i] *= sp.Sizes[id]
		}
	}
	return sp, in
}

// groups partitions ids into consecutive groups (empty groups allowed as ()).
func (g *gen) groups(ids []int) [][]int {
	var out [][]int
	cur := []int{}
	for i, id := range ids {
		cur = append(cur, id)
		if i == len(ids)-1 || g.bool("cut") {
			out = append(out, cur)
			cur = []int{}
		}
	}
	if out == nil {
		out = [][]int{}
	}
	return out
}

// value evaluates c in float64.
func value(t tb, c circuit.Circuit) *tensor.Tensor {
	t.Helper()
	v, err := circuit.Evaluate(c, circuit.EvalOptions{DType: tensor.Float64})
	if err != nil {
		t.Fatalf("evaluate %s: %v", show(c), err)
	}
	return v
}

// sameValue asserts that after has before's shape and value.
func sameValue(t tb, before, after circuit.Circuit) {
	t.Helper()
	if !sameInts(before.Shape(), after.Shape()) {
		t.Fatalf("shape changed from %v to %v\nbefore: %s\nafter:  %s", before.Shape(), after.Shape(), show(before), show(after))
	}
	b, a := value(t, before), value(t, after)
	if !tensor.AllClose(a, b, rtol, atol) {
		abs, rel, _ := tensor.Compare(a, b)
		t.Fatalf("value changed (max abs %g, max rel %g)\nbefore: %s\nafter:  %s", abs, rel, show(before), show(after))
	}
}

// fires applies f to c, asserts it applied and kept the value, and returns
// the result.
func fires(t tb, f Func, c circuit.Circuit) circuit.Circuit {
	t.Helper()
	r, applied, err := f(c)
	if err != nil {
		t.Fatalf("rewrite of %s: %v", show(c), err)
	}
	if !applied {
		t.Fatalf("rewrite did not apply to %s", show(c))
	}
	if circuit.Equal(r, c) {
		t.Fatalf("rewrite applied but returned an equal circuit: %s", show(c))
	}
	sameValue(t, c, r)
	return r
}

// doesNotFire asserts f reports "does not apply".
func doesNotFire(t tb, f Func, c circuit.Circuit) {
	t.Helper()
	r, applied, err := f(c)
	if err != nil || applied || r != nil {
		t.Fatalf("want no rewrite of %s, got %v %v %v", show(c), r, applied, err)
	}
}

// show prints a circuit as an s-expression for string-level tests: leaves
// by name (Scalars by value), nodes by kind and their fields.
func show(c circuit.Circuit) string {
	if c == nil {
		return "<nil>"
	}
	var b strings.Builder
	var rec func(c circuit.Circuit)
	kids := func(c circuit.Circuit) {
		for _, ch := range c.Children() {
			b.WriteByte(' ')
			rec(ch)
		}
		b.WriteByte(')')
	}
	rec = func(c circuit.Circuit) {
		switch n := c.(type) {
		case *circuit.Array, *circuit.Symbol:
			b.WriteString(c.Name())
		case *circuit.Scalar:
			b.WriteString(circuit.FormatNumber(n.Value))
			if n.Rank() > 0 {
				fmt.Fprintf(&b, "%v", n.Shape())
			}
		case *circuit.Add:
			b.WriteString("(+")
			kids(c)
		case *circuit.Einsum:
			fmt.Fprintf(&b, "(einsum %s", n.Spec())
			kids(c)
		case *circuit.Rearrange:
			fmt.Fprintf(&b, "(rearrange %q", n.Spec.String())
			kids(c)
		case *circuit.Index:
			fmt.Fprintf(&b, "(idx %s", circuit.FormatIndex(n.Idx))
			kids(c)
		case *circuit.Concat:
			fmt.Fprintf(&b, "(concat %d", n.Axis)
			kids(c)
		case *circuit.GeneralFunction:
			fmt.Fprintf(&b, "(%s", n.Spec)
			kids(c)
		case *circuit.Tag:
			b.WriteString("(tag")
			kids(c)
		default:
			fmt.Fprintf(&b, "(%s", c.Kind())
			kids(c)
		}
	}
	rec(c)
	return b.String()
}

// rnd is a named random float64 array (for hand examples).
func rnd(t *testing.T, name string, seed uint64, shape ...int) *circuit.Array {
	t.Helper()
	return must(circuit.RandArray(shape, seed, tensor.Float64, name))
}

// circuit draws a random circuit of the given shape mixing every node kind
// the simplifier handles, with the redundancies it removes (nested Adds,
// duplicate terms, zero and scalar terms, nested einsums, permutes, index
// chains, inverse function pairs, split-then-merge rearranges).
func (g *gen) circuit(shape []int, depth int) circuit.Circuit {
	if depth <= 0 {
		if g.intn(0, 5, "leaf") == 0 {
			return g.scalar(rapid.Float64Range(-2, 2).Draw(g.t, "scalar"), g.broadcastableFull(shape))
		}
		return g.array(shape)
	}
	sub := func(s []int) circuit.Circuit { return g.circuit(s, depth-1) }
	switch g.intn(0, 10, "kind") {
	case 0: // Add with broadcasting, maybe duplicates, zeros and nesting
		kids := []circuit.Circuit{sub(shape)}
		for n := g.intn(1, 2, "terms"); n > 0; n-- {
			kids = append(kids, sub(g.broadcastable(shape)))
		}
		if g.bool("dup") {
			kids = append(kids, kids[0])
		}
		if g.bool("zero") {
			kids = append(kids, g.scalar(0, nil))
		}
		return must(circuit.NewAdd("", kids...))
	case 1: // product of two
		return must(circuit.Mul("", sub(shape), sub(shape)))
	case 2: // sum over an extra axis
		ext := append(append([]int(nil), shape...), g.intn(1, 3, "extra"))
		return must(circuit.Sum("", sub(ext), -1))
	case 3:
		return must(circuit.ScalarMul("", sub(shape), rapid.Float64Range(-2, 2).Draw(g.t, "k")))
	case 4: // permute
		if len(shape) < 2 {
			return g.array(shape)
		}
		ids := make([]int, len(shape))
		for i := range ids {
			ids[i] = i
		}
		perm := rapid.Permutation(ids).Draw(g.t, "perm")
		in := make([]int, len(shape))
		for i, p := range perm {
			in[p] = shape[i]
		}
		return must(circuit.Permute("", sub(in), perm...))
	case 5: // index a leading axis away
		in := append([]int{g.intn(1, 3, "lead")}, shape...)
		return must(circuit.NewIndex("", []circuit.AxisIndex{circuit.Int(g.intn(0, in[0]-1, "at"))}, sub(in)))
	case 6:
		f := rapid.SampledFrom([]string{"relu", "tanh", "sigmoid", "gelu"}).Draw(g.t, "fn")
		return must(circuit.NewGeneralFunction("", f, sub(shape)))
	case 7: // concat along a split axis
		for ax, d := range shape {
			if d >= 2 {
				k := g.intn(1, d-1, "cut")
				a, b := append([]int(nil), shape...), append([]int(nil), shape...)
				a[ax], b[ax] = k, d-k
				return must(circuit.NewConcat("", ax, sub(a), sub(b)))
			}
		}
		return g.array(shape)
	case 8: // inverse pair, on a tanh-bounded input: logit(sigmoid(x)) loses
		// digits for large |x| in float64, which is the rewrite improving the
		// value, not changing it
		p := rapid.SampledFrom(InversePairs).Draw(g.t, "pair")
		x := must(circuit.NewGeneralFunction("", "tanh", sub(shape)))
		return must(circuit.NewGeneralFunction("", p[0], must(circuit.NewGeneralFunction("", p[1], x))))
	case 9: // flatten then unflatten
		if len(shape) == 0 {
			return g.array(shape)
		}
		flat := must(circuit.Flatten("", sub(shape)))
		sp := circuit.RearrangeSpec{In: [][]int{{}}}
		for i, d := range shape {
			sp.In[0] = append(sp.In[0], i)
			sp.Out = append(sp.Out, []int{i})
			sp.Sizes = append(sp.Sizes, d)
		}
		return must(circuit.NewRearrange("", sp, flat))
	default: // index of an index
		in := append([]int{2}, shape...)
		in = append([]int{2}, in...)
		inner := must(circuit.NewIndex("", []circuit.AxisIndex{circuit.Int(g.intn(0, 1, "i0"))}, sub(in)))
		return must(circuit.NewIndex("", []circuit.AxisIndex{circuit.Int(g.intn(0, 1, "i1"))}, inner))
	}
}

// broadcastableFull is like broadcastable but always keeps the rank, so a
// leaf Scalar standing in for a node keeps the node's shape rules simple.
func (g *gen) broadcastableFull(s []int) []int { return append([]int(nil), s...) }
