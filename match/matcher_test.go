package match

import (
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
)

func TestMatchers(t *testing.T) {
	f := flat(t)
	re := func(p string) Matcher { return must(Regex(p)) }
	cases := []struct {
		m    Matcher
		want []string
	}{
		{Name("a"), []string{"a"}},
		{Name("b", "s", "nope"), []string{"b", "s"}},
		{Name(), nil},
		{Kind(circuit.KindEinsum), []string{"m"}},
		{Kind(circuit.KindArray, circuit.KindScalar), []string{"a", "b", "s"}},
		{Kind(circuit.KindAdd, circuit.KindGeneralFunction), []string{"root", "r"}},
		{re(`^r`), []string{"root", "r"}},
		{re(`^r$`), []string{"r"}},
		{re(`o`), []string{"root"}},
		{Pred("rank1", func(c circuit.Circuit) bool { return c.Rank() == 1 && c.Kind() != circuit.KindArray }), []string{"root", "r", "m", "s"}},
		{Pred("nil", nil), nil},
		{Exact(f.m, f.s), []string{"m", "s"}},
		{Exact(f.m.Rename("other")), nil},
		{Any(Name("a"), Kind(circuit.KindEinsum)), []string{"m", "a"}},
		{Any(), nil},
		{All(Kind(circuit.KindArray), Not(Name("a"))), []string{"b"}},
		{All(), []string{"root", "r", "m", "a", "b", "s"}},
		{Not(Kind(circuit.KindArray)), []string{"root", "r", "m", "s"}},
		{True(), []string{"root", "r", "m", "a", "b", "s"}},
		{False(), nil},
	}
	for _, c := range cases {
		wantNames(t, c.m.String(), get(t, f.root, c.m), c.want...)
		// Match agrees with Get on every node.
		circuit.Walk([]circuit.Circuit{f.root}, func(n circuit.Circuit) {
			in := false
			for _, w := range c.want {
				in = in || w == n.Name()
			}
			if c.m.Match(n) != in {
				t.Errorf("%s.Match(%s) = %v", c.m, n.Name(), !in)
			}
		})
	}
}

func TestMatcherStrings(t *testing.T) {
	f := flat(t)
	re := must(Regex(`^a0\.`))
	cases := []struct {
		m    IterativeMatcher
		want string
	}{
		{Name("a"), `"a"`},
		{Name("b", "a", "b"), `{"a", "b"}`},
		{Name(), `{}`},
		{Name(`it's "q"`), `"it's \"q\""`},
		{Kind(circuit.KindEinsum), `Einsum`},
		{Kind(circuit.KindScalar, circuit.KindEinsum), `{Einsum, Scalar}`},
		{re, `re-escdot'^a0\.'`},
		{must(Regex(`a/b`)), `re-escdot'a/b'`},
		{Not(Name("x")), `Not "x"`},
		{Any(Name("a"), Kind(circuit.KindAdd)), `Any("a", Add)`},
		{All(Name("a"), Not(re)), `All("a", Not re-escdot'^a0\.')`},
		{True(), `Always`},
		{False(), `Never`},
		{Pred("big", nil), `Pred(big)`},
		{Exact(f.a), `'a' Array ` + f.a.Hash().String()[:6]},
		{Exact(f.a, must(circuit.NewScalar(1, nil, ""))), `{'a' Array ` + f.a.Hash().String()[:6] + `, None Scalar ` + must(circuit.NewScalar(1, nil, "")).Hash().String()[:6] + `}`},
		{Chain(Name("skip"), Name("x")), `["skip" -> "x"]`},
		{ChainStrict(Name("skip"), Name("x")), `ChainStrict["skip" -> "x"]`},
		{Chain(Name("skip"), DirectChild(Name("x"))), `["skip" -> Restrict{depth_range: 1:2, matcher: "x"}]`},
		{Below(Name("x")), `Restrict{depth_range: 1:, matcher: "x"}`},
		{Restrict(Name("x"), RestrictOptions{StartDepth: 2, EndDepth: 4, TermIfMatches: true}), `Restrict{depth_range: 2:4, matcher: "x", term_if_matches: true}`},
		{Term(Name("x"), Kind(circuit.KindEinsum)), `Restrict{matcher: "x", term_at: Einsum}`},
		{TermIfMatches(Name("x")), `Restrict{matcher: "x", term_if_matches: true}`},
		{Children(Name("skip"), 1, 0, 1), `Children("skip", [0,1])`},
		{IterAny(Name("a"), Chain(Name("b"), Name("c"))), `Any("a", ["b" -> "c"])`},
	}
	for _, c := range cases {
		if got := c.m.String(); got != c.want && !(strings.HasPrefix(c.want, "Any(\"a\"") && got == `Any(["b" -> "c"], "a")`) {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
}

func TestRegexError(t *testing.T) {
	_, err := Regex(`a(`)
	if err == nil || !strings.Contains(err.Error(), "/a(/") {
		t.Fatalf("err = %v", err)
	}
}
