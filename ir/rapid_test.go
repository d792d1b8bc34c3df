package ir

import (
	"fmt"
	"testing"

	"github.com/circopt/circopt/tensor"
	"pgregory.net/rapid"
)

// randomProgram builds a random well-typed program through the Builder; every
// value left unused becomes an output, so the result must verify cleanly.
func randomProgram(t *rapid.T) *Program {
	b := NewBuilder()
	var ids []int
	nIn := rapid.IntRange(1, 3).Draw(t, "inputs")
	for i := 0; i < nIn; i++ {
		shape := rapid.SliceOfN(rapid.IntRange(1, 4), 1, 3).Draw(t, "shape")
		id, err := b.Input(fmt.Sprintf("in%d", i), Type{DType: tensor.Float32, Shape: shape})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if rapid.Bool().Draw(t, "const") {
		c, _ := tensor.RandN(tensor.Float32, []int{2, 3}, rapid.Uint64().Draw(t, "seed"))
		id, err := b.Const(c)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	steps := rapid.IntRange(1, 12).Draw(t, "steps")
	for s := 0; s < steps; s++ {
		x := rapid.SampledFrom(ids).Draw(t, "x")
		xt, _ := b.TypeOf(x)
		rank := len(xt.Shape)
		var id int
		var err error
		kind := rapid.IntRange(0, 8).Draw(t, "kind")
		if rank == 0 && (kind == 4 || kind == 5 || kind == 7) {
			kind = 0 // these need an axis
		}
		switch kind {
		case 0:
			id, err = b.Add(rapid.SampledFrom(UnaryOps).Draw(t, "unary"), nil, x)
		case 1:
			id, err = b.Add(OpScale, Attrs{"factor": rapid.Float64Range(-3, 3).Draw(t, "factor")}, x)
		case 2:
			sc, _ := b.Scalar(rapid.Float64Range(-2, 2).Draw(t, "v"), Type{DType: tensor.Float32, Shape: []int{}})
			id, err = b.Add(OpAdd, nil, x, sc, x)
		case 3:
			id, err = b.Add(OpPermute, Attrs{"perm": rapid.Permutation(identity(rank)).Draw(t, "perm")}, x)
		case 4:
			id, err = b.Add(OpSum, Attrs{"axes": []int{rapid.IntRange(0, rank-1).Draw(t, "axis")}}, x)
		case 5:
			id, err = b.Add(OpSoftmax, nil, x)
		case 6:
			id, err = b.AddTyped(OpReshape, nil, Type{DType: tensor.Float32, Shape: []int{int(xt.NumElements())}}, x)
		case 7:
			letters := "abcdefgh"[:rank]
			id, err = b.Add(OpEinsum, Attrs{"spec": letters + "," + letters + "->" + letters[:1]}, x, x)
		case 8:
			starts, stops := make([]int, rank), make([]int, rank)
			for i, d := range xt.Shape {
				starts[i] = rapid.IntRange(0, d-1).Draw(t, "start")
				stops[i] = rapid.IntRange(starts[i]+1, d).Draw(t, "stop")
			}
			id, err = b.Add(OpSlice, Attrs{"starts": starts, "stops": stops}, x)
		}
		if err != nil {
			t.Fatalf("builder refused a well-typed value: %v", err)
		}
		ids = append(ids, id)
	}
	p := b.Build()
	for _, v := range p.Values {
		if len(p.Users(v.ID)) == 0 {
			if err := b.Output(fmt.Sprintf("o%d", v.ID), v.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	return b.Build()
}

func identity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestRandomProgramsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := randomProgram(t)
		if errs := Verify(p); errs != nil {
			t.Fatalf("Verify: %v\n%s", errs, p)
		}
		text := p.String()
		q, err := Parse("rand.ir", []byte(text), func(prefix string) (*tensor.Tensor, error) {
			for h, c := range p.Consts {
				if len(h) >= len(prefix) && h[:len(prefix)] == prefix {
					return c, nil
				}
			}
			return nil, fmt.Errorf("unknown %s", prefix)
		})
		if err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
		if q.String() != text || q.Hash() != p.Hash() {
			t.Fatalf("round trip changed the program:\n%s\nvs\n%s", text, q)
		}
		r, err := Renumber(q)
		if err != nil || r.String() != text {
			t.Fatalf("renumbering a dense program changed it: %v", err)
		}
		if errs := Verify(r); errs != nil {
			t.Fatalf("Verify(rebuilt): %v", errs)
		}
	})
}
