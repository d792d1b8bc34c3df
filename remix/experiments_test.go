package remix

import (
	"fmt"
	"strings"
	"testing"

	"github.com/circopt/circopt/ablate"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/tensor"
)

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
		perm := ablate.Shuffle(s, n)
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

func TestExperimentsNeedX(t *testing.T) {
	sym, _ := circuit.NewSymbol([]int{2, 3}, "", "m")
	if _, err := Experiments(sym, DefaultSeeds); err == nil {
		t.Error("Experiments of a circuit without x succeeded")
	}
}
