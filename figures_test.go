package circopt_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/lower"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/passes"
	"github.com/circopt/circopt/rewrite"
	"github.com/circopt/circopt/tensor"
)

// residualMLP is a 4-layer residual MLP: h_{k+1} = h_k + relu(W_k h_k + b_k),
// with layer k's sum named "res<k>" and its linear map "lin<k>".
func residualMLP(t testing.TB, x circuit.Circuit, suffix string) circuit.Circuit {
	h := x
	for k := 0; k < 4; k++ {
		w, _ := circuit.RandArray([]int{16, 16}, uint64(10+k), tensor.Float64, fmt.Sprintf("w%d", k))
		b, _ := circuit.RandArray([]int{16}, uint64(20+k), tensor.Float64, fmt.Sprintf("b%d", k))
		lin, err := circuit.Linear(fmt.Sprintf("lin%d%s", k, suffix), h, w, b)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := circuit.NewGeneralFunction(fmt.Sprintf("relu%d%s", k, suffix), "relu", lin)
		s, err := circuit.NewAdd(fmt.Sprintf("res%d", k), h, r)
		if err != nil {
			t.Fatal(err)
		}
		h = s
	}
	return h
}

// pathPatchVariants makes 64 path-patching variants: for each of the 4
// residual adds and 16 patch inputs, the residual stream entering that add
// (its first child) is replaced by a patch array, only along that path. Each
// variant's model is built afresh with its own node names, as a sweep script
// labelling its variants would, so sharing is found by structure (CSE), not
// by the circuits' hashes.
func pathPatchVariants(t testing.TB) []circuit.Circuit {
	x, err := circuit.NewSymbol([]int{8, 16}, "", "x")
	if err != nil {
		t.Fatal(err)
	}
	var out []circuit.Circuit
	for k := 0; k < 4; k++ {
		for p := 0; p < 16; p++ {
			root := residualMLP(t, x, fmt.Sprintf("_v%d_%d", k, p))
			patch, _ := circuit.RandArray([]int{8, 16}, uint64(100+p), tensor.Float64, fmt.Sprintf("patch%d", p))
			m := match.Children(match.Name(fmt.Sprintf("res%d", k)), 0)
			v, err := match.Update(root, m, func(c circuit.Circuit) (circuit.Circuit, error) {
				if !slices.Equal(c.Shape(), patch.Shape()) {
					return nil, fmt.Errorf("shape")
				}
				return patch, nil
			}, match.UpdateOptions{ErrorIfNothingMatched: true})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v.Rename(fmt.Sprintf("variant_%d_%d", k, p)))
		}
	}
	return out
}

// TestCSEPathPatchVariants is the figure: 64 path-patching variants of one
// 4-layer MLP lowered together have at most 1.1x the IR values of the union
// of their distinct subtrees (counted by structure, names ignored).
func TestCSEPathPatchVariants(t *testing.T) {
	vs := pathPatchVariants(t)
	distinct := map[circuit.Hash]bool{}
	for _, v := range vs {
		s, err := rewrite.StripNamesAndTags(v)
		if err != nil {
			t.Fatal(err)
		}
		circuit.Walk([]circuit.Circuit{s}, func(c circuit.Circuit) { distinct[c.Hash()] = true })
	}
	prog, err := lower.Lower(vs, lower.Options{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	// cse alone (the other optional passes off), then the whole pipeline
	var off []string
	for _, p := range passes.Passes() {
		if !p.Required && p.Name != "cse" {
			off = append(off, p.Name)
		}
	}
	cseOnly, _, err := passes.Run(prog, passes.Options{Check: true, Disable: off})
	if err != nil {
		t.Fatal(err)
	}
	opt, _, err := passes.Run(prog, passes.Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	ratio := float64(len(cseOnly.Values)) / float64(len(distinct))
	t.Logf("64 variants: %d distinct subtrees; %d IR values lowered, %d after cse (%.3fx), %d after all passes",
		len(distinct), len(prog.Values), len(cseOnly.Values), ratio, len(opt.Values))
	if ratio > 1.1 {
		t.Errorf("%d IR values after cse for %d distinct subtrees: %.2fx > 1.1x", len(cseOnly.Values), len(distinct), ratio)
	}
	if len(opt.Values) > len(cseOnly.Values) {
		t.Errorf("the full pipeline left more values (%d) than cse alone (%d)", len(opt.Values), len(cseOnly.Values))
	}
}

// chainCircuit is a 10,000-node circuit: a chain of adds and relus over a
// few shared arrays.
func chainCircuit(t testing.TB, n int) circuit.Circuit {
	x, _ := circuit.RandArray([]int{4, 8}, 1, tensor.Float32, "x")
	w, _ := circuit.RandArray([]int{8, 8}, 2, tensor.Float32, "w")
	h := circuit.Circuit(x)
	for i := 0; i < n-2; i++ { // each step adds one node to x and w
		var err error
		switch i % 3 {
		case 0:
			h, err = circuit.NewEinsumSpec("", "ab,bc->ac", h, w)
		case 1:
			h, err = circuit.NewGeneralFunction("", "tanh", h)
		default:
			h, err = circuit.NewAdd("", h, x)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// TestCompile10kNodes: a 10,000-node chain compiles, and its plan computes
// what the reference evaluator does. The time is BenchmarkCompile10k's
// figure, not asserted here (a loaded machine must not fail the suite).
func TestCompile10kNodes(t *testing.T) {
	c := chainCircuit(t, 10000)
	if n := circuit.CountNodes(c); n < 10000 {
		t.Fatalf("chain has %d nodes, want at least 10,000", n)
	}
	plan, err := circopt.Compile([]circuit.Circuit{c}, circopt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := plan.Run(nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := circuit.EvaluateAll([]circuit.Circuit{c}, circuit.EvalOptions{DType: tensor.Float32})
	if err != nil {
		t.Fatal(err)
	}
	g, w := got[0].Float64s(), want[0].Float64s()
	if !slices.Equal(got[0].Shape(), want[0].Shape()) {
		t.Fatalf("compiled shape %v, reference %v", got[0].Shape(), want[0].Shape())
	}
	for i := range w {
		if math.Abs(g[i]-w[i]) > 1e-4*(1+math.Abs(w[i])) {
			t.Fatalf("element %d: compiled %v, reference %v", i, g[i], w[i])
		}
	}
}

func BenchmarkCompile10k(b *testing.B) {
	c := chainCircuit(b, 10000)
	for b.Loop() {
		if _, err := circopt.Compile([]circuit.Circuit{c}, circopt.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
