package circuit

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// ppFuzzSeeds are valid and invalid circuit files for the seed corpus.
var ppFuzzSeeds = []string{
	ppHandWritten,
	"0 Add\n  1 Add\n@1\n  2 [2] Scalar 1\n@0\n3 Einsum fancy: i j, j -> i\n  4 [2,3] Scalar 1\n  5 [3] Scalar 2\n",
	"0 Add\n  1\n1 Add\n  2\n2 [2] Scalar 1\n",
	"0 'relu(h) + h' Add\n  1 'relu(h)' GeneralFunction relu\n    2 'h' Einsum ab,b->a\n      3 'W' [2,3] Array rand\n      4 'x' [3] Symbol 11111111-2222-4333-8444-555555555555\n  2\n",
	"0 'm' Module\n├‣1 'body' Add\n│ ├‣2 'x' [3] Symbol\n│ └‣3 'y' [3] Symbol 66666666-7777-4888-9999-aaaaaaaaaaaa\n├‣4 'a' [3] Scalar 2 ! 2\n└‣5 'b' [4,3] Scalar 3 ! 3 tff\n",
	"0 AD [b:2,3] Rearrange a (c:1 d) -> d () a\n  1 [2,3] Scalar 0.00001\n2 Concat -1\n  0\n  0\n3 [4] Scatter [1:3]\n  4 Index [0,[1,0]]\n    1\n5 Tag 0f0f0f0f-1e1e-4d2d-8c3c-4b4b4b4b4b4b\n  3\n",
	"0 Module\n  1 'x' [2] Symbol\n  2 [5,2] Array rand ! 3 'y' [2] Symbol rand fft\n",
	"0 GeneralFunction pow\n  1 [2] Scalar -inf\n  2 [] Scalar nan\n3 Einsum ->\n  4 [] Scalar 1\n",
	"'a' 'it\\'s' [2] Symbol\n'b' Add # comment\n  'a'\n  'a'\n'b'\n",
	"0 Add\n  1 Add\n    0\n",
	"0 Add\n   1 [] Scalar 1\n",
	"0 Add\n  1 'a' [] Scalar 1\n  1 'b'\n",
	"0 [2] Array 0a1b2c\n",
	"0 Module\n  1 [2] Scalar 0\n  2 [2] Scalar 1 ! 1\n",
	"0 'x' [2,0] Symbol\n1 Index [:, 0:0]\n  0\n",
	// rust_circuit forms: only-child markers, fancy and Greek einsums,
	// tensor-hash indices, underscores in numbers, unsupported kinds.
	"0 'out' Add\n├‣1 'r' Rearrange a -> a\n│ ▼\n│ 2 'g' GeneralFunction relu\n│ |/ # c\n│ 3 'x' [3] Scalar -1.5\n└‣4 Einsum a,a->a\n  ├‣3\n  └‣5 [3] Scalar 2\n",
	"0 Einsum fancy: batch hid, hid out -> batch out\n  1 [2,3] Scalar 1.5\n  2 [3,4] Scalar 2\n3 Einsum aα,αb->ab\n  1\n  2\n",
	"0 [6] Index [t292d9fdb22 [6],0]\n  1 [10,10] Scalar 1\n2 [1_000, 2] Scalar 1_0.5\n3 Concat 0_0\n  2\n",
	"0 Cumulant\n  1 [2, 3, 3] Scalar 1.0\n2 [?, 0s] Symbol\n▼\n",
	// gen_index: a token embedding by a known index, a batched one by a Symbol, an out-of-range id
	"0 'emb' GeneralFunction gen_index_at_0_c\n  1 'tab' [5,3] Array rand\n  2 'ids' [2,4] Scalar 3\n",
	"0 GeneralFunction gen_index_at_-1_batch_x_c\n  1 [2,7] Array rand\n  2 'lab' [2] Symbol\n",
	"0 GeneralFunction gen_index_at_-2_batch_x_no_batch_index\n  1 [5,3] Scalar 1\n  2 [4] Scalar 7\n",
}

// FuzzParseCircuits checks that no input makes the parser panic, that
// every error is one `file:line:` line, and that whatever parses prints
// to a fixed point and parses back hash-equal.
func FuzzParseCircuits(f *testing.F) {
	for _, s := range ppFuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		opts := ParseOptions{File: "fuzz.circ", MaxRandomElements: 1 << 10}
		cs, err := ParseCircuits(src, opts)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "fuzz.circ:") || strings.Contains(msg, "\n") {
				t.Fatalf("malformed error %q", msg)
			}
			if strings.Contains(msg, "internal error") {
				t.Fatalf("recovered panic: %s", msg)
			}
			return
		}
		st := ppStore{}
		st.addAll(cs)
		txt := PrintCircuits(cs, PrintOptions{})
		back, err := ParseCircuits(txt, ParseOptions{File: "reprint.circ", Store: st})
		if err != nil {
			t.Fatalf("printed form does not parse: %v\n%s", err, txt)
		}
		if len(back) != len(cs) {
			t.Fatalf("%d circuits after reprint, want %d", len(back), len(cs))
		}
		for i := range cs {
			if !Equal(back[i], cs[i]) {
				t.Fatalf("circuit %d changed after print and parse:\n%s", i, txt)
			}
		}
		if again := PrintCircuits(back, PrintOptions{}); again != txt {
			t.Fatalf("print is not a fixed point:\n%s\nthen\n%s", txt, again)
		}
		// The arrow form and a short hash prefix read back the same.
		arrows := PrintCircuits(cs, PrintOptions{Arrows: true, HashPrefix: 16})
		back, err = ParseCircuits(arrows, ParseOptions{File: "arrows.circ", Store: st})
		if err != nil {
			t.Fatalf("arrow form does not parse: %v\n%s", err, arrows)
		}
		for i := range cs {
			if !Equal(back[i], cs[i]) {
				t.Fatalf("circuit %d changed after the arrow form:\n%s", i, arrows)
			}
		}
	})
}

// FuzzParseRearrangeSpec checks that ParseRearrangeSpec never panics, that
// a parsed spec prints to text that parses to the same spec, and that
// applying it to an input of a matching shape never panics.
func FuzzParseRearrangeSpec(f *testing.F) {
	for _, s := range []string{
		"a b -> b a", "(a b) c -> c a b", "a -> a 3", "() a -> a", "a:2 (b c:3) -> (c a) b",
		"a 1 -> a", "x_1 y2 -> (y2 x_1)", "a -> a a", "a b -> a", "(a (b)) -> a b", "a -> b",
		"a:0 (b c) -> b c a", "a b:99999999999 c:99999999999 -> (a b c)", "é -> é", "a -> -> a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseRearrangeSpec(s)
		if err != nil {
			return
		}
		text := sp.String()
		sp2, err := ParseRearrangeSpec(text)
		if err != nil {
			t.Fatalf("%q prints as %q, which does not parse: %v", s, text, err)
		}
		if !reflect.DeepEqual(ppNormGroups(sp), ppNormGroups(sp2)) {
			t.Fatalf("%q prints as %q, which parses to a different spec: %+v vs %+v", s, text, sp, sp2)
		}
		if sp2.String() != text {
			t.Fatalf("String is not a fixed point: %q then %q", text, sp2.String())
		}
		// An input shape the spec accepts when its sizes are small: unknown
		// axes get size 2, known ones their size.
		in := make([]int, len(sp.In))
		for i, g := range sp.In {
			in[i] = 1
			for _, id := range g {
				d := sp.Sizes[id]
				if d < 0 {
					d = 2
				}
				if d > 1<<20 || in[i] > 1<<20 {
					return
				}
				in[i] *= d
			}
		}
		x, err := NewScalar(1, in, "x")
		if err != nil {
			return
		}
		r, err := NewRearrange("", sp, x)
		if err != nil {
			return
		}
		for _, d := range r.Shape() {
			if d < 0 {
				t.Fatalf("%q on %v gave a negative dimension: %v", s, in, r.Shape())
			}
		}
	})
}

// ppNormGroups makes nil and empty groups compare equal.
func ppNormGroups(sp RearrangeSpec) [3]any {
	norm := func(gs [][]int) [][]int {
		out := make([][]int, len(gs))
		for i, g := range gs {
			out[i] = append([]int{}, g...)
		}
		return out
	}
	return [3]any{norm(sp.In), norm(sp.Out), append([]int{}, sp.Sizes...)}
}

// FuzzParseIndex checks that ParseIndex never panics, that FormatIndex of a
// parsed index parses back to the same text, and that indexing an input of
// a small shape with it never panics.
func FuzzParseIndex(f *testing.F) {
	for _, s := range []string{
		"[0:2,3]", "[0:2,3,:,-1,[1,0,2]]", "[]", "[:]", "[None:-1]", "[1:2:1]", "[1:2:3]", "[[]]",
		"[[1,,2]]", "[ 1 , [ 2 ] ]", "[1", "[]]", "[9223372036854775807]", "[-9223372036854775808:]", "[[-1,-2]]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		idx, err := ParseIndex(s)
		if err != nil {
			return
		}
		text := FormatIndex(idx)
		idx2, err := ParseIndex(text)
		if err != nil {
			t.Fatalf("%q prints as %q, which does not parse: %v", s, text, err)
		}
		if FormatIndex(idx2) != text {
			t.Fatalf("FormatIndex is not a fixed point: %q then %q", text, FormatIndex(idx2))
		}
		shape := make([]int, len(idx))
		for i := range shape {
			shape[i] = 3
		}
		x, err := NewScalar(1, shape, "x")
		if err != nil {
			return
		}
		if n, err := NewIndex("", idx, x); err == nil {
			for _, d := range n.Shape() {
				if d < 0 || d > 3*len(s) {
					t.Fatalf("%q on %v gave shape %v", s, shape, n.Shape())
				}
			}
		}
		if n, err := NewScatter("", idx, shape, x); err == nil && !slices.Equal(n.Shape(), shape) {
			t.Fatalf("scatter %q gave shape %v", s, n.Shape())
		}
	})
}
