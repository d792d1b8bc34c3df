package remix

import (
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

func TestBuildModelMatchesLoops(t *testing.T) {
	toy := newToy(1)
	rows, x := randomImages(t, 5, 2)
	c := mustBuild(t, toy.stateDict(t), 5)
	if got := c.Shape(); len(got) != 2 || got[0] != 5 || got[1] != Classes {
		t.Fatalf("logits shape %v, want [5 10]", got)
	}
	got, err := circuit.Evaluate(c, circuit.EvalOptions{DType: tensor.Float64, Bindings: map[string]*tensor.Tensor{NameX: x}})
	if err != nil {
		t.Fatal(err)
	}
	want := toy.last(addRows(rows, relu(toy.first(rows))))
	assertClose(t, "logits", got, want, 1e-9)
}

func TestBuildModelNames(t *testing.T) {
	c := mustBuild(t, newToy(1).stateDict(t), 3)
	if c.Name() != NameLast {
		t.Errorf("root is named %q, want %q", c.Name(), NameLast)
	}
	for name, kind := range map[string]circuit.Kind{
		NameX: circuit.KindSymbol, NameFirst: circuit.KindAdd, NameRelu: circuit.KindGeneralFunction,
		NameSkip: circuit.KindAdd, NameLast: circuit.KindAdd,
	} {
		n, err := match.GetUnique(c, match.Name(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n.Kind() != kind {
			t.Errorf("%s is a %v, want %v", name, n.Kind(), kind)
		}
	}
	// x feeds both skip (directly) and first (through its matmul)
	for _, m := range []string{MatchSkipInput, MatchFirstInput} {
		im, err := match.ParseMatcher(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := match.Get(c, im)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Name() != NameX {
			t.Errorf("%s finds %d nodes, want the input x", m, len(got))
		}
	}
	// the model is a pure function of its weights: building twice gives one hash
	if !circuit.Equal(c, mustBuild(t, newToy(1).stateDict(t), 3)) {
		t.Error("two builds of the same weights differ")
	}
}

func TestBuildModelErrors(t *testing.T) {
	good := newToy(1).stateDict(t)
	cases := map[string]func(sd map[string]*tensor.Tensor){
		`no "last.bias"`: func(sd map[string]*tensor.Tensor) { delete(sd, "last.bias") },
		`"first.weight" has shape [784 10]`: func(sd map[string]*tensor.Tensor) {
			sd["first.weight"], _ = tensor.Zeros(tensor.Float32, []int{784, 10})
		},
		`"first.bias" has dtype int64`: func(sd map[string]*tensor.Tensor) {
			sd["first.bias"], _ = tensor.FromInt64([]int{784}, make([]int64, 784))
		},
	}
	for want, edit := range cases {
		sd := map[string]*tensor.Tensor{}
		for k, v := range good {
			sd[k] = v
		}
		edit(sd)
		_, err := BuildModel(sd, 2)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one containing %s", err, want)
		}
	}
	if _, err := BuildModel(good, 0); err == nil {
		t.Error("batch 0 accepted")
	}
	if _, err := LoadModel(t.TempDir()+"/missing.pickle", 2); err == nil {
		t.Error("missing file accepted")
	}
}

// The printed model parses back to the same circuit when its weights are in
// a tensor store.
func TestModelTextRoundTrip(t *testing.T) {
	c := mustBuild(t, newToy(3).stateDict(t), 4)
	st, err := weights.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveArrays(st, c); err != nil {
		t.Fatal(err)
	}
	text := ModelText(c)
	for _, want := range []string{"'last' Add", "'skip' Add", "'relu' GeneralFunction relu", "'first' Add", "'x' [4,784] Symbol " + InputUUID} {
		if !strings.Contains(text, want) {
			t.Errorf("printed model lacks %q:\n%s", want, text)
		}
	}
	back, err := circuit.ParseCircuits(text, circuit.ParseOptions{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 1 || !circuit.Equal(back[0], c) {
		t.Fatalf("parse(print(model)) differs from the model:\n%s", text)
	}
}
