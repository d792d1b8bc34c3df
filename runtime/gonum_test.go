package runtime

import (
	"fmt"
	"math"
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"
)

// TestAgainstGonum checks a matmul + bias + column-sum program against the
// same computation done independently with gonum's mat.
func TestAgainstGonum(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		m := rapid.IntRange(1, 6).Draw(rt, "m")
		k := rapid.IntRange(1, 6).Draw(rt, "k")
		n := rapid.IntRange(1, 6).Draw(rt, "n")
		seed := rapid.Uint64().Draw(rt, "seed")
		a, _ := tensor.RandN(tensor.Float64, []int{m, k}, seed)
		w, _ := tensor.RandN(tensor.Float64, []int{k, n}, seed+1)
		bias, _ := tensor.RandN(tensor.Float64, []int{n}, seed+2)

		b := ir.NewBuilder()
		x, _ := b.Input("a", ir.Type{DType: tensor.Float64, Shape: []int{m, k}})
		wc, _ := b.Const(w)
		bc, _ := b.Const(bias)
		e, err := b.Add(ir.OpEinsum, ir.Attrs{"spec": "ab,bc->ac"}, x, wc)
		if err != nil {
			rt.Fatal(err)
		}
		s, _ := b.Add(ir.OpAdd, nil, e, bc)
		tr, _ := b.Add(ir.OpPermute, ir.Attrs{"perm": []int{1, 0}}, s)
		cs, _ := b.Add(ir.OpSum, ir.Attrs{"axes": []int{1}}, tr)
		_ = b.Output("y", s)
		_ = b.Output("colsum", cs)
		p := b.Build()
		if errs := ir.Verify(p); errs != nil {
			rt.Fatal(errs)
		}
		out, _, err := Run(p, map[string]*tensor.Tensor{"a": a}, tensor.Float64)
		if err != nil {
			rt.Fatal(err)
		}

		var c mat.Dense
		c.Mul(mat.NewDense(m, k, a.Float64s()), mat.NewDense(k, n, w.Float64s()))
		bv := bias.Float64s()
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				c.Set(i, j, c.At(i, j)+bv[j])
			}
		}
		got := out["y"].Float64s()
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				if math.Abs(got[i*n+j]-c.At(i, j)) > 1e-12 {
					rt.Fatalf("y[%d,%d] = %v, gonum %v", i, j, got[i*n+j], c.At(i, j))
				}
			}
		}
		gs := out["colsum"].Float64s()
		for j := 0; j < n; j++ {
			if w := floats.Sum(mat.Col(nil, j, &c)); math.Abs(gs[j]-w) > 1e-12 {
				rt.Fatalf("colsum[%d] = %v, gonum %v", j, gs[j], w)
			}
		}
		if fmt.Sprint(out["colsum"].Shape()) != fmt.Sprint([]int{n}) {
			rt.Fatalf("colsum shape %v", out["colsum"].Shape())
		}
	})
}
