package circuit

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
	"pgregory.net/rapid"
)

// ppHandWritten exercises comments (own-line, indented, trailing), tree
// arrows, AD, named axes with spaces, quoted-name idents, a Module with
// flags whose argument is a node shared with the first circuit, and later
// top-level lines that refer to earlier circuits.
const ppHandWritten = `# A hand-written circuit file.

0 'out' Add            # the sum of two terms
├‣1 'act' GeneralFunction relu
│ └‣2 'h' [batch:4, 2] Einsum ab,cb->ac
│   ├‣'x' [4,3] Symbol 11111111-2222-4333-8444-555555555555
│   └‣3 'W' [ 2 , 3 , ] Array rand
└‣4 AD [4,2] Scalar 0.5

     # an indented comment line is skipped, whatever its indentation
5 'call' Module
  6 'sq' Einsum a,a->a
    'v' [2] Symbol 66666666-7777-4888-9999-aaaaaaaaaaaa
    'v'
  2 ! 'v' ttf  # h is the argument: its leading axis becomes a batch axis
7 'flat' Rearrange a b -> (a b)
  2
8 Index [ 1:3, -1 ]
  'x'
0
'x'
`

func ppParse(t *testing.T, src string, opts ParseOptions) []Circuit {
	t.Helper()
	if opts.File == "" {
		opts.File = "test.circ"
	}
	cs, err := ParseCircuits(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestParseHandWritten(t *testing.T) {
	cs := ppParse(t, ppHandWritten, ParseOptions{Seed: 7})
	if len(cs) != 6 {
		t.Fatalf("got %d top-level circuits, want 6", len(cs))
	}
	out, call, flat, idx, again, x := cs[0], cs[1], cs[2], cs[3], cs[4], cs[5]

	if out.Kind() != KindAdd || out.Name() != "out" || !slices.Equal(out.Shape(), []int{4, 2}) {
		t.Errorf("out = %s %q %v", out.Kind(), out.Name(), out.Shape())
	}
	act := out.Children()[0]
	h := act.Children()[0]
	if act.Kind() != KindGeneralFunction || act.(*GeneralFunction).Spec != "relu" {
		t.Errorf("act = %s", Label(act))
	}
	if h.Name() != "h" || !slices.Equal(h.Shape(), []int{4, 2}) || h.NamedAxes()[0] != "batch" || len(h.NamedAxes()) != 1 {
		t.Errorf("h = %q %v named %v", h.Name(), h.Shape(), h.NamedAxes())
	}
	if e := h.(*Einsum); e.Spec() != "ab,cb->ac" {
		t.Errorf("h spec %s", e.Spec())
	}
	sym := h.Children()[0].(*Symbol)
	if sym.Name() != "x" || sym.UUID != ppUUIDx || !slices.Equal(sym.Shape(), []int{4, 3}) {
		t.Errorf("x = %q %s %v", sym.Name(), sym.UUID, sym.Shape())
	}
	w := h.Children()[1].(*Array)
	want := pp(tensor.RandN(tensor.Float32, []int{2, 3}, RandomSeed(7, "rand", "3")))
	if w.Name() != "W" || w.ContentHash != tensor.ContentHashHex(want) || w.Value.DType() != tensor.Float32 {
		t.Errorf("W = %q %s %v, want the seeded float32 draw", w.Name(), w.ContentHash, w.Value.DType())
	}
	half := out.Children()[1].(*Scalar)
	if !half.AutonameDisabled() || half.Name() != "" || half.Value != 0.5 {
		t.Errorf("scalar AD=%v name %q value %v", half.AutonameDisabled(), half.Name(), half.Value)
	}

	m := call.(*Module)
	if m.Name() != "call" || len(m.ArgSpecs) != 1 || m.ArgSpecs[0].Flags() != "ttf" || m.ArgSpecs[0].Symbol.Name() != "v" {
		t.Fatalf("module %q specs %+v", m.Name(), m.ArgSpecs)
	}
	if !Equal(m.Args()[0], h) || !slices.Equal(m.Shape(), []int{4, 2}) {
		t.Errorf("module argument %s shape %v", Label(m.Args()[0]), m.Shape())
	}
	if sq := m.SpecCircuit; sq.Children()[0] != sq.Children()[1] {
		t.Errorf("the repeated 'v' is not one node")
	}
	if flat.Kind() != KindRearrange || !slices.Equal(flat.Shape(), []int{8}) || flat.Children()[0] != h {
		t.Errorf("flat = %s %v", Label(flat), flat.Shape())
	}
	if idx.Kind() != KindIndex || !slices.Equal(idx.Shape(), []int{2}) || idx.Children()[0] != Circuit(sym) {
		t.Errorf("idx = %s %v", Label(idx), idx.Shape())
	}
	if again != out || x != Circuit(sym) {
		t.Errorf("later top-level idents do not return the earlier nodes")
	}

	// The canonical text, worked out by hand.
	canon := strings.Join([]string{
		"0 'out' Add",
		"  1 'act' GeneralFunction relu",
		"    2 'h' [batch:4,2] Einsum ab,cb->ac",
		"      3 'x' [4,3] Symbol " + ppUUIDx,
		"      4 'W' [2,3] Array " + w.ContentHash,
		"  5 AD [4,2] Scalar 0.5",
		"6 'call' Module",
		"  7 'sq' Einsum a,a->a",
		"    8 'v' [2] Symbol " + ppUUIDy,
		"    8",
		"  2 ! 8 ttf",
		"9 'flat' Rearrange a b -> (a b)",
		"  2",
		"10 'x idx' [2] Index [1:3,-1]",
		"  3",
		"0",
		"3",
		"",
	}, "\n")
	got := PrintCircuits(cs, PrintOptions{})
	if got != canon {
		t.Fatalf("printed:\n%s\nwant:\n%s", got, canon)
	}
	// Parse then print is a fixed point, and the circuits are hash-equal.
	st := ppStore{}
	st.addAll(cs)
	back := ppParse(t, canon, ParseOptions{Store: st})
	for i := range cs {
		if !Equal(back[i], cs[i]) {
			t.Errorf("circuit %d differs after print and parse", i)
		}
	}
	if again := PrintCircuits(back, PrintOptions{}); again != canon {
		t.Errorf("not a fixed point:\n%s", again)
	}
	// The same with arrows.
	arrows := PrintCircuits(cs, PrintOptions{Arrows: true})
	back = ppParse(t, arrows, ParseOptions{Store: st})
	if PrintCircuits(back, PrintOptions{Arrows: true}) != arrows || !Equal(back[1], call) {
		t.Errorf("arrow form does not round-trip:\n%s", arrows)
	}
}

func TestParseSeedsAndDTypes(t *testing.T) {
	src := "0 [2,2] Array rand\n1 [2,2] Array rand\n'W' [2,2] Array rand\n"
	a := ppParse(t, src, ParseOptions{Seed: 1})
	b := ppParse(t, src, ParseOptions{Seed: 1})
	c := ppParse(t, src, ParseOptions{Seed: 2})
	for i := range a {
		if !Equal(a[i], b[i]) {
			t.Errorf("circuit %d: the same seed gave different arrays", i)
		}
		if Equal(a[i], c[i]) {
			t.Errorf("circuit %d: different seeds gave the same array", i)
		}
	}
	if a[0].(*Array).ContentHash == a[1].(*Array).ContentHash {
		t.Errorf("two rand arrays with different idents got the same values")
	}
	if w := a[2].(*Array); w.Name() != "W" {
		t.Errorf("quoted ident did not name the array: %q", w.Name())
	}
	// one line, one tensor, one hash: a float64 caller gets the float32
	// draw (evaluation casts it), not a draw of its own
	d := ppParse(t, src, ParseOptions{Seed: 1, DType: tensor.Float64})
	want := pp(tensor.RandN(tensor.Float32, []int{2, 2}, RandomSeed(1, "rand", "'W'")))
	if got := d[2].(*Array).Value; got.DType() != tensor.Float32 || !tensor.AllClose(got, want, 0, 0) {
		t.Errorf("rand array parsed for float64 = %v %v", got.DType(), got.Float64s())
	}
	for i := range a {
		if a[i].Hash() != d[i].Hash() {
			t.Errorf("circuit %d: float32 and float64 parses hash differently", i)
		}
	}
}

func TestParseRandomTensorsAndStore(t *testing.T) {
	st := ppStore{}
	t1 := pp(tensor.FromFloat64([]int{3}, []float64{1, 2, 3}))
	h1 := st.add(t1)
	h2 := st.add(pp(tensor.FromFloat64([]int{2}, []float64{4, 5})))
	src := "0 'a' [3] Array " + h1[:10] + "\n1 'b' Array " + strings.ToUpper(h2[:12]) + "\n"
	cs := ppParse(t, src, ParseOptions{Store: st})
	if a := cs[0].(*Array); a.ContentHash != h1 || a.Name() != "a" || !tensor.AllClose(a.Value, t1, 0, 0) {
		t.Errorf("store array a = %s", a.ContentHash)
	}
	if b := cs[1].(*Array); b.ContentHash != h2 || !slices.Equal(b.Shape(), []int{2}) {
		t.Errorf("store array b = %s %v", b.ContentHash, b.Shape())
	}

	// Random tensors: seeded by the hash as written, so equal hashes get
	// equal values; the line's shape is used.
	src = "0 'a' [2,3] Array " + h1[:10] + "\n1 'b' [2,3] Array " + h1[:10] + "\n2 'c' [2,3] Array " + h2[:10] + "\n"
	cs = ppParse(t, src, ParseOptions{RandomTensors: true, Seed: 3})
	a, b, c := cs[0].(*Array), cs[1].(*Array), cs[2].(*Array)
	if a.ContentHash != b.ContentHash || a.ContentHash == c.ContentHash {
		t.Errorf("random tensors: equal hashes must give equal values and different ones different values")
	}
	want := pp(tensor.RandN(tensor.Float32, []int{2, 3}, RandomSeed(3, "hash", h1[:10])))
	if !tensor.AllClose(a.Value, want, 0, 0) {
		t.Errorf("random tensor for %s is not the documented draw", h1[:10])
	}
}

func TestParseSymbolUUIDForms(t *testing.T) {
	cs := ppParse(t, "0 'x' [2] Symbol\n1 'x' [2] Symbol\n2 'y' [2] Symbol rand\n3 'y' [2] Symbol rand\n", ParseOptions{})
	if cs[0].(*Symbol).UUID != nilUUID || !Equal(cs[0], cs[1]) {
		t.Errorf("a symbol without uuid must get the nil uuid (equal name and shape, equal symbol)")
	}
	if Equal(cs[2], cs[3]) {
		t.Errorf("Symbol rand must draw fresh uuids")
	}
	if got := Print(cs[0]); got != "0 'x' [2] Symbol\n" {
		t.Errorf("nil uuid printed as %q", got)
	}
}

func TestParseForwardReferenceAndNameIdent(t *testing.T) {
	src := "0 Add\n  1\n  'c'\n1 'b' [2] Scalar 1\n'c' [] Scalar 2\n"
	cs := ppParse(t, src, ParseOptions{})
	if len(cs) != 3 || cs[0].Name() != "b + c" || !slices.Equal(cs[0].Shape(), []int{2}) {
		t.Fatalf("got %d circuits, first %s %v", len(cs), Label(cs[0]), cs[0].Shape())
	}
	if cs[0].Children()[0] != cs[1] || cs[0].Children()[1] != cs[2] {
		t.Errorf("forward references do not resolve to the later definitions")
	}
}

func TestParseReferences(t *testing.T) {
	x := pp(NewSymbol([]int{2}, ppUUIDx, "x"))
	refs := map[string]Circuit{"inp": x}
	cs := ppParse(t, "0 Add\n  'inp'\n  'inp'\n", ParseOptions{References: refs})
	if cs[0].Children()[0] != Circuit(x) || !slices.Equal(cs[0].Shape(), []int{2}) {
		t.Errorf("reference not substituted")
	}
	if got := PrintCircuits(cs, PrintOptions{References: refs}); got != "0 'x + x' Add\n  'inp'\n  'inp'\n" {
		t.Errorf("printed with references: %q", got)
	}
}

func TestParseADWithoutNameKeepsNoName(t *testing.T) {
	src := "0 AD Add\n  1 'a' [2] Scalar 1\n  2 'b' [2] Scalar 2\n3 Add\n  1\n  2\n"
	cs := ppParse(t, src, ParseOptions{})
	if cs[0].Name() != "" || !cs[0].AutonameDisabled() {
		t.Errorf("AD node got name %q", cs[0].Name())
	}
	if cs[1].Name() != "a + b" || cs[1].AutonameDisabled() {
		t.Errorf("unnamed node without AD got name %q", cs[1].Name())
	}
	if Equal(cs[0], cs[1]) {
		t.Errorf("AD must be part of the identity")
	}
	want := "0 AD Add\n  1 'a' [2] Scalar 1\n  2 'b' [2] Scalar 2\n3 'a + b' Add\n  1\n  2\n"
	if got := PrintCircuits(cs, PrintOptions{}); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestParseNameEscapes(t *testing.T) {
	src := `0 'it\'s \\ a\nb \q' [] Scalar 1` + "\n"
	cs := ppParse(t, src, ParseOptions{})
	if want := "it's \\ a\nb \\q"; cs[0].Name() != want {
		t.Errorf("name %q, want %q", cs[0].Name(), want)
	}
	if got := Print(cs[0]); got != `0 'it\'s \\ a\nb \\q' [] Scalar 1`+"\n" {
		t.Errorf("printed %s", got)
	}
}

func TestParseEmptyInputAndCRLF(t *testing.T) {
	cs := ppParse(t, "\n  # only comments\n\n", ParseOptions{})
	if len(cs) != 0 {
		t.Errorf("got %d circuits from an empty file", len(cs))
	}
	cs = ppParse(t, "\ufeff0 'a' Add\r\n  1 [3] Scalar 2\r\n", ParseOptions{})
	if cs[0].Name() != "a" || !slices.Equal(cs[0].Shape(), []int{3}) {
		t.Errorf("CRLF file parsed as %s %v", Label(cs[0]), cs[0].Shape())
	}
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.circ")
	if err := os.WriteFile(path, []byte("0 [2] Scalar 1\n1 Add\n  7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ParseFile(path, ParseOptions{})
	if err == nil || err.Error() != path+":3: unknown ident 7: referenced but never defined (no line gives its kind)" {
		t.Errorf("ParseFile error = %v", err)
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 3 || pe.File != path {
		t.Errorf("error is not a *ParseError at line 3: %#v", err)
	}
	if _, err := ParseFile(filepath.Join(dir, "missing.circ"), ParseOptions{}); err == nil {
		t.Errorf("missing file accepted")
	}
	if _, err := ParseCircuits("0 Foo\n", ParseOptions{}); err == nil || !strings.HasPrefix(err.Error(), "<input>:1: ") {
		t.Errorf("default file name: %v", err)
	}
}

type ppPanicStore struct{}

func (ppPanicStore) Resolve(string) (*tensor.Tensor, string, error) { panic("boom") }

func TestParseRecoversPanics(t *testing.T) {
	_, err := ParseCircuits("0 Add\n  1 [2] Array abcd\n", ParseOptions{File: "p.circ", Store: ppPanicStore{}})
	if err == nil || err.Error() != "p.circ:2: internal error: boom" {
		t.Errorf("panic in a resolver gave %v", err)
	}
}

// TestRandomBudgetIsTotal: the random-element limit bounds a whole parse,
// so many arrays each under it cannot together exhaust memory.
func TestRandomBudgetIsTotal(t *testing.T) {
	src := "0 Add\n  1 [600] Array rand\n  2 [600] Array rand\n"
	if _, err := ParseCircuits(src, ParseOptions{File: "f.circ", MaxRandomElements: 1000}); err == nil ||
		!strings.HasPrefix(err.Error(), "f.circ:3: ") || !strings.Contains(err.Error(), "600 drawn so far") {
		t.Errorf("two arrays of 600 under a total limit of 1000: %v", err)
	}
	if _, err := ParseCircuits(src, ParseOptions{File: "f.circ", MaxRandomElements: 1200}); err != nil {
		t.Errorf("two arrays of 600 under a total limit of 1200: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	sym := "'x' [2] Symbol " + ppUUIDx
	refs := map[string]Circuit{"ref": pp(NewScalar(1, []int{2}, "r"))}
	cases := []struct {
		name, src string
		line      int
		want      string
		opts      ParseOptions
	}{
		{"bad start", "0 [] Scalar 1\n&&\n", 2, "expected a serial number or a quoted name", ParseOptions{}},
		{"no space after ident", "0Add\n", 1, "expected a space after the ident", ParseOptions{}},
		{"no space after kind", "0 Einsum->\n", 1, "expected a space after the kind", ParseOptions{}},
		{"unterminated name", "0 'abc Add\n", 1, "unterminated quoted name", ParseOptions{}},
		{"unclosed shape", "0 [2,3 Scalar 1\n", 1, "unclosed [", ParseOptions{}},
		{"bad shape entry", "0 [2,x] Scalar 1\n", 1, "bad shape entry", ParseOptions{}},
		{"symbolic size", "0 [2*?] Scalar 1\n", 1, "bad shape entry", ParseOptions{}},
		{"empty axis name", "0 [:3] Scalar 1\n", 1, "bad axis name", ParseOptions{}},
		{"less indented than first", "  0 Add\n    1 [] Scalar 1\n0\n", 3, "indented less than the first line", ParseOptions{}},
		{"odd indentation", "0 Add\n   1 [] Scalar 1\n", 2, "odd indentation", ParseOptions{}},
		{"too deep", "0 Add\n    1 [] Scalar 1\n", 2, "more than one level below", ParseOptions{}},
		{"unknown kind", "0 Add\n  1 [] Scalr 1\n", 2, `unknown kind "Scalr"`, ParseOptions{}},
		{"repeat other name", "0 Add\n  1 'a' [] Scalar 1\n  1 'b'\n", 3, "ident 1 repeats with different info than its definition at line 2: name 'b', not 'a'", ParseOptions{}},
		{"repeat other kind", "0 Add\n  1 [] Scalar 1\n  1 Symbol\n", 3, "kind Symbol, not Scalar", ParseOptions{}},
		{"repeat other shape", "0 Add\n  1 [2] Scalar 1\n  1 [3]\n", 3, "shape [3], not [2]", ParseOptions{}},
		{"repeat other named axes", "0 Add\n  1 [a:2] Scalar 1\n  1 [b:2]\n", 3, "shape [b:2], not [a:2]", ParseOptions{}},
		{"repeat other extra", "0 Add\n  1 [2] Scalar 1\n  1 [2] Scalar 2\n", 3, `"2" after the kind, not "1"`, ParseOptions{}},
		{"repeat adds AD", "0 Add\n  1 [2] Scalar 1\n  1 AD\n", 3, "AD, which the definition lacks", ParseOptions{}},
		{"forward reference differs", "0 Add\n  1 'a'\n1 'b' [2] Scalar 1\n", 2, "ident 1 repeats with different info than its definition at line 3", ParseOptions{}},
		{"repeat shape vs computed", "0 'a' Add\n  1 [2] Scalar 1\n0 [3]\n", 3, "shape [3] given for ident 0, but its computed shape is [2]", ParseOptions{}},
		{"repeat named axes vs definition", "0 'a' Add\n  1 [2] Scalar 1\n0 [q:2]\n", 3, "named axes [q:2] given for ident 0 differ from its definition's [2]", ParseOptions{}},
		{"repeat with children", "0 Add\n  1 [] Scalar 1\n  1\n    2 [] Scalar 2\n", 4, "ident 1 is a repeat (defined at line 2) and cannot have children", ParseOptions{}},
		{"cycle", "0 Add\n  1 Add\n    0\n", 3, "cycle through ident 0", ParseOptions{}},
		{"self cycle", "0 'a' Add\n  'x' Add\n    'x'\n", 3, "cycle through ident 'x'", ParseOptions{}},
		{"unknown ident", "0 Add\n  1 [] Scalar 1\n  7\n", 3, "unknown ident 7: referenced but never defined", ParseOptions{}},
		{"unknown name ident", "0 Add\n  'nope'\n", 2, "unknown ident 'nope'", ParseOptions{}},
		{"shape mismatch", "0 'a' [3] Add\n  1 [2] Scalar 1\n", 1, "shape [3] given, but the computed shape is [2]", ParseOptions{}},
		{"construction error", "0 Add\n  1 Einsum ab->a\n    2 [2] Scalar 1\n", 2, "has rank 1 but 2 axes", ParseOptions{}},
		{"bad einsum spec", "0 Einsum a-b\n  1 [2] Scalar 1\n", 1, "Einsum: einsum spec", ParseOptions{}},
		{"bad rearrange spec", "0 Rearrange a -> a a\n  1 [2] Scalar 1\n", 1, "appears twice on the right", ParseOptions{}},
		{"bad index", "0 Index [5]\n  1 [2] Scalar 1\n", 1, "out of range", ParseOptions{}},
		{"bad concat axis", "0 Concat x\n  1 [2] Scalar 1\n", 1, "Concat needs an integer axis", ParseOptions{}},
		{"unknown function", "0 GeneralFunction frobnicate\n  1 [2] Scalar 1\n", 1, `unknown function "frobnicate"`, ParseOptions{}},
		{"bad uuid", "0 [2] Symbol not-a-uuid\n", 1, "invalid uuid", ParseOptions{}},
		{"tag without uuid", "0 Tag\n  1 [2] Scalar 1\n", 1, "Tag needs a uuid", ParseOptions{}},
		{"wrong child count", "0 Rearrange a -> a\n  1 [2] Scalar 1\n  2 [2] Scalar 1\n", 1, "Rearrange takes 1 children, got 2", ParseOptions{}},
		{"leaf with children", "0 [2] Scalar 1\n  1 [2] Scalar 1\n", 1, "Scalar takes 0 children, got 1", ParseOptions{}},
		{"scalar without shape", "0 Scalar 1\n", 1, "Scalar needs its shape", ParseOptions{}},
		{"scalar without value", "0 [] Scalar\n", 1, "Scalar needs a value", ParseOptions{}},
		{"bad number", "0 [] Scalar one\n", 1, "bad number", ParseOptions{}},
		{"add with extra", "0 Add 3\n  1 [] Scalar 1\n", 1, `Add takes no text after the kind, got "3"`, ParseOptions{}},
		{"array without store or shape", "0 Add\n  1 'w' Array 0a1b2c\n", 2, `Array "w": tensor 0a1b2c is not loaded (there is no tensor store) and the line gives no shape`, ParseOptions{}},
		{"array bad hash", "0 [2] Array xyz\n", 1, "neither a hex tensor hash prefix nor rand", ParseOptions{}},
		{"array no hash", "0 [2] Array\n", 1, "needs a tensor hash prefix or rand", ParseOptions{}},
		{"array rand without shape", "0 Add\n  1 Array rand\n", 2, "Array 1 needs its shape on the line", ParseOptions{}},
		{"random tensors without shape", "0 Array abc\n", 1, "needs its shape on the line", ParseOptions{RandomTensors: true}},
		{"random array too large", "0 [1000,1000] Array rand\n", 1, "would exceed the limit of 1000 for one parse", ParseOptions{MaxRandomElements: 1000}},
		{"store miss without shape", "0 Array abc\n", 1, "tensor abc is not loaded (hash prefix abc: not in the tensor store) and the line gives no shape", ParseOptions{Store: ppStore{}}},
		{"module arg without info", "0 Module\n  1 Add\n    " + sym + "\n  2 [2] Scalar 1\n", 4, "argument 1 of Module 0 needs `! <symbol>` info", ParseOptions{}},
		{"module spec with info", "0 Module\n  " + sym + " ! 'x'\n", 2, "the spec circuit (first child) of Module 0 takes no `!` info", ParseOptions{}},
		{"info under non-module", "0 Add\n  1 [2] Scalar 1 ! 'x'\n", 2, "`!` info is only for Module arguments; the parent 0 is a Add", ParseOptions{}},
		{"info on top level", "0 [2] Scalar 1 ! 'x'\n", 1, "`!` info on a top-level line", ParseOptions{}},
		{"info without symbol", "0 Module\n  " + sym + "\n  1 [2] Scalar 1 ! ttt\n", 3, "expected a serial number or a quoted name", ParseOptions{}},
		{"info binds non-symbol", "0 Module\n  " + sym + "\n  1 [2] Scalar 1 ! 1\n", 3, "binds 1, which is a Scalar, not a Symbol", ParseOptions{}},
		{"info bad flags", "0 Module\n  " + sym + "\n  1 [2] Scalar 1 ! 'x' tfx\n", 3, `unknown kind "tfx"`, ParseOptions{}},
		{"module symbol unused", "0 Module\n  1 [2] Scalar 0\n  2 [2] Scalar 1 ! " + sym + "\n", 1, "is not used by the spec circuit", ParseOptions{}},
		{"module without spec", "0 Module\n", 1, "Module needs its spec circuit", ParseOptions{}},
		{"module arg cycle", "0 Module\n  " + sym + "\n  1 [2] Scalar 1 ! 0\n", 3, "cycle through ident 0", ParseOptions{}},
		{"reference with info", "0 Add\n  'ref' [2]\n", 2, "reference circuit 'ref' takes nothing else on its line", ParseOptions{References: refs}},
		{"reference with children", "0 Add\n  'ref'\n    1 [2] Scalar 1\n", 3, "reference circuit 'ref' cannot have children", ParseOptions{References: refs}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.File = "bad.circ"
			cs, err := ParseCircuits(tc.src, tc.opts)
			if err == nil {
				t.Fatalf("no error; parsed %d circuits:\n%s", len(cs), PrintCircuits(cs, PrintOptions{}))
			}
			msg := err.Error()
			prefix := "bad.circ:" + itoa(tc.line) + ": "
			if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q\nwant prefix %q containing %q", msg, prefix, tc.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is more than one line: %q", msg)
			}
			if cs != nil {
				t.Errorf("circuits returned along with an error")
			}
		})
	}
}

func itoa(i int) string { return FormatNumber(float64(i)) }

// ppGen builds random circuits over every node kind with small shapes,
// sharing nodes through a pool.
type ppGen struct {
	t     *rapid.T
	pool  []Circuit
	store ppStore
}

var ppNames = []string{"", "", "", "a", "b c", "it's", `back\slash`, "new\nline", "#hash", "x ! y", "AD", "0", "é│└", "  padded  "}

func (g *ppGen) dims(label string, rank int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = rapid.SampledFrom([]int{1, 1, 2, 2, 3, 0}).Draw(g.t, label)
	}
	return s
}

func (g *ppGen) shape(label string) []int {
	return g.dims(label, rapid.IntRange(0, 3).Draw(g.t, label+" rank"))
}

func (g *ppGen) uuid(label string) string {
	b := rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(g.t, label)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// pick draws a pool node, mostly one of the newest so that circuits grow deep.
func (g *ppGen) pick(label string) Circuit {
	n := len(g.pool)
	if k := rapid.IntRange(0, 4).Draw(g.t, label+" recent"); k < 4 {
		return g.pool[max(n-1-k, 0)]
	}
	return g.pool[rapid.IntRange(0, n-1).Draw(g.t, label)]
}

func (g *ppGen) leaf() Circuit {
	switch rapid.IntRange(0, 2).Draw(g.t, "leaf kind") {
	case 0:
		shape := g.shape("array dim")
		n := numel(shape)
		var x *tensor.Tensor
		switch rapid.IntRange(0, 2).Draw(g.t, "dtype") {
		case 0:
			x = pp(tensor.FromFloat32(shape, rapid.SliceOfN(rapid.Float32(), n, n).Draw(g.t, "f32")))
		case 1:
			x = pp(tensor.FromFloat64(shape, rapid.SliceOfN(rapid.Float64(), n, n).Draw(g.t, "f64")))
		default:
			x = pp(tensor.FromInt64(shape, rapid.SliceOfN(rapid.Int64(), n, n).Draw(g.t, "i64")))
		}
		g.store.add(x)
		return pp(NewArray(x, rapid.SampledFrom(ppNames).Draw(g.t, "name")))
	case 1:
		v := rapid.OneOf(rapid.SampledFrom([]float64{0, 1, -3, 0.5, 0.00001, 1e300, -1e-300, math.Inf(1), math.Inf(-1), math.Copysign(0, -1)}), rapid.Float64()).Draw(g.t, "value")
		return pp(NewScalar(v, g.shape("scalar dim"), ""))
	default:
		uuid := g.uuid("uuid")
		if rapid.Bool().Draw(g.t, "nil uuid") {
			uuid = nilUUID
		}
		return pp(NewSymbol(g.shape("symbol dim"), uuid, rapid.SampledFrom(ppNames[3:]).Draw(g.t, "name")))
	}
}

// rearrangeSpec writes a random valid repeat-style spec for shape.
func (g *ppGen) rearrangeSpec(shape []int) string {
	var in []string
	var atoms []string
	next := 0
	atom := func(size int) string {
		a := fmt.Sprintf("x%d", next)
		next++
		atoms = append(atoms, a)
		if rapid.Bool().Draw(g.t, "annotate size") {
			return fmt.Sprintf("%s:%d", a, size)
		}
		return a
	}
	for _, d := range shape {
		switch {
		case d == 1 && rapid.Bool().Draw(g.t, "drop size-1 axis"):
			in = append(in, "()")
		case rapid.Bool().Draw(g.t, "split"):
			a := atom(d)
			in = append(in, "("+a+" "+atom(1)+")")
		default:
			in = append(in, atom(d))
		}
	}
	perm := rapid.Permutation(atoms).Draw(g.t, "out order")
	var out []string
	for i := 0; i < len(perm); i++ {
		if i+1 < len(perm) && rapid.Bool().Draw(g.t, "merge") {
			out = append(out, "("+perm[i]+" "+perm[i+1]+")")
			i++
		} else {
			out = append(out, perm[i])
		}
		switch rapid.IntRange(0, 3).Draw(g.t, "insert") {
		case 0:
			out = append(out, fmt.Sprintf("r%d:%d", i, rapid.IntRange(1, 2).Draw(g.t, "repeat")))
		case 1:
			out = append(out, "()")
		}
	}
	return strings.Join(in, " ") + " -> " + strings.Join(out, " ")
}

func (g *ppGen) optInt(label string) *int {
	if rapid.Bool().Draw(g.t, label+" open") {
		return nil
	}
	v := rapid.IntRange(-4, 4).Draw(g.t, label)
	return &v
}

func (g *ppGen) interior(kind Kind) (Circuit, error) {
	name := rapid.SampledFrom(ppNames).Draw(g.t, "name")
	switch kind {
	case KindAdd:
		n := rapid.IntRange(0, 3).Draw(g.t, "add arity")
		cs := make([]Circuit, n)
		for i := range cs {
			cs[i] = g.pick("add child")
		}
		return NewAdd(name, cs...)
	case KindEinsum:
		n := rapid.IntRange(0, 2).Draw(g.t, "einsum arity")
		sizes := map[int]int{}
		var axes [][]int
		var cs []Circuit
		for i := 0; i < n; i++ {
			c := g.pick("einsum operand")
			ax := make([]int, c.Rank())
			for j, d := range c.Shape() {
				var cands []int
				for l, s := range sizes {
					if s == d {
						cands = append(cands, l)
					}
				}
				sort.Ints(cands)
				cands = append(cands, len(sizes))
				ax[j] = rapid.SampledFrom(cands).Draw(g.t, "label")
				sizes[ax[j]] = d
			}
			axes = append(axes, ax)
			cs = append(cs, c)
		}
		var out []int
		if len(sizes) > 0 {
			out = rapid.SliceOfN(rapid.IntRange(0, len(sizes)-1), 0, 3).Draw(g.t, "out labels")
		}
		return NewEinsum(name, axes, out, cs...)
	case KindRearrange:
		c := g.pick("rearrange child")
		switch rapid.IntRange(0, 4).Draw(g.t, "rearrange form") {
		case 0:
			return Unsqueeze(name, c, 0)
		case 1:
			return Squeeze(name, c)
		case 2:
			return Flatten(name, c)
		case 3:
			return Permute(name, c, rapid.Permutation(identityLabels(c.Rank())).Draw(g.t, "perm")...)
		}
		return NewRearrangeString(name, g.rearrangeSpec(c.Shape()), c)
	case KindIndex:
		c := g.pick("index child")
		k := rapid.IntRange(0, c.Rank()).Draw(g.t, "index len")
		idx := make([]AxisIndex, k)
		for i := range idx {
			switch rapid.IntRange(0, 2).Draw(g.t, "axis index kind") {
			case 0:
				idx[i] = Int(rapid.IntRange(-3, 2).Draw(g.t, "int"))
			case 1:
				idx[i] = AxisIndex{Kind: IndexSlice, Start: g.optInt("start"), Stop: g.optInt("stop")}
			default:
				idx[i] = Positions(rapid.SliceOfN(rapid.Int64Range(-2, 2), 0, 3).Draw(g.t, "positions")...)
			}
		}
		return NewIndex(name, idx, c)
	case KindScatter:
		c := g.pick("scatter child")
		shape := make([]int, c.Rank())
		idx := make([]AxisIndex, c.Rank())
		for i, d := range c.Shape() {
			extra := rapid.IntRange(0, 2).Draw(g.t, "scatter pad")
			start := rapid.IntRange(0, extra).Draw(g.t, "scatter start")
			shape[i] = d + extra
			if extra == 0 && rapid.Bool().Draw(g.t, "full") {
				idx[i] = All()
			} else {
				idx[i] = Slice(start, start+d)
			}
		}
		return NewScatter(name, idx, shape, c)
	case KindConcat:
		c := g.pick("concat child")
		if c.Rank() == 0 {
			return nil, fmt.Errorf("rank 0")
		}
		axis := rapid.IntRange(0, c.Rank()-1).Draw(g.t, "axis")
		cs := []Circuit{c}
		for _, o := range g.pool {
			if o.Rank() == c.Rank() && len(cs) < 3 && rapid.Bool().Draw(g.t, "take") {
				cs = append(cs, o)
			}
		}
		return NewConcat(name, axis-rapid.SampledFrom([]int{0, c.Rank()}).Draw(g.t, "negative axis"), cs...)
	case KindGeneralFunction:
		f := rapid.SampledFrom(FunctionNames()).Draw(g.t, "function")
		cs := []Circuit{g.pick("function input")}
		if f == "pow" {
			cs = append(cs, g.pick("exponent"))
		}
		return NewGeneralFunction(name, f, cs...)
	case KindTag:
		return NewTag(name, g.uuid("tag uuid"), g.pick("tag child"))
	case KindModule:
		spec := g.pick("module spec")
		var syms []*Symbol
		Walk([]Circuit{spec}, func(c Circuit) {
			if s, ok := c.(*Symbol); ok {
				syms = append(syms, s)
			}
		})
		if len(syms) == 0 {
			return nil, fmt.Errorf("no symbols")
		}
		n := rapid.IntRange(1, min(2, len(syms))).Draw(g.t, "module arity")
		chosen := rapid.Permutation(syms).Draw(g.t, "bound symbols")[:n]
		var specs []ModuleArgSpec
		var args []Circuit
		for _, s := range chosen {
			a := ModuleArgSpec{Symbol: s, Batchable: rapid.Bool().Draw(g.t, "batchable"),
				Expandable: rapid.Bool().Draw(g.t, "expandable"), BanNonSymbolicSizeExpand: rapid.Bool().Draw(g.t, "ban")}
			shape := s.Shape()
			if a.Batchable && rapid.Bool().Draw(g.t, "batch") {
				shape = append([]int{2}, shape...)
			}
			var arg Circuit
			for _, o := range g.pool {
				// An argument containing the symbol it replaces can send
				// NewModule into unbounded recursion (reported to the lead);
				// such arguments are left out until that is fixed.
				if slices.Equal(o.Shape(), shape) && !ppContains(o, s) && rapid.Bool().Draw(g.t, "use pool arg") {
					arg = o
					break
				}
			}
			if arg == nil {
				arg = pp(NewScalar(1.5, shape, "arg"))
			}
			specs = append(specs, a)
			args = append(args, arg)
		}
		return NewModule(name, spec, specs, args...)
	}
	return nil, fmt.Errorf("kind %v", kind)
}

func ppContains(root Circuit, x Circuit) bool {
	found := false
	Walk([]Circuit{root}, func(c Circuit) { found = found || c.Hash() == x.Hash() })
	return found
}

// decorate sometimes renames a node or gives it named axes and AD.
func (g *ppGen) decorate(c Circuit) Circuit {
	if rapid.IntRange(0, 3).Draw(g.t, "rename") == 0 {
		c = c.Rename(rapid.SampledFrom(ppNames).Draw(g.t, "new name"))
	}
	if rapid.IntRange(0, 3).Draw(g.t, "info") == 0 {
		var na map[int]string
		for i := 0; i < c.Rank(); i++ {
			if rapid.Bool().Draw(g.t, "name axis") {
				if na == nil {
					na = map[int]string{}
				}
				na[i] = rapid.SampledFrom([]string{"batch", "seq", "d_model", "h#"}).Draw(g.t, "axis name")
			}
		}
		c = c.WithInfo(na, rapid.Bool().Draw(g.t, "AD"))
	}
	return c
}

func (g *ppGen) circuits() []Circuit {
	steps := rapid.IntRange(10, 30).Draw(g.t, "steps")
	for i := 0; i < steps; i++ {
		var c Circuit
		if len(g.pool) == 0 || rapid.IntRange(0, 3).Draw(g.t, "new leaf") == 3 {
			c = g.leaf()
		} else {
			kind := rapid.SampledFrom([]Kind{KindAdd, KindEinsum, KindRearrange, KindIndex, KindScatter,
				KindConcat, KindGeneralFunction, KindTag, KindModule}).Draw(g.t, "kind")
			n, err := g.interior(kind)
			if err != nil {
				continue
			}
			c = n
		}
		g.pool = append(g.pool, g.decorate(c))
	}
	n := rapid.IntRange(1, 3).Draw(g.t, "roots")
	roots := make([]Circuit, n)
	for i := range roots {
		roots[i] = g.pick("root")
	}
	// The first root is the largest circuit built.
	for _, c := range g.pool {
		if CountNodes(c) > CountNodes(roots[0]) {
			roots[0] = c
		}
	}
	return roots
}

func TestPrintParseRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := &ppGen{t: t, store: ppStore{}}
		roots := g.circuits()
		opts := PrintOptions{
			Arrows:     rapid.Bool().Draw(t, "arrows"),
			AllShapes:  rapid.Bool().Draw(t, "all shapes"),
			HashPrefix: rapid.SampledFrom([]int{0, 0, 20}).Draw(t, "hash prefix"),
		}
		txt := PrintCircuits(roots, opts)
		back, err := ParseCircuits(txt, ParseOptions{File: "rt.circ", Store: g.store})
		if err != nil {
			t.Fatalf("parse of printed text failed: %v\n%s", err, txt)
		}
		if len(back) != len(roots) {
			t.Fatalf("%d circuits back, want %d", len(back), len(roots))
		}
		for i := range roots {
			if !Equal(back[i], roots[i]) {
				t.Fatalf("circuit %d is not hash-equal after print and parse:\n%s\nreprinted:\n%s", i, txt, PrintCircuits(back, opts))
			}
		}
		if again := PrintCircuits(back, opts); again != txt {
			t.Fatalf("print(parse(text)) differs from text:\n%s\nvs\n%s", txt, again)
		}
	})
}

// TestParseModuleBindingItsOwnCall binds a symbol to a Module that itself
// binds that symbol. Substitution must not reach into the inner Module's
// spec (there the symbol is the inner Module's parameter), so this parses
// and evaluates to the argument: m(a) = a, o(a := m(a)) = m(a) = a.
func TestParseModuleBindingItsOwnCall(t *testing.T) {
	src := "0 Module\n  1 Module\n    2 'a' [] Symbol\n    2 ! 2\n  1 ! 2\n"
	cs, err := ParseCircuits(src, ParseOptions{File: "m.circ"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := Evaluate(cs[0], EvalOptions{DType: tensor.Float64, Bindings: map[string]*tensor.Tensor{"a": tensor.ScalarOf(tensor.Float64, 2.5)}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := v.Item(); got != 2.5 {
		t.Errorf("value %v, want 2.5", got)
	}
}
