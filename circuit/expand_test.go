package circuit

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/circopt/circopt/tensor"
)

// checkRowwise replaces the leaf x ([3]) of build(x) by a batch xb ([B,3])
// with ReplaceExpand and checks that the result is [B, shape of build(x)]
// and that its row r equals build(row r of xb), built and evaluated
// independently.
func checkRowwise(t *testing.T, build func(x Circuit) Circuit, x Circuit, xb *Array) {
	t.Helper()
	orig := build(x)
	got, err := ReplaceExpand(orig, map[Hash]Circuit{x.Hash(): xb})
	if err != nil {
		t.Fatal(err)
	}
	nb := xb.Rank() - x.Rank()
	wantShape := append(cloneInts(xb.Shape()[:nb]), orig.Shape()...)
	if !slices.Equal(got.Shape(), wantShape) {
		t.Fatalf("batched shape %v, want %v", got.Shape(), wantShape)
	}
	if orig != x && got.Name() != orig.Name() {
		t.Errorf("batched root renamed: %q -> %q", orig.Name(), got.Name())
	}
	_, vals := eval64(t, got, nil)
	rows := numel(xb.Shape()[:nb])
	per := numel(orig.Shape())
	xs := xb.Value.Float64s()
	inner := numel(x.Shape())
	for r := 0; r < rows; r++ {
		row := mkArr(t, x.Name(), x.Shape(), xs[r*inner:(r+1)*inner]...)
		_, want := eval64(t, build(row), nil)
		if d := cmp.Diff(want, vals[r*per:(r+1)*per], approx); d != "" {
			t.Fatalf("row %d (-unbatched +batched):\n%s", r, d)
		}
	}
}

func TestReplaceExpandRowwise(t *testing.T) {
	x := mkArr(t, "x", []int{3}, 0.5, -1, 2)
	xb := randArr(t, "xb", 51, 2, 3)
	xbb := randArr(t, "xbb", 52, 2, 2, 3)
	y := mkArr(t, "y", []int{3}, 1, 2, 3)
	Y := randArr(t, "Y", 53, 4, 3)
	Y1 := randArr(t, "Y1", 54, 4, 1)
	M := randArr(t, "M", 55, 3, 4)
	W := randArr(t, "W", 56, 4, 3)
	bias := randArr(t, "bias", 57, 4)
	pos := mkArr(t, "pos", []int{3}, 1, 2, 0.5)
	sc := mkArr(t, "sc", []int{}, 3)

	add := func(cs ...Circuit) Circuit { return must(NewAdd("", cs...)) }
	ein := func(spec string, cs ...Circuit) Circuit { return must(NewEinsumSpec("", spec, cs...)) }
	rea := func(spec string, c Circuit) Circuit { return must(NewRearrangeString("", spec, c)) }
	idx := func(c Circuit, ix ...AxisIndex) Circuit { return must(NewIndex("", ix, c)) }
	fn := func(f string, cs ...Circuit) Circuit { return must(NewGeneralFunction("", f, cs...)) }
	cat := func(axis int, cs ...Circuit) Circuit { return must(NewConcat("", axis, cs...)) }

	cases := []struct {
		name  string
		build func(x Circuit) Circuit
	}{
		{"leaf itself", func(x Circuit) Circuit { return x }},
		{"add same rank", func(x Circuit) Circuit { return add(x, y) }},
		{"add rank-2 sibling", func(x Circuit) Circuit { return add(x, Y) }},
		{"add rank-2 sibling first", func(x Circuit) Circuit { return add(Y, x) }},
		{"add size-1 sibling", func(x Circuit) Circuit { return add(Y1, x) }},
		{"add scalar", func(x Circuit) Circuit { return add(x, sc) }},
		{"add twice", func(x Circuit) Circuit { return add(x, x, Y) }},
		{"add rank-0 index against rank 2", func(x Circuit) Circuit { return add(idx(x, Int(1)), Y) }},
		{"einsum matvec", func(x Circuit) Circuit { return ein("a,ab->b", x, M) }},
		{"einsum vecmat", func(x Circuit) Circuit { return ein("ab,b->a", W, x) }},
		{"einsum dot with itself", func(x Circuit) Circuit { return ein("a,a->", x, x) }},
		{"einsum embed diagonal", func(x Circuit) Circuit { return ein("a->aa", x) }},
		{"einsum outer", func(x Circuit) Circuit { return ein("a,b->ba", x, bias) }},
		{"einsum sum", func(x Circuit) Circuit { return ein("a->", x) }},
		{"rearrange repeat", func(x Circuit) Circuit { return rea("a -> 2 a", x) }},
		{"rearrange unit axes", func(x Circuit) Circuit { return rea("a -> () a ()", x) }},
		{"rearrange split merge", func(x Circuit) Circuit {
			return rea("a (b:3 c) -> (c a) b", rea("a b -> a (b r:2)", ein("a,b->ab", x, y)))
		}},
		{"rearrange of rank 0", func(x Circuit) Circuit { return rea(" -> 3", idx(x, Int(-1))) }},
		{"index int", func(x Circuit) Circuit { return idx(x, Int(1)) }},
		{"index slice", func(x Circuit) Circuit { return idx(x, Slice(-2, 10)) }},
		{"index positions", func(x Circuit) Circuit { return idx(x, Positions(2, 0, 2)) }},
		{"index orthogonal", func(x Circuit) Circuit {
			return idx(ein("a,b->ab", x, x), Positions(2, 0), Positions(1))
		}},
		{"concat with unbatched sibling", func(x Circuit) Circuit { return cat(0, x, y) }},
		{"concat sibling first", func(x Circuit) Circuit { return cat(-1, bias, x, y) }},
		{"concat rank 2 axis 1", func(x Circuit) Circuit { return cat(1, rea("a -> 4 a", x), Y) }},
		{"concat rank 2 axis 0", func(x Circuit) Circuit { return cat(0, rea("a -> 1 a", x), Y) }},
		{"scatter", func(x Circuit) Circuit {
			return must(NewScatter("", []AxisIndex{Slice(1, 4)}, []int{5}, x))
		}},
		{"scatter rank 2", func(x Circuit) Circuit {
			return must(NewScatter("", []AxisIndex{Slice(2, 3), Slice(1, 4)}, []int{4, 5}, rea("a -> 1 a", x)))
		}},
		{"relu", func(x Circuit) Circuit { return fn("relu", x) }},
		{"softmax", func(x Circuit) Circuit { return fn("softmax", x) }},
		{"softmax of rank 2", func(x Circuit) Circuit { return fn("softmax", add(x, Y)) }},
		{"max", func(x Circuit) Circuit { return fn("max", x) }},
		{"last_dim_size", func(x Circuit) Circuit { return fn("last_dim_size", add(Y, x)) }},
		{"pow base", func(x Circuit) Circuit { return fn("pow", pos, x) }},
		{"pow exponent", func(x Circuit) Circuit { return fn("pow", fn("abs", x), sc) }},
		{"pow rank-2 exponent", func(x Circuit) Circuit { return fn("pow", fn("abs", x), ein("ab->ab", Y1)) }},
		{"pow rank-2 base", func(x Circuit) Circuit { return fn("pow", fn("exp", Y), x) }},
		{"pow both", func(x Circuit) Circuit { return fn("pow", fn("abs", x), x) }},
		{"tag", func(x Circuit) Circuit {
			return must(NewTag("", "44444444-4444-4444-8444-444444444444", x))
		}},
		{"mlp", func(x Circuit) Circuit {
			h := fn("gelu", must(Linear("", x, W, bias)))
			return fn("log_softmax", must(Linear("", h, must(NewScalar(0.1, []int{3, 4}, "W2")), nil)))
		}},
		{"shared subtree", func(x Circuit) Circuit {
			s := fn("tanh", add(x, y))
			return add(ein("a,a->a", s, s), s, Y)
		}},
		{"module", func(x Circuit) Circuit {
			sym := must(NewSymbol([]int{3}, "55555555-5555-4555-8555-555555555555", "s"))
			spec := fn("sigmoid", add(sym, y))
			return must(NewModule("", spec, []ModuleArgSpec{DefaultArgSpec(sym)}, x))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkRowwise(t, tc.build, x, xb)
			checkRowwise(t, tc.build, x, xbb)
		})
	}
}

func TestReplaceExpandNamesAndSharing(t *testing.T) {
	x := mkArr(t, "x", []int{3}, 1, 2, 3)
	y := mkArr(t, "y", []int{3}, 1, 2, 3)
	xb := randArr(t, "xb", 58, 2, 3)
	s := must(NewGeneralFunction("shared", "exp", x))
	root := must(NewAdd("root", s, s, y))
	got := must(ReplaceExpand(root, map[Hash]Circuit{x.Hash(): xb}))
	if got.Name() != "root" {
		t.Errorf("root name %q", got.Name())
	}
	kids := got.Children()
	if kids[0] != kids[1] {
		t.Error("a shared subtree was rebuilt twice")
	}
	if kids[0].Name() != "shared" {
		t.Errorf("inner name %q", kids[0].Name())
	}
	// no replacement: the same node comes back
	if back := must(ReplaceExpand(root, map[Hash]Circuit{})); back != Circuit(root) {
		t.Error("an empty replacement rebuilt the circuit")
	}
	// a same-shape replacement rebuilds without batch dims
	z := mkArr(t, "z", []int{3}, 0, 0, 0)
	same := must(ReplaceExpand(root, map[Hash]Circuit{x.Hash(): z}))
	checkValue(t, same, []int{3}, []float64{3, 4, 5})
	// a non-batch size change goes to the constructors: elementwise accepts it,
	// an add against a [3] sibling refuses it
	x5 := randArr(t, "x5", 59, 5)
	r := must(ReplaceExpand(s, map[Hash]Circuit{x.Hash(): x5}))
	if !slices.Equal(r.Shape(), []int{5}) {
		t.Errorf("shape %v", r.Shape())
	}
	if _, err := ReplaceExpand(root, map[Hash]Circuit{x.Hash(): x5}); err == nil {
		t.Error("[5] added to [3] accepted")
	}
}

func TestReplaceExpandBatchConflict(t *testing.T) {
	x := mkArr(t, "x", []int{3}, 1, 2, 3)
	y := mkArr(t, "y", []int{3}, 4, 5, 6)
	root := must(NewAdd("root", x, y))
	_, err := ReplaceExpand(root, map[Hash]Circuit{x.Hash(): randArr(t, "a", 1, 2, 3), y.Hash(): randArr(t, "b", 2, 4, 3)})
	wantErr(t, err, "root", "batch")
	// equal batch shapes on two leaves are one batch: row r uses row r of both
	a, b := randArr(t, "a", 1, 2, 3), randArr(t, "b", 2, 2, 3)
	got := must(ReplaceExpand(root, map[Hash]Circuit{x.Hash(): a, y.Hash(): b}))
	av, bv := a.Value.Float64s(), b.Value.Float64s()
	want := make([]float64, 6)
	for i := range want {
		want[i] = av[i] + bv[i]
	}
	checkValue(t, got, []int{2, 3}, want)
}

func TestReplaceExpandKeepsInfo(t *testing.T) {
	x := mkArr(t, "x", []int{3}, 1, 2, 3)
	y := mkArr(t, "y", []int{3}, 4, 5, 6)
	xb := randArr(t, "xb", 60, 2, 3)
	// an unnamed node with autonaming disabled stays unnamed when batched
	ad := must(NewAdd("", x, y)).Rename("")
	got := must(ReplaceExpand(ad, map[Hash]Circuit{x.Hash(): xb}))
	if got.Name() != "" || !got.AutonameDisabled() {
		t.Errorf("batched AD node: name %q AD %v", got.Name(), got.AutonameDisabled())
	}
	// named axes shift past the new batch axes
	na := must(NewGeneralFunction("f", "relu", x)).WithInfo(map[int]string{0: "pos"}, false)
	got = must(ReplaceExpand(na, map[Hash]Circuit{x.Hash(): xb}))
	if d := cmp.Diff(map[int]string{1: "pos"}, got.NamedAxes()); d != "" {
		t.Errorf("named axes after batching (-want +got):\n%s", d)
	}
	// and survive an unbatched rebuild
	z := mkArr(t, "z", []int{3}, 0, 0, 0)
	got = must(ReplaceExpand(na, map[Hash]Circuit{x.Hash(): z}))
	if d := cmp.Diff(map[int]string{0: "pos"}, got.NamedAxes()); d != "" {
		t.Errorf("named axes after a same-shape rebuild (-want +got):\n%s", d)
	}
}

// genNode is a pool entry of the random circuit generator: a circuit and
// whether it depends on the symbol being batched.
type genNode struct {
	c     Circuit
	usesX bool
}

// genCircuit builds a random circuit over x from every node kind. Each step
// combines pool entries with one constructor; constructions that the
// constructors refuse are skipped.
func genCircuit(t *rapid.T, x *Symbol) Circuit {
	pool := []genNode{{x, true}}
	seed := uint64(0)
	constant := func(shape ...int) genNode {
		seed++
		return genNode{must(RandArray(shape, seed, tensor.Float64, "")), false}
	}
	pool = append(pool, constant(3), constant(2, 3), constant(), constant(3, 1), constant(4, 1, 3))
	// half the time the newest node, so that circuits grow deep
	pick := func(label string) genNode {
		if rapid.Bool().Draw(t, label+"-newest") {
			return pool[len(pool)-1]
		}
		return pool[rapid.IntRange(0, len(pool)-1).Draw(t, label)]
	}
	steps := rapid.IntRange(1, 14).Draw(t, "steps")
	for s := 0; s < steps; s++ {
		a := pick("a")
		var c Circuit
		var err error
		uses := a.usesX
		switch op := rapid.IntRange(0, 14).Draw(t, "op"); op {
		case 0:
			fn := rapid.SampledFrom([]string{"relu", "tanh", "sigmoid", "sin", "abs", "gelu", "exp", "softmax", "log_softmax", "max", "min", "last_dim_size"}).Draw(t, "fn")
			if fn == "exp" {
				var tanh Circuit
				if tanh, err = NewGeneralFunction("", "tanh", a.c); err == nil {
					c, err = NewGeneralFunction("", "exp", tanh)
				}
			} else {
				c, err = NewGeneralFunction("", fn, a.c)
			}
		case 1, 2:
			b := pick("b")
			c, err = NewAdd("", a.c, b.c)
			uses = uses || b.usesX
		case 3:
			b := pick("b")
			c, err = Mul("", a.c, b.c)
			uses = uses || b.usesX
		case 4:
			if a.c.Rank() > 0 {
				c, err = Sum("", a.c, rapid.IntRange(-a.c.Rank(), a.c.Rank()-1).Draw(t, "axis"))
			}
		case 5:
			if a.c.Rank() >= 2 {
				c, err = Permute("", a.c, rapid.Permutation(identityLabels(a.c.Rank())).Draw(t, "perm")...)
			}
		case 6:
			b := pick("b")
			if a.c.Rank()+b.c.Rank() <= 3 {
				ra, rb := a.c.Rank(), b.c.Rank()
				al, bl := identityLabels(ra), make([]int, rb)
				for i := range bl {
					bl[i] = ra + i
				}
				c, err = NewEinsum("", [][]int{al, bl}, append(cloneInts(al), bl...), a.c, b.c)
				uses = uses || b.usesX
			}
		case 7:
			if a.c.Rank() < 3 {
				pos := rapid.IntRange(0, a.c.Rank()).Draw(t, "pos")
				sp := RearrangeSpec{}
				for j := 0; j < a.c.Rank(); j++ {
					sp.Sizes = append(sp.Sizes, -1)
					sp.In = append(sp.In, []int{j})
				}
				for j := 0; j <= a.c.Rank(); j++ {
					if j == pos {
						sp.Sizes = append(sp.Sizes, 2)
						sp.Out = append(sp.Out, []int{len(sp.Sizes) - 1})
					}
					if j < a.c.Rank() {
						sp.Out = append(sp.Out, []int{j})
					}
				}
				c, err = NewRearrange("", sp, a.c)
			}
		case 8:
			if a.c.Rank() >= 1 {
				c, err = Flatten("", a.c)
			}
		case 9:
			if a.c.Rank() >= 1 && a.c.Shape()[0] > 0 {
				d := a.c.Shape()[0]
				var ix AxisIndex
				switch rapid.IntRange(0, 2).Draw(t, "ixkind") {
				case 0:
					ix = Int(rapid.IntRange(-d, d-1).Draw(t, "int"))
				case 1:
					ix = Slice(rapid.IntRange(-d-1, d).Draw(t, "lo"), rapid.IntRange(-d-1, d+1).Draw(t, "hi"))
				default:
					ps := rapid.SliceOfN(rapid.Int64Range(int64(-d), int64(d-1)), 0, 4).Draw(t, "ps")
					ix = Positions(ps...)
				}
				lead := []AxisIndex{}
				if a.c.Rank() >= 2 && rapid.Bool().Draw(t, "second") {
					lead = append(lead, All())
					if a.c.Shape()[1] == 0 {
						break
					}
					d2 := a.c.Shape()[1]
					ix = Positions(int64(rapid.IntRange(0, d2-1).Draw(t, "p2")))
				}
				c, err = NewIndex("", append(lead, ix), a.c)
			}
		case 10:
			b := pick("b")
			if a.c.Rank() >= 1 {
				ax := rapid.IntRange(-a.c.Rank(), a.c.Rank()-1).Draw(t, "axis")
				if c, err = NewConcat("", ax, a.c, b.c); err == nil {
					uses = uses || b.usesX
				} else {
					c, err = NewConcat("", ax, a.c, a.c)
				}
			}
		case 11:
			shape := cloneInts(a.c.Shape())
			var idx []AxisIndex
			for i := range shape {
				lo := rapid.IntRange(0, 1).Draw(t, "off")
				idx = append(idx, Slice(lo, lo+shape[i]))
				shape[i] += 1
			}
			c, err = NewScatter("", idx, shape, a.c)
		case 12:
			c, err = NewTag("", "", a.c)
		case 13:
			b := pick("b")
			var base Circuit
			if base, err = NewGeneralFunction("", "abs", a.c); err == nil {
				c, err = NewGeneralFunction("", "pow", base, b.c)
			}
			uses = uses || b.usesX
		case 14:
			// a module call with x's shape as its symbol, batchable
			if slices.Equal(a.c.Shape(), []int{3}) {
				sym := must(NewSymbol([]int{3}, "", "arg"))
				spec := must(NewGeneralFunction("", "sigmoid", must(NewAdd("", sym, pool[1].c))))
				c, err = NewModule("", spec, []ModuleArgSpec{DefaultArgSpec(sym)}, a.c)
			}
		}
		if c == nil || err != nil || numel(c.Shape()) > 200 || c.Rank() > 4 {
			continue
		}
		pool = append(pool, genNode{c, uses})
	}
	for i := len(pool) - 1; i >= 0; i-- {
		if pool[i].usesX {
			return pool[i].c
		}
	}
	return x
}

// TestReplaceExpandProperty batches a symbol of random circuits and checks
// every row against evaluating the unbatched circuit with that row bound.
func TestReplaceExpandProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		xshape := rapid.SampledFrom([][]int{{3}, {2, 3}}).Draw(rt, "xshape")
		x := must(NewSymbol(xshape, "", "x"))
		root := genCircuit(rt, x)
		nb := rapid.IntRange(1, 2).Draw(rt, "nb")
		batch := []int{2, 3}[:nb]
		xb := must(RandArray(append(cloneInts(batch), xshape...), 99, tensor.Float64, "xb"))
		got, err := ReplaceExpand(root, map[Hash]Circuit{x.Hash(): xb})
		if err != nil {
			rt.Fatalf("ReplaceExpand: %v", err)
		}
		want := append(cloneInts(batch), root.Shape()...)
		if !slices.Equal(got.Shape(), want) {
			rt.Fatalf("shape %v, want %v", got.Shape(), want)
		}
		v, err := Evaluate(got, EvalOptions{DType: tensor.Float64})
		if err != nil {
			rt.Fatalf("evaluate batched: %v", err)
		}
		vals := v.Float64s()
		per, in := numel(root.Shape()), numel(xshape)
		xs := xb.Value.Float64s()
		for r := 0; r < numel(batch); r++ {
			row := must(tensor.FromFloat64(xshape, xs[r*in:(r+1)*in]))
			w, err := Evaluate(root, EvalOptions{DType: tensor.Float64, Bindings: map[string]*tensor.Tensor{"x": row}})
			if err != nil {
				rt.Fatalf("evaluate row %d: %v", r, err)
			}
			if d := cmp.Diff(w.Float64s(), vals[r*per:(r+1)*per], cmpopts.EquateApprox(1e-9, 1e-12), cmpopts.EquateNaNs()); d != "" {
				rt.Fatalf("row %d (-unbatched +batched):\n%s", r, d)
			}
		}
	})
}

// TestReplaceExpandRank2Leaf batches a rank-2 leaf under nodes of higher
// rank, where the batched child needs size-1 axes inserted after its batch
// axes (a case the rank-1 table above cannot reach).
func TestReplaceExpandRank2Leaf(t *testing.T) {
	x := iotaArr(t, "x", 2, 3)
	Y := randArr(t, "Y", 61, 4, 2, 3)
	Z := randArr(t, "Z", 62, 5, 1, 2, 1)
	cases := []struct {
		name  string
		build func(x Circuit) Circuit
	}{
		{"add rank 3", func(x Circuit) Circuit { return must(NewAdd("", x, Y)) }},
		{"add rank 4", func(x Circuit) Circuit { return must(NewAdd("", Z, x)) }},
		{"pow rank 3", func(x Circuit) Circuit {
			return must(NewGeneralFunction("", "pow", must(NewGeneralFunction("", "abs", x)), Y))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, batch := range [][]int{{2}, {3, 2}} {
				xb := randArr(t, "xb", 63, append(cloneInts(batch), 2, 3)...)
				orig := tc.build(x)
				got := must(ReplaceExpand(orig, map[Hash]Circuit{x.Hash(): xb}))
				want := append(cloneInts(batch), orig.Shape()...)
				if !slices.Equal(got.Shape(), want) {
					t.Fatalf("shape %v, want %v", got.Shape(), want)
				}
				_, vals := eval64(t, got, nil)
				per, xs := numel(orig.Shape()), xb.Value.Float64s()
				for r := 0; r < numel(batch); r++ {
					row := mkArr(t, "x", []int{2, 3}, xs[r*6:r*6+6]...)
					_, w := eval64(t, tc.build(row), nil)
					if d := cmp.Diff(w, vals[r*per:(r+1)*per], approx); d != "" {
						t.Fatalf("batch %v row %d:\n%s", batch, r, d)
					}
				}
			}
		})
	}
}

// TestWithChildrenIdentityProperty rebuilds every node of random circuits
// over its own children: the result must be the same node (equal hash and
// shape), including AD flags and named axes.
func TestWithChildrenIdentityProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		x := must(NewSymbol([]int{3}, "", "x"))
		root := genCircuit(rt, x)
		Walk([]Circuit{root}, func(c Circuit) {
			for _, n := range []Circuit{c, c.Rename(""), c.WithInfo(map[int]string{0: "ax"}, rapid.Bool().Draw(rt, "ad"))} {
				back, err := n.WithChildren(n.Children())
				if err != nil {
					rt.Fatalf("%s: WithChildren of its own children: %v", Label(n), err)
				}
				if !Equal(back, n) || !slices.Equal(back.Shape(), n.Shape()) {
					rt.Fatalf("%s: rebuilt as a different node %s", Label(n), Label(back))
				}
			}
		})
	})
}
