package match

import (
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
)

func TestGetUnique(t *testing.T) {
	d := dag(t)
	got, err := GetUnique(d.h, Name("f"))
	if err != nil || got != d.f {
		t.Fatalf("GetUnique f = %v, %v", got, err)
	}
	_, err = GetUnique(d.h, Name("nope"))
	if err == nil || err.Error() != `match: GetUnique: "nope" found nothing in "h" (Add)` {
		t.Errorf("err = %v", err)
	}
	_, err = GetUnique(d.h, Kind(circuit.KindArray))
	if err == nil || err.Error() != `match: GetUnique: Array found 2 nodes in "h" (Add), want 1: "x" (Array), "y" (Array)` {
		t.Errorf("err = %v", err)
	}
	if _, err := GetUnique(nil, Name("x")); err == nil {
		t.Error("nil root accepted")
	}
	if _, err := Get(d.h, nil); err == nil {
		t.Error("nil matcher accepted")
	}
}

func TestGetPaths(t *testing.T) {
	d := dag(t)
	ps := must(GetPaths(d.h, Kind(circuit.KindArray)))
	want := [][]string{{"h", "g", "f", "x"}, {"h", "g", "y"}}
	if got := pathNames(ps); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("GetPaths = %q, want %q", got, want)
	}
	// GetPaths' endpoints are Get's nodes in the same order.
	nodes := get(t, d.h, Kind(circuit.KindArray))
	for i, p := range ps {
		if p[0] != d.h || p[len(p)-1] != nodes[i] {
			t.Errorf("path %d does not run from root to node %d", i, i)
		}
	}
	// The path follows the matching route: the x child of h directly.
	ps = must(GetPaths(d.h, parse(t, `'h' > 'x'`)))
	if got := pathNames(ps); !slices.EqualFunc(got, [][]string{{"h", "x"}}, slices.Equal) {
		t.Errorf("GetPaths('h' > 'x') = %q", got)
	}
}

func TestGetAllPaths(t *testing.T) {
	d := dag(t)
	ps := must(GetAllPaths(d.h, Name("x")))
	want := [][]string{{"h", "g", "f", "x"}, {"h", "x"}}
	if got := pathNames(ps); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("GetAllPaths = %q, want %q", got, want)
	}
	ps = must(GetAllPaths(d.h, Kind(circuit.KindAdd)))
	want = [][]string{{"h"}, {"h", "g"}}
	if got := pathNames(ps); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("GetAllPaths(Add) = %q, want %q", got, want)
	}
	// A doubling chain: 2^k paths to the leaf.
	c := arr(t, "leaf", 3, 2)
	for i := 0; i < 6; i++ {
		c = must(circuit.NewAdd("n"+string(rune('0'+i)), c, c))
	}
	ps = must(GetAllPaths(c, Name("leaf")))
	if len(ps) != 64 {
		t.Errorf("%d paths, want 64", len(ps))
	}
	if n := len(get(t, c, Name("leaf"))); n != 1 {
		t.Errorf("Get found %d leaves, want 1", n)
	}
}

func TestAnyFound(t *testing.T) {
	d := dag(t)
	for _, c := range []struct {
		m    string
		want bool
	}{
		{`'x'`, true}, {`'nope'`, false}, {`'g' > 'x'`, false}, {`'g' >> 'x'`, true}, {`Scalar`, false},
	} {
		got, err := AnyFound(d.h, parse(t, c.m))
		if err != nil || got != c.want {
			t.Errorf("AnyFound(%s) = %v, %v", c.m, got, err)
		}
	}
	_, err := AnyFound(d.h, Children(Name("x"), 0))
	if err == nil || !strings.Contains(err.Error(), "child 0") {
		t.Errorf("err = %v", err)
	}
}
