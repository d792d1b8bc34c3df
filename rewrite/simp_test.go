package rewrite

import (
	"errors"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"pgregory.net/rapid"
)

func TestSimpProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		c := g.circuit(g.shape(0, 3, 3), 4)
		res, err := Simp(c, SimpOptions{})
		if err != nil {
			rt.Fatalf("%v", err)
		}
		if res.Stop != FixedPoint {
			rt.Fatalf("%s on %s", res, show(c))
		}
		sameValue(rt, c, res.Circuit)
		// a fixed point: one more run changes nothing
		again, err := Simp(res.Circuit, SimpOptions{})
		if err != nil || again.Applications != 0 || !circuit.Equal(again.Circuit, res.Circuit) {
			rt.Fatalf("not a fixed point: %v %v", again, err)
		}
		if res.Applications != sumCounts(res.Fired) {
			rt.Fatalf("fired counts %v do not add up to %d", res.Fired, res.Applications)
		}
	})
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func TestSimpFixedPointString(t *testing.T) {
	x, y := rnd(t, "x", 1, 3), rnd(t, "y", 2, 3)
	zero := must(circuit.NewScalar(0, nil, ""))
	inner := must(circuit.NewAdd("", x, zero, y))
	// (x + 0 + y) + x, scaled by 2 then by 1/2, under two transposes
	sum := must(circuit.NewAdd("", inner, x))
	m := must(circuit.ScalarMul("", must(circuit.ScalarMul("", sum, 2)), 0.5))
	idx := must(circuit.NewIndex("", []circuit.AxisIndex{circuit.All()}, m))
	res, err := Simp(idx, SimpOptions{Include: AggressiveSimpRuleNames()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != FixedPoint {
		t.Fatalf("stop %s", res.Stop)
	}
	if got, want := show(res.Circuit), "(+ (einsum a,->a x 2) y)"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	sameValue(t, idx, res.Circuit)
	for _, r := range []string{"add_flatten", "add_elim_zeros", "add_deduplicate", "einsum_flatten", "einsum_merge_scalars", "einsum_elim_identity", "index_elim_identity"} {
		if res.Fired[r] == 0 {
			t.Errorf("rule %s did not fire: %v", r, res.Fired)
		}
	}
	if !strings.Contains(res.String(), "fixed point") {
		t.Errorf("report %q", res.String())
	}
	// excluding a rule leaves its work undone
	res2, err := Simp(idx, SimpOptions{Include: AggressiveSimpRuleNames(), Exclude: []string{"add_deduplicate", "add_fuse_scalar_multiples"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := show(res2.Circuit), "(+ x y x)"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// including only some rules
	res3, err := Simp(idx, SimpOptions{Include: []string{"index_elim_identity"}})
	if err != nil || res3.Applications != 1 || res3.Iterations != 2 {
		t.Fatalf("include: %v %v", res3, err)
	}
	if _, err := Simp(idx, SimpOptions{Include: []string{"no_such_rule"}}); err == nil {
		t.Fatal("unknown rule must be an error")
	}
	if _, err := Simp(idx, SimpOptions{Exclude: []string{"no_such_rule"}}); err == nil {
		t.Fatal("unknown excluded rule must be an error")
	}
}

// renameRule renames a node called from to to: two of them undo each other.
func renameRule(from, to string) Rule {
	return Rule{Name: from + "_to_" + to, Doc: "test", Fn: func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		if c.Kind() == circuit.KindArray || c.Name() != from {
			return nil, false, nil
		}
		return c.Rename(to), true, nil
	}}
}

func TestSimpCycle(t *testing.T) {
	x := rnd(t, "x", 1, 3)
	f := must(circuit.NewGeneralFunction("p", "relu", x))
	res, err := Simp(f, SimpOptions{Rules: []Rule{renameRule("p", "q"), renameRule("q", "p")}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != Cycle || res.Iterations != 1 || res.Applications != 2 {
		t.Fatalf("want a cycle after 1 pass and 2 rewrites, got %s", res)
	}
	// a longer cycle across passes: p -> q in one pass, q -> p in the next
	g := must(circuit.NewGeneralFunction("p", "relu", x))
	res, err = Simp(g, SimpOptions{Rules: []Rule{renameRule("q", "p"), renameRule("p", "q")}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != Cycle || res.Iterations != 2 {
		t.Fatalf("want a cycle after 2 passes, got %s", res)
	}
	// Apply reports the same as an error, with the last circuit
	last, n, err := ApplyRules(f, []Rule{renameRule("p", "q"), renameRule("q", "p")}, nil)
	var se *StopError
	if !errors.As(err, &se) || se.Reason != Cycle || n != 2 || last == nil {
		t.Fatalf("apply: %v %d %v", last, n, err)
	}
	// rules that apply nowhere reach a fixed point at once
	r, n, err := Apply(f, []string{"rearrange_fuse"}, nil)
	if err != nil || n != 0 || !circuit.Equal(r, f) {
		t.Fatalf("no-op apply: %d %v", n, err)
	}
}

func TestSimpIterationLimit(t *testing.T) {
	grow := Rule{Name: "scalar_grow", Doc: "test", Fn: func(c circuit.Circuit) (circuit.Circuit, bool, error) {
		s, isScalar := c.(*circuit.Scalar)
		if !isScalar {
			return nil, false, nil
		}
		r, err := circuit.NewScalar(s.Value+1, s.Shape(), "")
		return r, err == nil, err
	}}
	s := must(circuit.NewScalar(0, []int{2}, ""))
	res, err := Simp(s, SimpOptions{Rules: []Rule{grow}, MaxIterations: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != IterationLimit || res.Iterations != 5 || res.Circuit.(*circuit.Scalar).Value != 5 {
		t.Fatalf("got %s with %s", res, show(res.Circuit))
	}
	// Apply stops at DefaultMaxIterations and says so
	last, n, err := ApplyRules(s, []Rule{grow}, nil)
	var se *StopError
	if !errors.As(err, &se) || se.Reason != IterationLimit || se.Iterations != DefaultMaxIterations ||
		n != DefaultMaxIterations || last.(*circuit.Scalar).Value != DefaultMaxIterations {
		t.Fatalf("apply: %v %d %v", show(last), n, err)
	}
	if !strings.Contains(se.Error(), "limit reached after 100 passes") {
		t.Fatalf("message %q", se.Error())
	}
}

func TestRulesTable(t *testing.T) {
	if len(RuleNames()) != len(rules) {
		t.Fatal("duplicate rule names")
	}
	for _, r := range rules {
		if r.Fn == nil || r.Doc == "" || strings.Contains(r.Doc, "\n") {
			t.Errorf("rule %s: missing function or one-line doc", r.Name)
		}
		got, ok := Lookup(r.Name)
		if !ok || got.Name != r.Name {
			t.Errorf("lookup %s", r.Name)
		}
		// every rule declines a leaf it has nothing to do with
		x := rnd(t, "x", 1, 2)
		if _, applied, err := r.Fn(x); applied || err != nil {
			t.Errorf("rule %s applied to a bare Array (%v)", r.Name, err)
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("lookup of an unknown rule")
	}
	for _, want := range []string{"add_flatten", "einsum_flatten", "distribute_once", "push_down_index", "deep_canonicalize", "residual_unused"} {
		_, ok := Lookup(want)
		if ok != (want != "residual_unused") {
			t.Errorf("lookup %s = %v", want, ok)
		}
	}
}

// Tags, given names and Scatters are opaque to the simplifier's rules; it
// must still reach a fixed point around them without changing the value.
func TestSimpAroundOpaqueNodesProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := newGen(rt)
		s := g.shape(1, 3, 3)
		c := g.decorate(g.circuit(s, 3))
		big := append([]int(nil), s...)
		big[0] += g.intn(0, 2, "pad")
		sc := must(circuit.NewScatter("", []circuit.AxisIndex{circuit.Slice(0, s[0])}, big, c))
		root := must(circuit.NewAdd("", sc, must(circuit.NewAdd("", sc, g.scalar(0, nil)))))
		res, err := Simp(root, SimpOptions{})
		if err != nil {
			rt.Fatalf("%v", err)
		}
		if res.Stop != FixedPoint {
			rt.Fatalf("%s", res)
		}
		sameValue(rt, root, res.Circuit)
	})
}
