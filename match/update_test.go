package match

import (
	"errors"
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

func replaceWith(n circuit.Circuit) Transform {
	return func(circuit.Circuit) (circuit.Circuit, error) { return n, nil }
}

func TestUpdateEverywhere(t *testing.T) {
	d := dag(t)
	x2 := arr(t, "x", 99, 3)
	got := must(Update(d.h, Name("x"), replaceWith(x2), UpdateOptions{}))
	f2 := must(circuit.NewGeneralFunction("f", "relu", x2))
	g2 := must(circuit.NewAdd("g", f2, d.y))
	want := must(circuit.NewAdd("h", g2, x2))
	if !circuit.Equal(got, want) {
		t.Errorf("Update('x') differs from the hand-built circuit")
	}
	// Nothing matched: the same circuit comes back.
	same := must(Update(d.h, Name("nope"), replaceWith(x2), UpdateOptions{}))
	if same != d.h {
		t.Errorf("unmatched Update rebuilt the circuit")
	}
}

func TestUpdatePathPatching(t *testing.T) {
	d := dag(t)
	x2 := arr(t, "x", 99, 3)
	// Only the x that feeds h directly.
	got := must(Update(d.h, parse(t, `'h' > 'x'`), replaceWith(x2), UpdateOptions{}))
	want := must(circuit.NewAdd("h", d.g, x2))
	if !circuit.Equal(got, want) {
		t.Errorf("'h' > 'x': wrong circuit")
	}
	// Only the x below g (through f); the direct x of h is kept.
	got = must(Update(d.h, parse(t, `'g' >> 'x'`), replaceWith(x2), UpdateOptions{}))
	f2 := must(circuit.NewGeneralFunction("f", "relu", x2))
	g2 := must(circuit.NewAdd("g", f2, d.y))
	want = must(circuit.NewAdd("h", g2, d.x))
	if !circuit.Equal(got, want) {
		t.Errorf("'g' >> 'x': wrong circuit")
	}
	// Children: h's second operand only.
	got = must(Update(d.h, Children(Name("h"), 1), replaceWith(x2), UpdateOptions{}))
	if !circuit.Equal(got, must(circuit.NewAdd("h", d.g, x2))) {
		t.Errorf("Children(h, 1): wrong circuit")
	}
}

func TestUpdatePostOrder(t *testing.T) {
	d := dag(t)
	x2 := arr(t, "x", 99, 3)
	var seen []circuit.Circuit
	tr := func(c circuit.Circuit) (circuit.Circuit, error) {
		seen = append(seen, c)
		if c.Name() == "x" {
			return x2, nil
		}
		return c.Rename(c.Name() + "'"), nil
	}
	got := must(Update(d.h, Name("x", "f"), tr, UpdateOptions{}))
	// x is transformed first; f receives relu(x2), not relu(x).
	if len(seen) != 2 || seen[0] != d.x || seen[1].Name() != "f" || seen[1].Children()[0] != x2 {
		t.Fatalf("transform inputs %q", names(seen))
	}
	f2 := must(circuit.NewGeneralFunction("f'", "relu", x2))
	want := must(circuit.NewAdd("h", must(circuit.NewAdd("g", f2, d.y)), x2))
	if !circuit.Equal(got, want) {
		t.Errorf("wrong circuit")
	}
}

// A subtree shared by two parents is transformed exactly once, whether it is
// reached in one state or in two.
func TestUpdateCaching(t *testing.T) {
	x := arr(t, "x", 1, 4)
	y := arr(t, "y", 2, 4)
	sh := must(circuit.NewGeneralFunction("sh", "relu", x))
	p1 := must(circuit.NewAdd("p1", sh, y))
	p2 := must(circuit.NewAdd("p2", sh, y))
	root := must(circuit.NewAdd("root", p1, p2))
	for _, m := range []IterativeMatcher{
		Name("sh"),
		IterAny(Chain(Name("p1"), Name("sh")), Chain(Name("p2"), Name("sh"))),
		parse(t, `'p1' > 'sh' | 'p2' > 'sh'`),
	} {
		calls := map[string]int{}
		tr := func(c circuit.Circuit) (circuit.Circuit, error) {
			calls[c.Name()]++
			return must(circuit.NewGeneralFunction("sh2", "sigmoid", x)), nil
		}
		got := must(Update(root, m, tr, UpdateOptions{}))
		if calls["sh"] != 1 || len(calls) != 1 {
			t.Errorf("%s: transform calls %v, want sh once", m, calls)
		}
		a, b := got.Children()[0].Children()[0], got.Children()[1].Children()[0]
		if a != b || a.Name() != "sh2" {
			t.Errorf("%s: the replacement is not shared", m)
		}
	}
	// Two Arrays, each transformed once although x is reached twice.
	calls := 0
	_ = must(Update(root, Kind(circuit.KindArray), func(c circuit.Circuit) (circuit.Circuit, error) {
		calls++
		return c, nil
	}, UpdateOptions{}))
	if calls != 2 {
		t.Errorf("%d calls, want 2", calls)
	}
}

func TestUpdateErrors(t *testing.T) {
	d := dag(t)
	x2 := arr(t, "x", 99, 3)
	_, err := Update(d.h, parse(t, `'g' > 'x'`), replaceWith(x2), UpdateOptions{ErrorIfNothingMatched: true})
	if err == nil || err.Error() != `match: Update: ["g" -> Restrict{depth_range: 1:2, matcher: "x"}] matched nothing in "h" (Add)` {
		t.Errorf("err = %v", err)
	}
	_, err = Expand(d.h, Name("nope"), replaceWith(x2), UpdateOptions{ErrorIfNothingMatched: true})
	if err == nil || !strings.Contains(err.Error(), `"nope" matched nothing`) {
		t.Errorf("err = %v", err)
	}
	boom := errors.New("boom")
	_, err = Update(d.h, Name("f"), func(circuit.Circuit) (circuit.Circuit, error) { return nil, boom }, UpdateOptions{})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `transform of "f" (GeneralFunction)`) {
		t.Errorf("err = %v", err)
	}
	_, err = Update(d.h, Name("f"), func(circuit.Circuit) (circuit.Circuit, error) { return nil, nil }, UpdateOptions{})
	if err == nil || !strings.Contains(err.Error(), "returned nil") {
		t.Errorf("err = %v", err)
	}
	// A replacement of the wrong shape is refused by the parent.
	bad := arr(t, "x", 5, 4)
	_, err = Update(d.h, parse(t, `'h' > 'x'`), replaceWith(bad), UpdateOptions{})
	if err == nil || !strings.Contains(err.Error(), `rebuilding "h" (Add)`) {
		t.Errorf("err = %v", err)
	}
	if _, err := Update(d.h, Name("x"), nil, UpdateOptions{}); err == nil {
		t.Error("nil transform accepted")
	}
	// Matcher errors surface.
	_, err = Update(d.h, Children(Name("y"), 0), replaceWith(x2), UpdateOptions{})
	if err == nil || !strings.Contains(err.Error(), "child 0") {
		t.Errorf("err = %v", err)
	}
}

func eval(t testing.TB, c circuit.Circuit) []float64 {
	t.Helper()
	v, err := circuit.Evaluate(c, circuit.EvalOptions{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	return v.Float64s()
}

func values(c circuit.Circuit) []float64 { return c.(*circuit.Array).Value.Float64s() }

func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	m := max(a, -a, b, -b, 1)
	return d <= 1e-9*m
}

func TestExpandBatch(t *testing.T) {
	d := dag(t)
	xb := arr(t, "xb", 7, 2, 3)
	X, Y := values(xb), values(d.y)
	relu := func(v float64) float64 { return max(v, 0) }

	// Only the direct x of h gains the batch dim: h = g + X[b].
	got := must(Expand(d.h, parse(t, `'h' > 'x'`), replaceWith(xb), UpdateOptions{}))
	if s := got.Shape(); len(s) != 2 || s[0] != 2 || s[1] != 3 {
		t.Fatalf("shape %v, want [2 3]", s)
	}
	if got.Name() != "h" {
		t.Errorf("name %q", got.Name())
	}
	xv := values(d.x)
	v := eval(t, got)
	for b := 0; b < 2; b++ {
		for i := 0; i < 3; i++ {
			want := relu(xv[i]) + Y[i] + X[b*3+i]
			if !near(v[b*3+i], want) {
				t.Errorf("[%d,%d] = %g, want %g", b, i, v[b*3+i], want)
			}
		}
	}
	// The x under g keeps its original shape: g is shared, unbatched.
	if gs := must(GetUnique(got, Name("g"))); gs != d.g {
		t.Errorf("g was rebuilt")
	}

	// Every x batched: h[b] = relu(X[b]) + y + X[b].
	got = must(Expand(d.h, Name("x"), replaceWith(xb), UpdateOptions{}))
	v = eval(t, got)
	for b := 0; b < 2; b++ {
		for i := 0; i < 3; i++ {
			want := relu(X[b*3+i]) + Y[i] + X[b*3+i]
			if !near(v[b*3+i], want) {
				t.Errorf("[%d,%d] = %g, want %g", b, i, v[b*3+i], want)
			}
		}
	}

	// Through an einsum: a linear layer with weight W [4,3].
	w := arr(t, "W", 8, 4, 3)
	lin := must(circuit.Linear("lin", d.x, w, nil))
	got = must(Expand(lin, Name("x"), replaceWith(xb), UpdateOptions{}))
	if s := got.Shape(); len(s) != 2 || s[0] != 2 || s[1] != 4 {
		t.Fatalf("linear shape %v, want [2 4]", s)
	}
	W := values(w)
	v = eval(t, got)
	for b := 0; b < 2; b++ {
		for o := 0; o < 4; o++ {
			want := 0.0
			for i := 0; i < 3; i++ {
				want += W[o*3+i] * X[b*3+i]
			}
			if !near(v[b*4+o], want) {
				t.Errorf("lin[%d,%d] = %g, want %g", b, o, v[b*4+o], want)
			}
		}
	}
}

// Expand is pre-order: the transform sees the original node and the walk
// does not descend into what it found.
func TestExpandPreOrder(t *testing.T) {
	d := dag(t)
	var seen []string
	tr := func(c circuit.Circuit) (circuit.Circuit, error) {
		seen = append(seen, c.Name())
		return c.Rename(c.Name() + "'"), nil
	}
	got := must(Expand(d.h, Name("g", "x"), tr, UpdateOptions{}))
	// g is replaced whole (the x inside it is not visited); h's x is replaced.
	if len(seen) != 2 || seen[0] != "g" || seen[1] != "x" {
		t.Errorf("transformed %q, want [g x]", seen)
	}
	want := must(circuit.NewAdd("h", d.g.Rename("g'"), d.x.Rename("x'")))
	if !circuit.Equal(got, want) {
		t.Errorf("wrong circuit")
	}
}
