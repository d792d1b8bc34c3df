package ablate

import (
	"math"
	"slices"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/tensor"
)

func TestShuffle(t *testing.T) {
	for _, n := range []int{0, 1, 2, 17, 1000} {
		for _, seed := range []uint64{0, 1, 2} {
			p := Shuffle(seed, n)
			if len(p) != n {
				t.Fatalf("Shuffle(%d, %d) has %d entries", seed, n, len(p))
			}
			seen := make([]bool, n)
			for _, v := range p {
				if v < 0 || int(v) >= n || seen[v] {
					t.Fatalf("Shuffle(%d, %d) is not a permutation: %v", seed, n, p)
				}
				seen[v] = true
			}
			if !slices.Equal(p, Shuffle(seed, n)) {
				t.Fatalf("Shuffle(%d, %d) is not deterministic", seed, n)
			}
		}
	}
	a, b := Shuffle(0, 1000), Shuffle(1, 1000)
	if slices.Equal(a, b) {
		t.Error("seeds 0 and 1 give the same permutation")
	}
	fixed := 0
	for i, v := range a {
		if int(v) == i {
			fixed++
		}
	}
	// a uniform permutation has one fixed point on average
	if fixed > 10 {
		t.Errorf("Shuffle(0, 1000) has %d fixed points", fixed)
	}
}

func TestShuffledErrors(t *testing.T) {
	x, _ := circuit.NewSymbol([]int{3, 4}, "", "x")
	if _, err := Shuffled("s", x, []int64{0, 1}); err == nil {
		t.Error("a permutation of the wrong length was accepted")
	}
	s, _ := circuit.NewScalar(1, nil, "s")
	if _, err := Shuffled("s", s, nil); err == nil {
		t.Error("shuffling a scalar was accepted")
	}
}

// MeanAblate works at any rank: [4] becomes its mean repeated, [4,2,3] its
// mean over axis 0 repeated along it.
func TestMeanAblateRanks(t *testing.T) {
	for _, shape := range [][]int{{4}, {4, 2, 3}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(i*i%7) - 2
		}
		tt, _ := tensor.FromFloat64(shape, v)
		a, _ := circuit.NewArray(tt, "a")
		got, err := MeanAblate(a, match.Name("a"))
		if err != nil {
			t.Fatalf("%v: %v", shape, err)
		}
		out, err := circuit.Evaluate(got, circuit.EvalOptions{DType: tensor.Float64})
		if err != nil {
			t.Fatal(err)
		}
		inner := n / shape[0]
		o := out.Float64s()
		for j := 0; j < inner; j++ {
			var mean float64
			for b := 0; b < shape[0]; b++ {
				mean += v[b*inner+j] / float64(shape[0])
			}
			for b := 0; b < shape[0]; b++ {
				if math.Abs(o[b*inner+j]-mean) > 1e-12 {
					t.Fatalf("%v: entry [%d,%d] = %v, want %v", shape, b, j, o[b*inner+j], mean)
				}
			}
		}
	}
}

// Every rewrite refuses a matcher that finds nothing, and PatchPath a
// permutation of the wrong length; PatchPath touches only matched paths.
func TestRewritesNeedAMatch(t *testing.T) {
	x, _ := circuit.NewSymbol([]int{2, 3}, "", "x")
	h, _ := circuit.NewGeneralFunction("h", "relu", x)
	y, _ := circuit.NewAdd("y", h, x)
	none := match.Name("no such node")
	if _, err := ZeroAblate(y, none); err == nil {
		t.Error("ZeroAblate of nothing succeeded")
	}
	if _, err := MeanAblate(y, none); err == nil {
		t.Error("MeanAblate of nothing succeeded")
	}
	if _, err := ResampleAblate(y, none, "x", "xs", Shuffle(0, 2)); err == nil {
		t.Error("ResampleAblate of nothing succeeded")
	}
	if _, err := ResampleAblate(y, match.Name("h"), "nope", "xs", Shuffle(0, 2)); err == nil {
		t.Error("ResampleAblate with an unknown input succeeded")
	}
	if _, err := PatchPath(y, match.Name("x"), "xs", Shuffle(0, 3)); err == nil {
		t.Error("PatchPath with a wrong-length permutation succeeded")
	}
	m, _ := match.ParseMatcher("'h' > 'x'")
	p, err := PatchPath(y, m, "xs", Shuffle(0, 2))
	if err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int{"'h' > 'xs'": 1, "'y' > 'x'": 1, "'h' > 'x'": 0} {
		qm, _ := match.ParseMatcher(q)
		found, err := match.Get(p, qm)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != want {
			t.Errorf("%s finds %d after patching, want %d", q, len(found), want)
		}
	}
}
