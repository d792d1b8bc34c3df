package blas_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/blas"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// randomContractionCircuits builds einsum-heavy circuits with dimensions
// drawn from sizes that are 1, primes, and off the kernel tiles: matrix
// chains (the compiler picks an order), batched and transposed products,
// an attention-shaped block, and sums of products sharing operands.
func randomContractionCircuits(t *testing.T, rng *rand.Rand) ([]circuit.Circuit, map[string]*tensor.Tensor) {
	t.Helper()
	dims := []int{1, 3, 8, 17, 33, 64}
	d := func() int { return dims[rng.IntN(len(dims))] }
	seed := rng.Uint64()
	bind := map[string]*tensor.Tensor{}
	// Inputs are Symbols bound at run time, not Arrays: the compiler
	// would fold products of constants at compile time, and the point is
	// to run the contractions in the runtime, on the backend.
	arr := func(name string, shape ...int) circuit.Circuit {
		seed++
		v, err := tensor.RandN(tensor.Float64, shape, seed)
		if err != nil {
			t.Fatal(err)
		}
		s, err := circuit.NewSymbol(shape, "", name)
		if err != nil {
			t.Fatal(err)
		}
		bind[name] = v
		return s
	}
	ein := func(spec string, cs ...circuit.Circuit) circuit.Circuit {
		e, err := circuit.NewEinsumSpec("", spec, cs...)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		return e
	}
	a, b, c, e, h := d(), d(), d(), d(), 1+rng.IntN(3)
	A, B, C := arr("A", a, b), arr("B", b, c), arr("C", c, e)
	chain := ein("ab,bc,cd->ad", A, B, C)
	bt := arr("Bt", c, b)
	transposed := ein("ab,cb->ac", A, bt)
	X, Y := arr("X", h, a, b), arr("Y", h, b, c)
	batched := ein("hab,hbc->hac", X, Y)
	Q, K, V := arr("Q", a, e), arr("K", c, e), arr("V", c, b)
	scores := ein("se,te->st", Q, K)
	relu, err := circuit.NewGeneralFunction("", "relu", scores)
	if err != nil {
		t.Fatal(err)
	}
	attn := ein("st,tb->sb", relu, V)
	sum, err := circuit.NewAdd("", ein("ab,bc->ac", A, B), ein("ab,bc->ac", A, arr("B2", b, c)))
	if err != nil {
		t.Fatal(err)
	}
	return []circuit.Circuit{chain, transposed, batched, attn, sum}, bind
}

// TestCompilerWithEachBackend is the compiler property test: for
// every backend, the whole compiler (circopt.EvaluateMany: lower, passes,
// runtime, GEMMs through the installed backend) agrees with the naive
// evaluator (circuit.EvaluateAll) on random contraction circuits.
func TestCompilerWithEachBackend(t *testing.T) {
	eachBackend(t, func(t *testing.T, b blas.Backend) {
		cb, calls := counting(b)
		blas.Use(cb)
		rng := rand.New(rand.NewPCG(11, 12))
		for round := range 6 {
			cs, bind := randomContractionCircuits(t, rng)
			for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
				want, err := circuit.EvaluateAll(cs, circuit.EvalOptions{DType: tensor.Float64, Bindings: bind})
				if err != nil {
					t.Fatal(err)
				}
				got, err := circopt.EvaluateMany(cs, bind, circopt.Options{DType: dt})
				if err != nil {
					t.Fatalf("round %d %v: EvaluateMany: %v", round, dt, err)
				}
				for i := range cs {
					rtol := 1e-9
					if dt == tensor.Float32 {
						rtol = 1e-4
					}
					// Entries are sums of up to 64³ products of normal
					// draws; scale the absolute tolerance by the largest.
					atol := rtol * maxAbs(want[i])
					if !tensor.AllClose(got[i], want[i], rtol, atol) {
						ma, mr, _ := tensor.Compare(got[i], want[i])
						t.Errorf("round %d %v circuit %d (shape %v): compiled differs from naive: max abs %g, max rel %g",
							round, dt, i, want[i].Shape(), ma, mr)
					}
				}
			}
		}
		// The runtime lowers binary contractions to GEMM; if none reached
		// the backend, this test would not be testing it.
		if calls.Load() == 0 {
			t.Errorf("%s: no GEMM reached the backend", b.Name)
		}
	})
}

func maxAbs(t *tensor.Tensor) float64 {
	m := 0.0
	for _, v := range t.Float64s() {
		m = math.Max(m, math.Abs(v))
	}
	return m
}
