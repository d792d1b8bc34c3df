package match

import (
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
)

// Fixture dag: h = Add(g, x); g = Add(f, y); f = relu(x).
// Pre-order walk: h g f x y x.

func TestChains(t *testing.T) {
	d := dag(t)
	add := Kind(circuit.KindAdd)
	cases := []struct {
		m    IterativeMatcher
		want []string
	}{
		// x in g's subtree (through f).
		{Chain(Name("g"), Name("x")), []string{"x"}},
		// Chain is inclusive: the node found by the first link is tested too.
		{Chain(Name("g"), add), []string{"g"}},
		{ChainStrict(Name("g"), add), nil},
		{Chain(add, add), []string{"h", "g"}},
		{ChainStrict(add, add), []string{"g"}},
		{ChainStrict(add, add, add), nil},
		{Chain(Name("h"), Name("g"), Name("f"), Name("x")), []string{"x"}},
		{Chain(Name("f"), Name("y")), nil},
		{Chain(Name("h")), []string{"h"}},
		// Direct children versus anywhere below.
		{Chain(Name("h"), DirectChild(Name("x"))), []string{"x"}},
		{Chain(Name("g"), DirectChild(Name("x"))), nil},
		{Chain(Name("g"), Below(Name("x"))), []string{"x"}},
		{Chain(Name("g"), DirectChild(Kind(circuit.KindArray))), []string{"y"}},
		{Chain(Name("h"), DirectChild(Name("g")), DirectChild(Name("f"))), []string{"f"}},
		{Chain(Name("h"), DirectChild(Name("f"))), nil},
		{IterAny(Chain(Name("g"), DirectChild(Kind(circuit.KindArray))), Name("f")), []string{"f", "y"}},
		{IterAny(), nil},
	}
	for _, c := range cases {
		wantNames(t, c.m.String(), get(t, d.h, c.m), c.want...)
	}
}

func TestRestrictDepth(t *testing.T) {
	d := dag(t)
	win := func(s, e int) IterativeMatcher {
		return Restrict(True(), RestrictOptions{StartDepth: s, EndDepth: e})
	}
	cases := []struct {
		m    IterativeMatcher
		want []string
	}{
		{win(0, 1), []string{"h"}},
		{win(1, 2), []string{"g", "x"}},
		{win(2, 3), []string{"f", "y"}},
		// x is at depth 1 (h > x) and depth 3 (h > g > f > x): depth is per path.
		{win(3, 0), []string{"x"}},
		{win(2, 0), []string{"f", "x", "y"}},
		{win(0, 0), []string{"h", "g", "f", "x", "y"}},
		{win(2, 2), nil},
		{win(3, 1), nil},
		{win(-5, -1), []string{"h", "g", "f", "x", "y"}},
		{Restrict(Name("x"), RestrictOptions{EndDepth: 2}), []string{"x"}},
		{Restrict(Name("f"), RestrictOptions{EndDepth: 2}), nil},
		{Restrict(nil, RestrictOptions{}), nil},
	}
	for _, c := range cases {
		wantNames(t, c.m.String(), get(t, d.h, c.m), c.want...)
	}
	// The depth is reported along the path where the node is found.
	ps := must(GetPaths(d.h, win(3, 0)))
	if got := pathNames(ps); len(got) != 1 || !slices.Equal(got[0], []string{"h", "g", "f", "x"}) {
		t.Errorf("paths %q", got)
	}
}

func TestTerm(t *testing.T) {
	d := dag(t)
	cases := []struct {
		m    IterativeMatcher
		want []string
	}{
		// g itself is found, nothing below g is walked; x is still found under h.
		{Term(True(), Name("g")), []string{"h", "g", "x"}},
		{Term(Name("f"), Name("g")), nil},
		{Term(Name("x"), Name("f")), []string{"x"}},
		{Term(Name("y"), Name("h")), nil},
		{TermIfMatches(Kind(circuit.KindAdd)), []string{"h"}},
		{TermIfMatches(Name("g", "f")), []string{"g"}},
		{TermIfMatches(Name("f", "y", "x")), []string{"f", "y", "x"}},
		{Restrict(True(), RestrictOptions{StartDepth: 1, TermIfMatches: true}), []string{"g", "x"}},
		{Restrict(Name("x"), RestrictOptions{StartDepth: 2, TermEarlyAt: Name("f")}), nil},
		{Restrict(Name("x", "y"), RestrictOptions{StartDepth: 2, TermEarlyAt: Name("f")}), []string{"y"}},
	}
	for _, c := range cases {
		wantNames(t, c.m.String(), get(t, d.h, c.m), c.want...)
	}
}

func TestChildren(t *testing.T) {
	d := dag(t)
	cases := []struct {
		m    IterativeMatcher
		want []string
	}{
		{Children(Name("h"), 1), []string{"x"}},
		{Children(Name("h"), 0), []string{"g"}},
		{Children(Name("h"), 0, 1), []string{"g", "x"}},
		{Children(Name("h")), nil},
		// Nested matches keep giving children: h's child 0 is g, g's is f.
		{Children(Kind(circuit.KindAdd), 0), []string{"g", "f"}},
		{Children(Kind(circuit.KindAdd), 1), []string{"y", "x"}},
		// The x feeding h's first operand (g), versus its second (x itself).
		{Chain(Children(Name("h"), 0), Name("x")), []string{"x"}},
		{Chain(Children(Name("h"), 0), Kind(circuit.KindArray)), []string{"x", "y"}},
		{Chain(Children(Name("g"), 1), Kind(circuit.KindArray)), []string{"y"}},
		{Chain(Children(Name("h"), 1), Name("g")), nil},
		{Chain(Name("g"), Children(Name("f"), 0)), []string{"x"}},
		{Children(nil, 0), nil},
	}
	for _, c := range cases {
		wantNames(t, c.m.String(), get(t, d.h, c.m), c.want...)
	}
	_, err := Get(d.h, Children(Name("f"), 1))
	if err == nil || !strings.Contains(err.Error(), `child 1 of "f" (GeneralFunction) does not exist (it has 1 children)`) {
		t.Errorf("err = %v", err)
	}
	_, err = Get(d.h, Children(Name("g"), -1))
	if err == nil || !strings.Contains(err.Error(), "child -1") {
		t.Errorf("err = %v", err)
	}
}

// A Children matcher under a per-child continuation: the path language is
// compositional.
func TestChildrenPathSensitive(t *testing.T) {
	d := dag(t)
	// x reached through h's child 1 is found; through h's child 0 (g) it is not.
	m := Chain(Children(Name("h"), 1), Name("x"))
	ps := must(GetAllPaths(d.h, m))
	if got := pathNames(ps); len(got) != 1 || !slices.Equal(got[0], []string{"h", "x"}) {
		t.Errorf("paths %q", got)
	}
}

// Restrict and Chain carry per-child continuations of a Children matcher.
func TestPerChildThroughCombinators(t *testing.T) {
	d := dag(t)
	cases := []struct {
		m    IterativeMatcher
		want []string
	}{
		{Restrict(Children(Name("h"), 1), RestrictOptions{EndDepth: 2}), []string{"x"}},
		{Restrict(Children(Name("g"), 1), RestrictOptions{EndDepth: 2}), nil},
		{Restrict(Children(Name("g"), 1), RestrictOptions{EndDepth: 3}), []string{"y"}},
		{Restrict(Children(Kind(circuit.KindAdd), 0), RestrictOptions{StartDepth: 2}), []string{"f"}},
		{TermIfMatches(Children(Name("h"), 0, 1)), []string{"g", "x"}},
		{Chain(Children(Name("h"), 0), Children(Name("f"), 0)), []string{"x"}},
		{IterAny(Children(Name("h"), 1), Children(Name("g"), 1)), []string{"y", "x"}},
	}
	for _, c := range cases {
		wantNames(t, c.m.String(), get(t, d.h, c.m), c.want...)
	}
	if s := foundHere.String(foundHere{}); s != "Term" {
		t.Errorf("%s", s)
	}
	if _, err := GetAllPaths(d.h, Children(Name("x"), 0)); err == nil {
		t.Errorf("GetAllPaths: no error for a missing child")
	}
	if _, err := GetAllPaths(nil, Name("x")); err == nil {
		t.Errorf("GetAllPaths: nil root accepted")
	}
	if _, err := GetPaths(d.h, Children(Name("x"), 0)); err == nil {
		t.Errorf("GetPaths: no error for a missing child")
	}
	if got := get(t, d.h, Not(nil)); len(got) != 5 {
		t.Errorf("Not(nil) found %d nodes, want all 5", len(got))
	}
}
