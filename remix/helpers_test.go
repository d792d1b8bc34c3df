package remix

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// toyModel is a TwoLayerSkip with random weights, kept as plain slices so
// the tests can compute every experiment by hand with loops.
type toyModel struct {
	w1, b1, w2, b2 []float64 // [784*784], [784], [10*784], [10]
}

func newToy(seed uint64) *toyModel {
	r := rand.New(rand.NewPCG(seed, 7))
	fill := func(n int, scale float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = r.NormFloat64() * scale
		}
		return v
	}
	return &toyModel{fill(Pixels*Pixels, 0.05), fill(Pixels, 0.1), fill(Classes*Pixels, 0.05), fill(Classes, 0.1)}
}

func (m *toyModel) stateDict(t *testing.T) map[string]*tensor.Tensor {
	t.Helper()
	mk := func(shape []int, v []float64) *tensor.Tensor {
		x, err := tensor.FromFloat64(shape, v)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	return map[string]*tensor.Tensor{
		"first.weight": mk([]int{Pixels, Pixels}, m.w1),
		"first.bias":   mk([]int{Pixels}, m.b1),
		"last.weight":  mk([]int{Classes, Pixels}, m.w2),
		"last.bias":    mk([]int{Classes}, m.b2),
	}
}

// first computes x·W1ᵀ + b1 for each row of x [n][784].
func (m *toyModel) first(x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for i, row := range x {
		out[i] = make([]float64, Pixels)
		for o := 0; o < Pixels; o++ {
			s := m.b1[o]
			for k, v := range row {
				s += v * m.w1[o*Pixels+k]
			}
			out[i][o] = s
		}
	}
	return out
}

func (m *toyModel) last(skip [][]float64) [][]float64 {
	out := make([][]float64, len(skip))
	for i, row := range skip {
		out[i] = make([]float64, Classes)
		for o := 0; o < Classes; o++ {
			s := m.b2[o]
			for k, v := range row {
				s += v * m.w2[o*Pixels+k]
			}
			out[i][o] = s
		}
	}
	return out
}

func relu(x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for i, row := range x {
		out[i] = make([]float64, len(row))
		for j, v := range row {
			out[i][j] = math.Max(v, 0)
		}
	}
	return out
}

func addRows(a, b [][]float64) [][]float64 {
	out := make([][]float64, len(a))
	for i := range a {
		out[i] = make([]float64, len(a[i]))
		for j := range a[i] {
			out[i][j] = a[i][j] + b[i][j]
		}
	}
	return out
}

func permuteRows(x [][]float64, perm []int64) [][]float64 {
	out := make([][]float64, len(x))
	for i, p := range perm {
		out[i] = x[p]
	}
	return out
}

func meanRows(x [][]float64) [][]float64 {
	mean := make([]float64, len(x[0]))
	for _, row := range x {
		for j, v := range row {
			mean[j] += v / float64(len(x))
		}
	}
	out := make([][]float64, len(x))
	for i := range out {
		out[i] = mean
	}
	return out
}

func zerosLike(x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for i := range out {
		out[i] = make([]float64, len(x[i]))
	}
	return out
}

func randomImages(t *testing.T, n int, seed uint64) ([][]float64, *tensor.Tensor) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 11))
	rows := make([][]float64, n)
	flat := make([]float64, 0, n*Pixels)
	for i := range rows {
		rows[i] = make([]float64, Pixels)
		for j := range rows[i] {
			rows[i][j] = r.NormFloat64()
		}
		flat = append(flat, rows[i]...)
	}
	x, err := tensor.FromFloat64([]int{n, Pixels}, flat)
	if err != nil {
		t.Fatal(err)
	}
	return rows, x
}

// assertClose compares a [n, k] tensor with rows, to a relative-and-absolute tolerance.
func assertClose(t *testing.T, what string, got *tensor.Tensor, want [][]float64, tol float64) {
	t.Helper()
	if got.Rank() != 2 || got.Shape()[0] != len(want) || got.Shape()[1] != len(want[0]) {
		t.Fatalf("%s: shape %v, want [%d %d]", what, got.Shape(), len(want), len(want[0]))
	}
	g := got.Float64s()
	k := len(want[0])
	for i, row := range want {
		for j, w := range row {
			if d := math.Abs(g[i*k+j] - w); d > tol*(1+math.Abs(w)) {
				t.Fatalf("%s[%d,%d] = %v, want %v", what, i, j, g[i*k+j], w)
			}
		}
	}
}

func mustBuild(t *testing.T, sd map[string]*tensor.Tensor, batch int) circuit.Circuit {
	t.Helper()
	c, err := BuildModel(sd, batch)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
