package match

import (
	"slices"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// must unwraps a constructor result; a test fixture that fails to build is
// a bug in the test, so it panics (failing the test with the message).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func arr(t testing.TB, name string, seed uint64, shape ...int) circuit.Circuit {
	t.Helper()
	return must(circuit.RandArray(shape, seed, tensor.Float64, name))
}

func names(cs []circuit.Circuit) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name()
	}
	return out
}

func pathNames(ps [][]circuit.Circuit) [][]string {
	out := make([][]string, len(ps))
	for i, p := range ps {
		out[i] = names(p)
	}
	return out
}

func wantNames(t testing.TB, what string, got []circuit.Circuit, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if g := names(got); !slices.Equal(g, want) {
		t.Errorf("%s: got %q, want %q", what, g, want)
	}
}

// flat is the first fixture:
//
//	root = Add(r, a, s); r = relu(m); m = a*b (Einsum); s = Scalar
//
// Pre-order: root r m a b s.
type flatFixture struct {
	a, b, s, m, r, root circuit.Circuit
}

func flat(t testing.TB) flatFixture {
	var f flatFixture
	f.a = arr(t, "a", 1, 2)
	f.b = arr(t, "b", 2, 2)
	f.s = must(circuit.NewScalar(2, []int{2}, "s"))
	f.m = must(circuit.Mul("m", f.a, f.b))
	f.r = must(circuit.NewGeneralFunction("r", "relu", f.m))
	f.root = must(circuit.NewAdd("root", f.r, f.a, f.s))
	return f
}

// dag is the second fixture, with x reachable two ways from h:
//
//	h = Add(g, x)      depth 0
//	g = Add(f, y)      depth 1 (x also at depth 1 under h)
//	f = relu(x)        depth 2 (y also at depth 2)
//	x                  depth 3 under f
type dagFixture struct {
	x, y, f, g, h circuit.Circuit
}

func dag(t testing.TB) dagFixture {
	var d dagFixture
	d.x = arr(t, "x", 11, 3)
	d.y = arr(t, "y", 12, 3)
	d.f = must(circuit.NewGeneralFunction("f", "relu", d.x))
	d.g = must(circuit.NewAdd("g", d.f, d.y))
	d.h = must(circuit.NewAdd("h", d.g, d.x))
	return d
}

func get(t testing.TB, root circuit.Circuit, m IterativeMatcher) []circuit.Circuit {
	t.Helper()
	return must(Get(root, m))
}

func parse(t testing.TB, s string) IterativeMatcher {
	t.Helper()
	return must(ParseMatcher(s))
}
