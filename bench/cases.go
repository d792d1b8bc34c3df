package bench

import (
	"fmt"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// Case is one workload.
type Case struct {
	Name     string
	Circuits []circuit.Circuit
	Bindings map[string]*tensor.Tensor
	// Numpy names the numpy equivalent in numpy_cases.py ("" for none).
	Numpy string
	// Shapes are the numpy script's arguments (one list per operand).
	Shapes [][]int
}

type builder struct {
	seed uint64
	err  error
}

func (b *builder) rand(name string, shape ...int) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	b.seed++
	t, err := tensor.RandN(tensor.Float32, shape, b.seed)
	if err != nil {
		b.err = err
		return nil
	}
	// Scale weights like an initialiser so activations stay O(1).
	if len(shape) >= 2 {
		t = tensor.Scale(t, 1/float64(max(1, shape[len(shape)-1])))
	}
	a, err := circuit.NewArray(t, name)
	if err != nil {
		b.err = err
		return nil
	}
	return a
}

func (b *builder) c(c circuit.Circuit, err error) circuit.Circuit {
	if b.err == nil && err != nil {
		b.err = err
	}
	return c
}

func (b *builder) einsum(spec string, cs ...circuit.Circuit) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	return b.c(circuit.NewEinsumSpec("", spec, cs...))
}

func (b *builder) fn(spec string, x circuit.Circuit) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	return b.c(circuit.NewGeneralFunction("", spec, x))
}

func (b *builder) add(cs ...circuit.Circuit) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	return b.c(circuit.NewAdd("", cs...))
}

// symbol is a free input bound at run time.
func (b *builder) symbol(name string, bind map[string]*tensor.Tensor, shape ...int) circuit.Circuit {
	if b.err != nil {
		return nil
	}
	b.seed++
	t, err := tensor.RandN(tensor.Float32, shape, b.seed)
	if err != nil {
		b.err = err
		return nil
	}
	s, err := circuit.NewSymbol(shape, circuit.NewUUID(), name)
	if err != nil {
		b.err = err
		return nil
	}
	bind[name] = t
	return s
}

// mlp is relu(x·W1 + b1)·W2 + b2 + x.
func (b *builder) mlp(x circuit.Circuit, d, h int, tag string) circuit.Circuit {
	w1, b1 := b.rand(tag+"w1", d, h), b.rand(tag+"b1", h)
	w2, b2 := b.rand(tag+"w2", h, d), b.rand(tag+"b2", d)
	hid := b.fn("relu", b.add(b.einsum("bd,dh->bh", x, w1), b1))
	return b.add(b.einsum("bh,hd->bd", hid, w2), b2, x)
}

// MLPCase is one transformer MLP block on a [batch, d] activation.
func MLPCase(batch, d, h int) (*Case, error) {
	b := &builder{}
	bind := map[string]*tensor.Tensor{}
	x := b.symbol("x", bind, batch, d)
	out := b.mlp(x, d, h, "")
	if b.err != nil {
		return nil, b.err
	}
	return &Case{Name: fmt.Sprintf("mlp %dx%d h%d", batch, d, h), Circuits: []circuit.Circuit{out}, Bindings: bind, Numpy: "mlp", Shapes: [][]int{{batch, d}, {d, h}, {h, d}}}, nil
}

// AttentionCase is one multi-head self-attention block: projections,
// scaled scores, softmax, weighted values, output projection, residual.
func AttentionCase(batch, seq, heads, dh int) (*Case, error) {
	b := &builder{}
	bind := map[string]*tensor.Tensor{}
	d := heads * dh
	x := b.symbol("x", bind, batch, seq, d)
	wq, wk, wv := b.rand("wq", d, heads, dh), b.rand("wk", d, heads, dh), b.rand("wv", d, heads, dh)
	wo := b.rand("wo", heads, dh, d)
	q := b.einsum("bsd,dhe->bshe", x, wq)
	k := b.einsum("bsd,dhe->bshe", x, wk)
	v := b.einsum("bsd,dhe->bshe", x, wv)
	scores := b.einsum("bqhe,bkhe->bhqk", q, k)
	if b.err == nil {
		scores = b.c(circuit.ScalarMul("", scores, 1/float64(dh)))
	}
	attn := b.fn("softmax", scores)
	mixed := b.einsum("bhqk,bkhe->bqhe", attn, v)
	out := b.add(b.einsum("bqhe,hed->bqd", mixed, wo), x)
	if b.err != nil {
		return nil, b.err
	}
	return &Case{Name: fmt.Sprintf("attention b%d s%d h%d dh%d", batch, seq, heads, dh), Circuits: []circuit.Circuit{out}, Bindings: bind}, nil
}

// ChainCase is one einsum over a chain of matrices, written as a single
// Einsum node: the naive evaluator loops over every label at once; the
// compiler picks a contraction order and runs GEMMs.
func ChainCase(n int, sizes ...int) (*Case, error) {
	b := &builder{}
	bind := map[string]*tensor.Tensor{}
	letters := "abcdefghij"
	var ops []circuit.Circuit
	var terms []string
	var shapes [][]int
	for i := 0; i+1 < len(sizes); i++ {
		if i == 0 {
			ops = append(ops, b.symbol("x", bind, sizes[0], sizes[1]))
		} else {
			ops = append(ops, b.rand(fmt.Sprintf("m%d", i), sizes[i], sizes[i+1]))
		}
		terms = append(terms, letters[i:i+2])
		shapes = append(shapes, []int{sizes[i], sizes[i+1]})
	}
	spec := ""
	for i, t := range terms {
		if i > 0 {
			spec += ","
		}
		spec += t
	}
	spec += "->" + letters[:1] + letters[len(sizes)-1:len(sizes)]
	out := b.einsum(spec, ops...)
	if b.err != nil {
		return nil, b.err
	}
	return &Case{Name: fmt.Sprintf("einsum chain %v", sizes), Circuits: []circuit.Circuit{out}, Bindings: bind, Numpy: "chain", Shapes: shapes}, nil
}

// BatchedCase is a batched contraction bij,bjk->bik.
func BatchedCase(nb, i, j, k int) (*Case, error) {
	b := &builder{}
	bind := map[string]*tensor.Tensor{}
	x := b.symbol("x", bind, nb, i, j)
	y := b.symbol("y", bind, nb, j, k)
	out := b.einsum("bij,bjk->bik", x, y)
	if b.err != nil {
		return nil, b.err
	}
	return &Case{Name: fmt.Sprintf("batched bij,bjk b%d %dx%dx%d", nb, i, j, k), Circuits: []circuit.Circuit{out}, Bindings: bind, Numpy: "batched", Shapes: [][]int{{nb, i, j}, {nb, j, k}}}, nil
}

// WideAddCase sums many terms that share subtrees: each term is one of a
// few distinct feature maps of x (some repeated), so CSE and add folding
// compute each distinct one once.
func WideAddCase(batch, d, terms int) (*Case, error) {
	b := &builder{}
	bind := map[string]*tensor.Tensor{}
	x := b.symbol("x", bind, batch, d)
	var ws []circuit.Circuit
	for i := 0; i < 4; i++ {
		ws = append(ws, b.rand(fmt.Sprintf("w%d", i), d, d))
	}
	funcs := []string{"relu", "tanh", "sigmoid", "gelu"}
	var ts []circuit.Circuit
	for i := 0; i < terms; i++ {
		// term i: f_{i%4}(x·W_{i%4}) — distinct einsum nodes built afresh
		// each time, equal in structure.
		ts = append(ts, b.fn(funcs[i%4], b.einsum("bd,de->be", x, ws[i%4])))
	}
	out := b.add(ts...)
	if b.err != nil {
		return nil, b.err
	}
	return &Case{Name: fmt.Sprintf("wide add %d terms %dx%d", terms, batch, d), Circuits: []circuit.Circuit{out}, Bindings: bind}, nil
}

// SweepCase is an ablation sweep: a two-block model (MLP, then a second
// MLP) evaluated in `variants` versions, each zero-ablating a different
// slice of the second block's hidden units. The first block and the second
// block's up-projection are shared by every variant.
func SweepCase(variants, batch, d, h int) (*Case, error) {
	b := &builder{}
	bind := map[string]*tensor.Tensor{}
	x := b.symbol("x", bind, batch, d)
	h1 := b.mlp(x, d, h, "l1")
	w1, b1 := b.rand("l2w1", d, h), b.rand("l2b1", h)
	w2, b2 := b.rand("l2w2", h, d), b.rand("l2b2", d)
	hid := b.fn("relu", b.add(b.einsum("bd,dh->bh", h1, w1), b1))
	var cs []circuit.Circuit
	width := max(1, h/variants)
	for v := 0; v < variants; v++ {
		mask := make([]float32, h)
		for i := range mask {
			mask[i] = 1
		}
		for i := v * width; i < min(h, (v+1)*width); i++ {
			mask[i] = 0
		}
		mt, err := tensor.FromFloat32([]int{h}, mask)
		if err != nil {
			return nil, err
		}
		m := b.c(circuit.NewArray(mt, fmt.Sprintf("mask%d", v)))
		ablated := b.einsum("bh,h->bh", hid, m)
		cs = append(cs, b.add(b.einsum("bh,hd->bd", ablated, w2), b2, h1))
	}
	if b.err != nil {
		return nil, b.err
	}
	return &Case{Name: fmt.Sprintf("ablation sweep %d variants", variants), Circuits: cs, Bindings: bind}, nil
}
