package circuit

import (
	"fmt"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
)

// ppStore is an in-memory TensorResolver for tests: full hash -> tensor.
type ppStore map[string]*tensor.Tensor

func (s ppStore) add(t *tensor.Tensor) string {
	h := tensor.ContentHashHex(t)
	s[h] = t
	return h
}

func (s ppStore) Resolve(prefix string) (*tensor.Tensor, string, error) {
	var found []string
	for h := range s {
		if strings.HasPrefix(h, prefix) {
			found = append(found, h)
		}
	}
	if len(found) == 0 {
		return nil, "", fmt.Errorf("hash prefix %s: %w", prefix, ErrNotStored)
	}
	if len(found) != 1 {
		return nil, "", fmt.Errorf("%d stored tensors match hash prefix %s", len(found), prefix)
	}
	return s[found[0]], found[0], nil
}

// addAll puts every Array reachable from cs into the store.
func (s ppStore) addAll(cs []Circuit) {
	Walk(cs, func(c Circuit) {
		if a, ok := c.(*Array); ok && a.Resolved() {
			s.add(a.Value)
		}
	})
}

const (
	ppUUIDx = "11111111-2222-4333-8444-555555555555"
	ppUUIDy = "66666666-7777-4888-9999-aaaaaaaaaaaa"
	ppUUIDt = "0f0f0f0f-1e1e-4d2d-8c3c-4b4b4b4b4b4b"
)

// pp unwraps a constructor result in tests; a construction error is a test
// bug, so it panics (which fails the test with a stack).
func pp[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// ppSample is relu(W·x) + W·x with W a named Array and x a named Symbol:
// the einsum is shared.
func ppSample(t *testing.T) (root Circuit, w *Array) {
	x := pp(NewSymbol([]int{3}, ppUUIDx, "x"))
	w = arr(t, "W", []int{2, 3}, 1, 2, 3, 4, 5, 6)
	h := pp(NewEinsumSpec("h", "ab,b->a", w, x))
	r := pp(NewGeneralFunction("", "relu", h))
	return pp(NewAdd("", r, h)), w
}

func TestPrintSharedSubtree(t *testing.T) {
	root, w := ppSample(t)
	want := "0 'relu(h) + h' Add\n" +
		"  1 'relu(h)' GeneralFunction relu\n" +
		"    2 'h' Einsum ab,b->a\n" +
		"      3 'W' [2,3] Array " + w.ContentHash + "\n" +
		"      4 'x' [3] Symbol " + ppUUIDx + "\n" +
		"  2\n"
	if got := Print(root); got != want {
		t.Errorf("Print:\n%s\nwant:\n%s", got, want)
	}
	if len(w.ContentHash) != 64 {
		t.Errorf("content hash %q is not 64 hex digits", w.ContentHash)
	}
}

func TestPrintArrowsPrefixAndSerialsAcrossCircuits(t *testing.T) {
	root, w := ppSample(t)
	h := root.Children()[1]
	got := PrintCircuits([]Circuit{root, h, w}, PrintOptions{Arrows: true, HashPrefix: 8})
	want := "0 'relu(h) + h' Add\n" +
		"├‣1 'relu(h)' GeneralFunction relu\n" +
		"│ └‣2 'h' Einsum ab,b->a\n" +
		"│   ├‣3 'W' [2,3] Array " + w.ContentHash[:8] + "\n" +
		"│   └‣4 'x' [3] Symbol " + ppUUIDx + "\n" +
		"└‣2\n" +
		"2\n" +
		"3\n"
	if got != want {
		t.Errorf("PrintCircuits:\n%s\nwant:\n%s", got, want)
	}
	if got := PrintCircuits(nil, PrintOptions{}); got != "" {
		t.Errorf("no circuits printed %q", got)
	}
}

func TestPrintEveryKindExtra(t *testing.T) {
	s := pp(NewScalar(0.00001, []int{2, 3}, "eps"))
	one := pp(NewScalar(1, nil, ""))
	neg := pp(NewScalar(-2.5, []int{3}, ""))
	re := pp(NewRearrangeString("", "a (b:2 c) -> c b a", pp(NewScalar(0, []int{2, 6}, "z"))))
	idx := pp(NewIndex("", []AxisIndex{Slice(0, 1), Positions(2, 0)}, s))
	sc := pp(NewScatter("", []AxisIndex{Slice(1, 3)}, []int{4}, pp(NewScalar(7, []int{2}, "seven"))))
	cat := pp(NewConcat("", -1, s, s))
	tag := pp(NewTag("", ppUUIDt, neg))
	sym := pp(NewSymbol([]int{1}, nilUUID, "free"))
	ein := pp(NewEinsum("", [][]int{{}}, []int{}, one))
	got := PrintCircuits([]Circuit{s, one, neg, re, idx, sc, cat, tag, sym, ein}, PrintOptions{})
	want := strings.Join([]string{
		"0 'eps' [2,3] Scalar 0.00001",
		"1 [] Scalar 1",
		"2 [3] Scalar -2.5",
		"3 'z rearrange' Rearrange a (b:2 c) -> c b:2 a",
		"  4 'z' [2,6] Scalar 0",
		"5 'eps idx' [1,2] Index [0:1,[2,0]]",
		"  0",
		"6 'seven scatter' [4] Scatter [1:3]",
		"  7 'seven' [2] Scalar 7",
		"8 'eps ++ eps' Concat 1",
		"  0",
		"  0",
		"9 Tag " + ppUUIDt,
		"  2",
		"10 'free' [1] Symbol",
		"11 Einsum ->",
		"  1",
		"",
	}, "\n")
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestPrintModuleArgInfo(t *testing.T) {
	x := pp(NewSymbol([]int{3}, ppUUIDx, "x"))
	y := pp(NewSymbol([]int{3}, ppUUIDy, "y"))
	spec := pp(NewAdd("body", x, y))
	a := pp(NewScalar(2, []int{3}, "a"))
	b := pp(NewScalar(3, []int{4, 3}, "b"))
	m := pp(NewModule("m", spec,
		[]ModuleArgSpec{DefaultArgSpec(x), {Symbol: y, Batchable: true, Expandable: false, BanNonSymbolicSizeExpand: false}},
		a, b))
	want := "0 'm' Module\n" +
		"  1 'body' Add\n" +
		"    2 'x' [3] Symbol " + ppUUIDx + "\n" +
		"    3 'y' [3] Symbol " + ppUUIDy + "\n" +
		"  4 'a' [3] Scalar 2 ! 2\n" +
		"  5 'b' [4,3] Scalar 3 ! 3 tff\n"
	if got := Print(m); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if m.Shape()[0] != 4 || m.Rank() != 2 {
		t.Errorf("module shape %v, want [4,3]", m.Shape())
	}
}

func TestPrintModuleSymbolInlineWhenSpecIsReference(t *testing.T) {
	x := pp(NewSymbol([]int{2}, ppUUIDx, "x"))
	spec := pp(NewGeneralFunction("f", "exp", x))
	a := pp(NewScalar(1, []int{2}, "a"))
	m := pp(NewModule("call", spec, []ModuleArgSpec{DefaultArgSpec(x)}, a))
	opts := PrintOptions{References: map[string]Circuit{"the spec": spec}}
	got := PrintCircuits([]Circuit{m}, opts)
	want := "0 'call' Module\n" +
		"  'the spec'\n" +
		"  1 'a' [2] Scalar 1 ! 2 'x' [2] Symbol " + ppUUIDx + "\n"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	cs, err := ParseCircuits(got, ParseOptions{References: map[string]Circuit{"the spec": spec}})
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(cs[0], m) {
		t.Errorf("parsed module differs:\n%s", Print(cs[0]))
	}
}

func TestPrintADNamedAxesAndQuoting(t *testing.T) {
	x := pp(NewSymbol([]int{2, 3}, ppUUIDx, `it's a \ "name"`))
	xn := x.WithInfo(map[int]string{0: "batch"}, false)
	g := pp(NewGeneralFunction("", "tanh", xn))
	gad := g.Rename("").WithInfo(map[int]string{1: "d"}, true)
	nl := pp(NewScalar(1, nil, "two\nlines\r"))
	got := PrintCircuits([]Circuit{gad, nl}, PrintOptions{})
	want := "0 AD [2,d:3] GeneralFunction tanh\n" +
		`  1 'it\'s a \\ "name"' [batch:2,3] Symbol ` + ppUUIDx + "\n" +
		`2 'two\nlines\r' [] Scalar 1` + "\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if q := QuoteName(`a'b\c`); q != `'a\'b\\c'` {
		t.Errorf("QuoteName = %s", q)
	}
	if s := FormatShape([]int{4, 5, 6}, map[int]string{2: "h"}); s != "[4,5,h:6]" {
		t.Errorf("FormatShape = %s", s)
	}
	if s := FormatShape(nil, nil); s != "[]" {
		t.Errorf("FormatShape(rank 0) = %s", s)
	}
}

func TestPrintAllShapes(t *testing.T) {
	root, w := ppSample(t)
	got := PrintCircuits([]Circuit{root}, PrintOptions{AllShapes: true, HashPrefix: 4})
	want := "0 'relu(h) + h' [2] Add\n" +
		"  1 'relu(h)' [2] GeneralFunction relu\n" +
		"    2 'h' [2] Einsum ab,b->a\n" +
		"      3 'W' [2,3] Array " + w.ContentHash[:4] + "\n" +
		"      4 'x' [3] Symbol " + ppUUIDx + "\n" +
		"  2\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
