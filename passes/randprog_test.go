package passes

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// progGen builds random well-typed float64 programs with the Builder: einsum
// chains (nested, with permuted and scaled operands), sums with duplicate
// and scalar terms, slices, selects, gathers, permutes, reshapes,
// broadcasts and unary functions — the shapes every pass rewrites.
type progGen struct {
	rng    *rand.Rand
	b      *ir.Builder
	vals   []int
	inputs int
	seed   uint64
}

var f64 = tensor.Float64

// safeUnary are functions defined (and tame) on any real input.
var safeUnary = []ir.Op{ir.OpRelu, ir.OpTanh, ir.OpSigmoid, ir.OpSin, ir.OpCos, ir.OpNeg, ir.OpAbs, ir.OpGelu, ir.OpGaussianCDF}

func (g *progGen) shape(id int) []int { return typeOf(g.b, id).Shape }

func (g *progGen) pick() int { return g.vals[g.rng.IntN(len(g.vals))] }

func (g *progGen) pickRank(min int) (int, bool) {
	for range 8 {
		v := g.pick()
		if len(g.shape(v)) >= min {
			return v, true
		}
	}
	return -1, false
}

func (g *progGen) must(id int, err error) int {
	if err != nil {
		panic(fmt.Sprintf("generator built an ill-typed value: %v", err))
	}
	g.vals = append(g.vals, id)
	return id
}

func (g *progGen) input(shape []int) int {
	g.inputs++
	return g.must(g.b.Input(fmt.Sprintf("in%d", g.inputs), ir.Type{DType: f64, Shape: shape}))
}

func (g *progGen) randShape(minRank int) []int {
	r := minRank + g.rng.IntN(4-minRank)
	s := make([]int, r)
	for i := range s {
		s[i] = 1 + g.rng.IntN(4)
	}
	return s
}

// suffix returns a right-aligned suffix of s, sometimes with 1s, so it
// broadcasts into s.
func (g *progGen) suffix(s []int) []int {
	k := g.rng.IntN(len(s) + 1)
	out := slices.Clone(s[len(s)-k:])
	for i := range out {
		if g.rng.IntN(4) == 0 {
			out[i] = 1
		}
	}
	return out
}

const letters = "abcdefghijklmnopqrstuvwxyz"

func (g *progGen) step() {
	switch g.rng.IntN(20) {
	case 0:
		g.input(g.randShape(0))
	case 1: // unary
		x := g.pick()
		g.must(g.b.Add(safeUnary[g.rng.IntN(len(safeUnary))], nil, x))
	case 2: // scale
		x := g.pick()
		g.must(g.b.Add(ir.OpScale, ir.Attrs{"factor": []float64{2, -0.5, 3}[g.rng.IntN(3)]}, x))
	case 3, 4: // add with duplicates, equal shapes, suffixes and scalar fills
		x := g.pick()
		s := g.shape(x)
		ops := []int{x}
		for range 1 + g.rng.IntN(3) {
			switch g.rng.IntN(4) {
			case 0:
				ops = append(ops, x)
			case 1:
				f, _ := g.b.Scalar([]float64{0, 1.5, -2}[g.rng.IntN(3)], ir.Type{DType: f64, Shape: g.suffix(s)})
				ops = append(ops, f)
			case 2:
				ops = append(ops, g.sameOrSuffix(s))
			default:
				if len(g.vals) > 0 {
					y := g.pick()
					if slices.Equal(g.shape(y), s) {
						ops = append(ops, y)
					}
				}
			}
		}
		g.rng.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
		g.must(g.b.Add(ir.OpAdd, nil, ops...))
	case 5, 6: // einsum: contract x's last axis with a fresh or existing matrix
		g.einsum()
	case 7: // slice
		x := g.pick()
		s := g.shape(x)
		st, sp := make([]int, len(s)), make([]int, len(s))
		for i, d := range s {
			st[i] = g.rng.IntN(d)
			sp[i] = st[i] + 1 + g.rng.IntN(d-st[i])
		}
		g.must(g.b.Add(ir.OpSlice, ir.Attrs{"starts": st, "stops": sp}, x))
	case 8: // select
		x, ok := g.pickRank(1)
		if !ok {
			return
		}
		s := g.shape(x)
		ax := g.rng.IntN(len(s))
		g.must(g.b.Add(ir.OpSelect, ir.Attrs{"axis": ax, "index": g.rng.IntN(s[ax])}, x))
	case 9: // permute
		x, ok := g.pickRank(2)
		if !ok {
			return
		}
		perm := g.rng.Perm(len(g.shape(x)))
		g.must(g.b.Add(ir.OpPermute, ir.Attrs{"perm": perm}, x))
	case 10: // reshape: flatten, or unflatten a leading 1
		x := g.pick()
		s := g.shape(x)
		n := int(typeOf(g.b, x).NumElements())
		ns := []int{n}
		if g.rng.IntN(2) == 0 {
			ns = append([]int{1}, s...)
		}
		g.must(g.b.AddTyped(ir.OpReshape, nil, ir.Type{DType: f64, Shape: ns}, x))
	case 11: // broadcast to a new leading axis
		x := g.pick()
		g.must(g.b.AddTyped(ir.OpBroadcast, nil, ir.Type{DType: f64, Shape: append([]int{2}, g.shape(x)...)}, x))
	case 12: // gather with a constant index
		x, ok := g.pickRank(1)
		if !ok {
			return
		}
		s := g.shape(x)
		ax := g.rng.IntN(len(s))
		idx := make([]int64, 1+g.rng.IntN(3))
		for i := range idx {
			idx[i] = int64(g.rng.IntN(s[ax]))
		}
		it, _ := tensor.FromInt64([]int{len(idx)}, idx)
		c, err := g.b.Const(it)
		if err != nil {
			panic(err)
		}
		g.must(g.b.Add(ir.OpGather, ir.Attrs{"axis": ax}, x, c))
	case 14, 15: // constant subexpressions: fills and small const tensors
		shape := g.randShape(0)
		var c int
		if g.rng.IntN(2) == 0 {
			c, _ = g.b.Scalar([]float64{0.5, 2, -1}[g.rng.IntN(3)], ir.Type{DType: f64, Shape: shape})
		} else {
			ct, _ := tensor.RandN(f64, shape, g.rng.Uint64())
			c, _ = g.b.Const(ct)
		}
		switch g.rng.IntN(4) {
		case 0:
			c = g.must(g.b.Add(safeUnary[g.rng.IntN(len(safeUnary))], nil, c))
		case 1:
			f, _ := g.b.Scalar(3, ir.Type{DType: f64, Shape: g.suffix(shape)})
			c = g.must(g.b.Add(ir.OpAdd, nil, c, f))
		case 2:
			c = g.must(g.b.AddTyped(ir.OpBroadcast, nil, ir.Type{DType: f64, Shape: append([]int{3}, shape...)}, c))
		default:
			c = g.must(g.b.Add(ir.OpScale, ir.Attrs{"factor": 2.0}, c))
		}
		// Use it with a computed value so it survives dead-code elimination.
		x := g.pick()
		if s := g.shape(x); slices.Equal(s, typeOf(g.b, c).Shape) {
			g.must(g.b.Add(ir.OpMul, nil, x, c))
		}
	case 16: // concat along axis 0 with itself or a fresh input
		x, ok := g.pickRank(1)
		if !ok {
			return
		}
		s := g.shape(x)
		y := x
		if g.rng.IntN(2) == 0 {
			ys := slices.Clone(s)
			ys[0] = 1 + g.rng.IntN(3)
			y = g.input(ys)
		}
		g.must(g.b.Add(ir.OpConcat, ir.Attrs{"axis": 0}, x, y))
	case 17: // last-axis reductions and sums
		x, ok := g.pickRank(1)
		if !ok {
			return
		}
		switch g.rng.IntN(6) {
		case 0:
			g.must(g.b.Add(ir.OpSoftmax, nil, x))
		case 1:
			g.must(g.b.Add(ir.OpReduceMax, nil, x))
		case 2:
			g.must(g.b.Add(ir.OpLogSoftmax, nil, x))
		case 3:
			g.must(g.b.Add(ir.OpReduceMin, nil, x))
		case 4:
			g.must(g.b.Add(ir.OpLastDimSize, nil, x))
		default:
			g.must(g.b.Add(ir.OpSum, ir.Attrs{"axes": []int{0}}, x))
		}
		if y := g.vals[len(g.vals)-1]; len(g.shape(y)) >= 2 && g.rng.IntN(2) == 0 {
			// rows of a row-wise result
			ys := g.shape(y)
			st, sp := make([]int, len(ys)), slices.Clone(ys)
			st[0] = ys[0] / 2
			g.must(g.b.Add(ir.OpSlice, ir.Attrs{"starts": st, "stops": sp}, y))
		}
	case 18: // unusual einsums: transpose, diagonal, embedding, broadcast label
		x, ok := g.pickRank(2)
		if !ok {
			return
		}
		s := g.shape(x)
		switch g.rng.IntN(7) {
		case 4: // an embedding multiplied by a matrix: diag(v)·W
			n := s[len(s)-1]
			e := g.must(g.b.AddTyped(ir.OpEinsum, ir.Attrs{"spec": "a->aa"}, ir.Type{DType: f64, Shape: []int{n, n}}, g.input([]int{n})))
			lead := letters[:len(s)-1]
			g.must(g.b.Add(ir.OpEinsum, ir.Attrs{"spec": "yz," + lead + "z->" + lead + "y"}, e, x))
		case 5: // an outer product summed (partly) afterwards
			r := len(s)
			in := letters[:r]
			y := g.input([]int{1 + g.rng.IntN(4)})
			op := g.must(g.b.Add(ir.OpEinsum, ir.Attrs{"spec": in + ",z->" + in + "z"}, x, y))
			g.must(g.b.Add(ir.OpEinsum, ir.Attrs{"spec": in + "z->" + in[:g.rng.IntN(r)]}, op))
		case 6: // a permute of a contraction (reversing its axes)
			r := len(s)
			w := g.input([]int{s[r-1], 1 + g.rng.IntN(4)})
			in := letters[:r]
			e := g.must(g.b.Add(ir.OpEinsum, ir.Attrs{"spec": in + "," + string(in[r-1]) + "z->" + in[:r-1] + "z"}, x, w))
			perm := make([]int, r)
			for i := range perm {
				perm[i] = r - 1 - i
			}
			g.must(g.b.Add(ir.OpPermute, ir.Attrs{"perm": perm}, e))
		case 0: // transpose of the last two axes
			r := len(s)
			in := letters[:r]
			out := in[:r-2] + string(in[r-1]) + string(in[r-2])
			g.must(g.b.Add(ir.OpEinsum, ir.Attrs{"spec": in + "->" + out}, x))
		case 1: // a square's diagonal times a vector
			n := s[len(s)-1]
			m := g.input([]int{n, n})
			g.must(g.b.Add(ir.OpEinsum, ir.Attrs{"spec": "aa,a->a"}, m, g.input([]int{n})))
		case 2: // embed a vector on a diagonal: a->aa
			n := s[0]
			v := g.input([]int{n})
			g.must(g.b.AddTyped(ir.OpEinsum, ir.Attrs{"spec": "a->aa"}, ir.Type{DType: f64, Shape: []int{n, n}}, v))
		default: // a label only the output has (broadcast), then a product
			r := len(s)
			in := letters[:r]
			y := g.input([]int{s[r-1]})
			shape := append(slices.Clone(s), 2)
			g.must(g.b.AddTyped(ir.OpEinsum, ir.Attrs{"spec": in + "," + string(in[r-1]) + "->" + in + "z"}, ir.Type{DType: f64, Shape: shape}, x, y))
		}
	case 19: // f of a value and f of a gathered / sliced batch of it
		x, ok := g.pickRank(2)
		if !ok {
			return
		}
		f := []ir.Op{ir.OpTanh, ir.OpSoftmax, ir.OpReduceMax, ir.OpScale}[g.rng.IntN(4)]
		attrs := ir.Attrs(nil)
		if f == ir.OpScale {
			attrs = ir.Attrs{"factor": 2.0}
		}
		fx := g.must(g.b.Add(f, attrs, x))
		s := g.shape(x)
		var ix int
		if g.rng.IntN(2) == 0 {
			it, _ := tensor.FromInt64([]int{2}, []int64{int64(s[0] - 1), 0})
			c, _ := g.b.Const(it)
			ix = g.must(g.b.Add(ir.OpGather, ir.Attrs{"axis": 0}, x, c))
		} else {
			st, sp := make([]int, len(s)), slices.Clone(s)
			st[0] = s[0] / 2
			ix = g.must(g.b.Add(ir.OpSlice, ir.Attrs{"starts": st, "stops": sp}, x))
		}
		fg := g.must(g.b.Add(f, attrs, ix))
		g.b.Output(fmt.Sprintf("whole%d", fx), fx)
		g.b.Output(fmt.Sprintf("part%d", fg), fg)
	case 13: // mul by itself or a broadcast partner, or a constant tensor
		x := g.pick()
		if g.rng.IntN(2) == 0 {
			g.must(g.b.Add(ir.OpMul, nil, x, g.sameOrSuffix(g.shape(x))))
		} else {
			ct, _ := tensor.RandN(f64, g.suffix(g.shape(x)), g.rng.Uint64())
			c, err := g.b.Const(ct)
			if err != nil {
				panic(err)
			}
			g.must(g.b.Add(ir.OpMul, nil, c, x))
		}
	}
}

// sameOrSuffix returns an existing value of shape s or a new input of a
// shape broadcasting into s.
func (g *progGen) sameOrSuffix(s []int) int {
	for range 4 {
		y := g.pick()
		if slices.Equal(g.shape(y), s) {
			return y
		}
	}
	return g.input(g.suffix(s))
}

// einsum builds x(labels) · W (last label, new) [· V], sometimes through a
// permute or scale of an operand, sometimes summing an axis.
func (g *progGen) einsum() {
	x, ok := g.pickRank(1)
	if !ok {
		x = g.input(g.randShape(1))
	}
	s := g.shape(x)
	r := len(s)
	xl := []byte(letters[:r])
	k := xl[r-1]
	n := byte('w')
	w := g.input([]int{s[r-1], 1 + g.rng.IntN(4)})
	wl := []byte{k, n}
	if g.rng.IntN(3) == 0 { // a permuted operand: W^T stored, permuted back
		wt := g.input([]int{g.shape(w)[1], s[r-1]})
		w = g.must(g.b.Add(ir.OpPermute, ir.Attrs{"perm": []int{1, 0}}, wt))
	}
	if g.rng.IntN(4) == 0 {
		w = g.must(g.b.Add(ir.OpScale, ir.Attrs{"factor": 0.5}, w))
	}
	out := append(slices.Clone(xl[:r-1]), n)
	if r > 1 && g.rng.IntN(3) == 0 {
		out = out[1:] // also sum the first axis
	}
	spec := string(xl) + "," + string(wl)
	ops := []int{x, w}
	if g.rng.IntN(3) == 0 { // a third operand: a vector on the new label
		v := g.input([]int{g.shape(w)[1]})
		spec += "," + string(n)
		ops = append(ops, v)
	}
	if g.rng.IntN(4) == 0 { // a scalar fill operand
		f, _ := g.b.Scalar(1.5, ir.Type{DType: f64, Shape: []int{}})
		spec += ","
		ops = append(ops, f)
	}
	g.must(g.b.Add(ir.OpEinsum, ir.Attrs{"spec": spec + "->" + string(out)}, ops...))
}

// randomProgram returns a random program with 1–3 outputs.
func randomProgram(seed uint64) *ir.Program {
	g := &progGen{rng: rand.New(rand.NewPCG(seed, 99)), b: ir.NewBuilder(), seed: seed}
	g.input(g.randShape(1))
	g.input(g.randShape(0))
	steps := 4 + g.rng.IntN(36)
	for range steps {
		g.step()
	}
	last := g.vals[len(g.vals)-1]
	g.b.Output("out", last)
	for i := range g.rng.IntN(3) {
		v := g.pick()
		if v != last {
			g.b.Output(fmt.Sprintf("aux%d", i), v)
		}
	}
	return g.b.Build()
}
