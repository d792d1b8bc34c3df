package match

import (
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/circopt/circopt/circuit"
)

// twoLayerSkip is the REMIX day-1 model: logits = last(x + relu(first(x))),
// with Linear layers first [784 -> 784] and last [784 -> 10].
type twoLayerSkip struct {
	x, w1, b1, w2, b2 circuit.Circuit
	first, relu, skip circuit.Circuit
	last              circuit.Circuit
}

func buildSkip(t testing.TB, xToFirst, xToSkip circuit.Circuit, m twoLayerSkip) circuit.Circuit {
	t.Helper()
	first := must(circuit.Linear("first", xToFirst, m.w1, m.b1))
	relu := must(circuit.NewGeneralFunction("relu", "relu", first))
	skip := must(circuit.NewAdd("skip", xToSkip, relu))
	return must(circuit.Linear("last", skip, m.w2, m.b2))
}

func newTwoLayerSkip(t testing.TB) twoLayerSkip {
	var m twoLayerSkip
	m.x = arr(t, "x", 1, 784)
	m.w1 = arr(t, "first.weight", 2, 784, 784)
	m.b1 = arr(t, "first.bias", 3, 784)
	m.w2 = arr(t, "last.weight", 4, 10, 784)
	m.b2 = arr(t, "last.bias", 5, 10)
	m.last = buildSkip(t, m.x, m.x, m)
	m.first = must(GetUnique(m.last, Name("first")))
	m.relu = must(GetUnique(m.last, Name("relu")))
	m.skip = must(GetUnique(m.last, Name("skip")))
	return m
}

// logitsGonum computes last(xSkip + relu(first(xFirst))) with gonum.
func logitsGonum(m twoLayerSkip, xFirst, xSkip []float64) []float64 {
	w1 := mat.NewDense(784, 784, values(m.w1))
	w2 := mat.NewDense(10, 784, values(m.w2))
	h := mat.NewVecDense(784, nil)
	h.MulVec(w1, mat.NewVecDense(784, xFirst))
	h.AddVec(h, mat.NewVecDense(784, values(m.b1)))
	for i := 0; i < 784; i++ {
		h.SetVec(i, max(h.AtVec(i), 0)+xSkip[i])
	}
	out := mat.NewVecDense(10, nil)
	out.MulVec(w2, h)
	out.AddVec(out, mat.NewVecDense(10, values(m.b2)))
	return out.RawVector().Data
}

func TestPathPatchTwoLayerSkip(t *testing.T) {
	m := newTwoLayerSkip(t)
	x2 := arr(t, "x", 42, 784)
	xv, x2v := values(m.x), values(x2)

	// x is one shared node feeding both first and skip.
	if xs := get(t, m.last, Name("x")); len(xs) != 1 {
		t.Fatalf("%d x nodes", len(xs))
	}

	cases := []struct {
		matcher         string
		xFirst, xSkip   circuit.Circuit
		xFirstV, xSkipV []float64
	}{
		// The x feeding the skip connection only.
		{`'skip' > 'x'`, m.x, x2, xv, x2v},
		// The x feeding first only.
		{`'first' >> 'x'`, x2, m.x, x2v, xv},
		{`'relu' >> 'x'`, x2, m.x, x2v, xv},
		// Both paths.
		{`'x'`, x2, x2, x2v, x2v},
		{`'skip' >> 'x'`, x2, x2, x2v, x2v},
	}
	for _, c := range cases {
		got := must(Update(m.last, parse(t, c.matcher), replaceWith(x2), UpdateOptions{ErrorIfNothingMatched: true}))
		want := buildSkip(t, c.xFirst, c.xSkip, m)
		if !circuit.Equal(got, want) {
			t.Errorf("%s: result differs from the hand-built circuit", c.matcher)
		}
		gotV := eval(t, got)
		wantV := logitsGonum(m, c.xFirstV, c.xSkipV)
		if len(gotV) != 10 {
			t.Fatalf("%s: %d logits", c.matcher, len(gotV))
		}
		for i := range wantV {
			if !near(gotV[i], wantV[i]) {
				t.Errorf("%s: logit %d = %g, gonum says %g", c.matcher, i, gotV[i], wantV[i])
			}
		}
	}
	// The patched circuit keeps first reading the original x.
	got := must(Update(m.last, parse(t, `'skip' > 'x'`), replaceWith(x2), UpdateOptions{}))
	if f := must(GetUnique(got, Name("first"))); f != m.first {
		t.Errorf("first was rebuilt")
	}
	if xs := get(t, got, Name("x")); len(xs) != 2 {
		t.Errorf("patched circuit has %d x nodes, want 2", len(xs))
	}
	// Sanity: the unpatched model evaluates to gonum's logits too, and the
	// patch changed them.
	base := eval(t, m.last)
	want := logitsGonum(m, xv, xv)
	for i := range want {
		if !near(base[i], want[i]) {
			t.Fatalf("unpatched logit %d = %g, gonum says %g", i, base[i], want[i])
		}
	}
	if patched := eval(t, got); near(patched[0], base[0]) {
		t.Errorf("patching did not change the logits")
	}
}

// Expand on the same model: batch the skip connection's x only.
func TestPathPatchExpandBatch(t *testing.T) {
	m := newTwoLayerSkip(t)
	xb := arr(t, "xb", 43, 3, 784)
	got := must(Expand(m.last, parse(t, `'skip' > 'x'`), replaceWith(xb), UpdateOptions{}))
	if s := got.Shape(); len(s) != 2 || s[0] != 3 || s[1] != 10 {
		t.Fatalf("shape %v, want [3 10]", s)
	}
	v := eval(t, got)
	X := values(xb)
	for b := 0; b < 3; b++ {
		want := logitsGonum(m, values(m.x), X[b*784:(b+1)*784])
		for i := range want {
			if !near(v[b*10+i], want[i]) {
				t.Errorf("[%d,%d] = %g, gonum says %g", b, i, v[b*10+i], want[i])
			}
		}
	}
}
