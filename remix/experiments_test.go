package remix

import (
	"fmt"
	"math"
	"slices"
	"strings"
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
	x, _ := Input(3)
	if _, err := Shuffled("s", x, []int64{0, 1}); err == nil {
		t.Error("a permutation of the wrong length was accepted")
	}
	s, _ := circuit.NewScalar(1, nil, "s")
	if _, err := Shuffled("s", s, nil); err == nil {
		t.Error("shuffling a scalar was accepted")
	}
}

func TestExperimentNames(t *testing.T) {
	got := strings.Join(ExperimentNames(DefaultSeeds), " ")
	want := "baseline zero_first mean_relu resample_first_0 resample_first_1 resample_first_2 " +
		"patch_skip_only_0 patch_skip_only_1 patch_skip_only_2 patch_first_only_0 patch_first_only_1 patch_first_only_2"
	if got != want {
		t.Errorf("ExperimentNames = %s\nwant %s", got, want)
	}
}

// Every experiment, evaluated by both evaluators, equals the hand-computed
// value of its definition.
func TestExperimentsMatchLoops(t *testing.T) {
	const n = 6
	toy := newToy(4)
	x, xt := randomImages(t, n, 5)
	model := mustBuild(t, toy.stateDict(t), n)
	exps, err := Experiments(model, DefaultSeeds)
	if err != nil {
		t.Fatal(err)
	}
	first := toy.first(x)
	r := relu(first)
	want := map[string][][]float64{
		"baseline":   toy.last(addRows(x, r)),
		"zero_first": toy.last(addRows(x, relu(zerosLike(first)))),
		"mean_relu":  toy.last(addRows(x, meanRows(r))),
	}
	for _, s := range DefaultSeeds {
		perm := Shuffle(s, n)
		xp := permuteRows(x, perm)
		resampled := toy.last(addRows(x, relu(toy.first(xp))))
		want[fmt.Sprintf("resample_first_%d", s)] = resampled
		want[fmt.Sprintf("patch_first_only_%d", s)] = resampled
		want[fmt.Sprintf("patch_skip_only_%d", s)] = toy.last(addRows(xp, r))
	}
	if len(exps) != len(want) {
		t.Fatalf("%d experiments, want %d", len(exps), len(want))
	}
	var cs []circuit.Circuit
	for i, e := range exps {
		if e.Name != ExperimentNames(DefaultSeeds)[i] {
			t.Fatalf("experiment %d is %s", i, e.Name)
		}
		cs = append(cs, e.Circuit)
	}
	bind := map[string]*tensor.Tensor{NameX: xt}
	for _, ev := range []struct {
		name string
		f    EvalFunc
	}{{"naive", NaiveEval}, {"compiled", CompiledEval}} {
		outs, err := ev.f(t.Context(), cs, bind, tensor.Float64)
		if err != nil {
			t.Fatalf("%s: %v", ev.name, err)
		}
		for i, e := range exps {
			assertClose(t, ev.name+" "+e.Name, outs[i], want[e.Name], 1e-9)
		}
	}
}

// The ablations change exactly the nodes they name: zero_first has no
// first and no weight matmul, mean_relu keeps first but feeds skip a
// broadcast mean, patch_skip_only keeps the x feeding first unshuffled.
func TestExperimentStructure(t *testing.T) {
	model := mustBuild(t, newToy(1).stateDict(t), 4)
	exps, err := Experiments(model, []uint64{7})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]circuit.Circuit{}
	for _, e := range exps {
		byName[e.Name] = e.Circuit
	}
	count := func(c circuit.Circuit, m string) int {
		im, err := match.ParseMatcher(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := match.Get(c, im)
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	if got := count(byName["zero_first"], "'first'"); got != 0 {
		t.Errorf("zero_first still has %d nodes named first", got)
	}
	if got := count(byName["zero_first"], "'first zero'"); got != 1 {
		t.Errorf("zero_first has %d zero scalars", got)
	}
	if got := count(byName["mean_relu"], "'skip' > 'relu mean ablated'"); got != 1 {
		t.Errorf("mean_relu: skip is not fed the broadcast mean")
	}
	if got := count(byName["patch_skip_only_7"], "'skip' > 'x shuffled 7'"); got != 1 {
		t.Errorf("patch_skip_only: skip is not fed the shuffled x")
	}
	if got := count(byName["patch_skip_only_7"], "'first' >> 'x shuffled 7'"); got != 0 {
		t.Errorf("patch_skip_only: first is fed the shuffled x")
	}
	if got := count(byName["patch_first_only_7"], "'skip' > 'x'"); got != 1 {
		t.Errorf("patch_first_only: skip lost its unshuffled x")
	}
	// resampling first's output and patching first's input are one circuit
	if !circuit.Equal(byName["resample_first_7"], byName["patch_first_only_7"]) {
		t.Error("resample_first_7 and patch_first_only_7 differ")
	}
}

func TestRewritesNeedAMatch(t *testing.T) {
	model := mustBuild(t, newToy(1).stateDict(t), 2)
	none := match.Name("no such node")
	if _, err := ZeroAblate(model, none); err == nil {
		t.Error("ZeroAblate of nothing succeeded")
	}
	if _, err := MeanAblate(model, none); err == nil {
		t.Error("MeanAblate of nothing succeeded")
	}
	if _, err := ResampleAblate(model, none, NameX, "xs", Shuffle(0, 2)); err == nil {
		t.Error("ResampleAblate of nothing succeeded")
	}
	if _, err := ResampleAblate(model, match.Name(NameFirst), "nope", "xs", Shuffle(0, 2)); err == nil {
		t.Error("ResampleAblate with an unknown input succeeded")
	}
	if _, err := PatchPath(model, none, "xs", Shuffle(0, 2)); err == nil {
		t.Error("PatchPath of nothing succeeded")
	}
	if _, err := PatchPath(model, match.Name(NameX), "xs", Shuffle(0, 3)); err == nil {
		t.Error("PatchPath with a wrong-length permutation succeeded")
	}
	s, _ := circuit.NewScalar(3, nil, "s")
	if _, err := MeanAblate(s, match.Name("s")); err == nil {
		t.Error("MeanAblate of a scalar succeeded")
	}
	sym, _ := circuit.NewSymbol([]int{2, 3}, "", "m")
	if _, err := Experiments(sym, DefaultSeeds); err == nil {
		t.Error("Experiments of a circuit without x succeeded")
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
