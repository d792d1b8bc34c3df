package match

import (
	"strings"
	"testing"

	"github.com/circopt/circopt/circuit"
)

func TestParseMatcher(t *testing.T) {
	d := dag(t)
	cases := []struct {
		src   string
		want  []string
		print string
	}{
		{`'x'`, []string{"x"}, `"x"`},
		{` "x" `, []string{"x"}, `"x"`},
		{`Add`, []string{"h", "g"}, `Add`},
		{`GeneralFunction`, []string{"f"}, `GeneralFunction`},
		{`/^[fg]$/`, []string{"g", "f"}, `re-escdot'^[fg]$'`},
		{`*`, []string{"h", "g", "f", "x", "y"}, `Always`},
		{`False`, nil, `Never`},
		{`!Add`, []string{"f", "x", "y"}, `Not Add`},
		{`!!'x'`, []string{"x"}, `Not Not "x"`},
		{`'x' | 'y'`, []string{"x", "y"}, `Any("x", "y")`},
		{`'x', Add`, []string{"h", "g", "x"}, `Any("x", Add)`},
		{`'h' > 'x'`, []string{"x"}, `["h" -> Restrict{depth_range: 1:2, matcher: "x"}]`},
		{`'g' > 'x'`, nil, ""},
		{`'g' >> 'x'`, []string{"x"}, `["g" -> Restrict{depth_range: 1:, matcher: "x"}]`},
		{`Add >> Add`, []string{"g"}, ""},
		{`'h' > 'g' > 'f' > 'x'`, []string{"x"}, ""},
		{`'h' >> 'g' > 'x'`, nil, ""},
		{`'h' >> 'g' >> 'x'`, []string{"x"}, ""},
		{`'h' > ('g' >> Array)`, []string{"x", "y"}, ""},
		{`('h' > 'g') > 'y'`, []string{"y"}, ""},
		{`'h' > 'x' | 'f'`, []string{"f", "x"}, ""},
		{`'h' > ('x' | 'g')`, []string{"g", "x"}, `["h" -> Restrict{depth_range: 1:2, matcher: Any("x", "g")}]`},
		{`'h' > !Add`, []string{"x"}, ""},
		{`(((('y'))))`, []string{"y"}, `"y"`},
		{"'h'>'x'", []string{"x"}, ""},
		// A path on the right of > or >> starts exactly at the child / below.
		{`'h' >> ('f' > 'x')`, []string{"x"}, ""},
		{`'h' > ('f' > 'x')`, nil, ""},
		{`'g' > ('f' > 'x')`, []string{"x"}, `["g" -> StartAtChildren([Restrict{depth_range: :1, matcher: "f"} -> Restrict{depth_range: 1:2, matcher: "x"}])]`},
		{`'h' >> ('g' >> 'x')`, []string{"x"}, ""},
		{`'g' >> ('g' >> 'x')`, nil, ""},
		{`'h' > ('g' > 'f' | 'x')`, []string{"f", "x"}, ""},
		{`('h' | 'g') > Array`, []string{"y", "x"}, ""},
		{`('h' > 'g' | 'f') > 'x'`, []string{"x"}, ""},
		{`('h' > 'g' | 'f') > 'y'`, []string{"y"}, ""},
	}
	for _, c := range cases {
		m, err := ParseMatcher(c.src)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		wantNames(t, c.src, get(t, d.h, m), c.want...)
		if c.print != "" && m.String() != c.print {
			t.Errorf("%s prints %s, want %s", c.src, m.String(), c.print)
		}
	}
}

func TestParseNames(t *testing.T) {
	for _, c := range []struct{ src, name string }{
		{`'it\'s'`, `it's`},
		{`'a\\b'`, `a\b`},
		{`'a b.c'`, `a b.c`},
		{`"tab\there"`, "tab\there"},
		{`"q\"x"`, `q"x`},
		{`''`, ``},
	} {
		m := parse(t, c.src)
		n := must(circuit.NewScalar(1, nil, c.name))
		if !m.(Matcher).Match(n) {
			t.Errorf("%s does not match the name %q", c.src, c.name)
		}
		// Name's String form reads back.
		again := parse(t, m.String())
		if !again.(Matcher).Match(n) {
			t.Errorf("%s: printed form %s does not read back", c.src, m)
		}
	}
	// rust_circuit's escape_dot: "." is a literal dot, "\." any character
	m := parse(t, `/a\/b./`)
	if !m.(Matcher).Match(must(circuit.NewScalar(1, nil, "xa/b.y"))) || m.(Matcher).Match(must(circuit.NewScalar(1, nil, "a/bzy"))) {
		t.Errorf("regex with \\/ and . wrong")
	}
	m = parse(t, `/^a\.[.]c$/`)
	if !m.(Matcher).Match(must(circuit.NewScalar(1, nil, "az.c"))) || m.(Matcher).Match(must(circuit.NewScalar(1, nil, "azzc"))) {
		t.Errorf("regex with \\. and [.] wrong")
	}
	// an unnamed node never matches, even a pattern every name matches
	if parse(t, `/\.*/`).(Matcher).Match(must(circuit.NewScalar(1, nil, ""))) {
		t.Errorf("unnamed node matched a regex")
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{``, `matcher: col 1: expected a matcher: a quoted name ('x'), a node kind (Einsum), a /regex/, * or '(', found the end of the matcher`},
		{`'x' >`, `matcher: col 6: expected a matcher: a quoted name ('x'), a node kind (Einsum), a /regex/, * or '(', found the end of the matcher`},
		{`> 'x'`, `matcher: col 1: expected a matcher: a quoted name ('x'), a node kind (Einsum), a /regex/, * or '(', found ">"`},
		{`'x' 'y'`, `matcher: col 5: expected '>', '>>', '|', ',' or the end of the matcher, found "'y'"`},
		{`'x`, `matcher: col 1: unterminated quoted name (missing '): "'x"`},
		{`"x`, `matcher: col 1: unterminated quoted name (missing "): "\"x"`},
		{`"\q"`, `matcher: col 1: invalid double-quoted name: "\"\\q\""`},
		{`'a\n'`, `matcher: col 3: unknown escape in a quoted name (only \' and \\): "\\n"`},
		{`/ab`, `matcher: col 1: unterminated regular expression (missing /): "/ab"`},
		{`/a(/`, "matcher: col 1: match: bad regular expression /a(/: error parsing regexp: missing closing ): `a(`"},
		{"/a\n(/", "matcher: col 1: match: bad regular expression /a\\n(/: error parsing regexp: missing closing ): `a\\n(`"},
		{`Einsom`, `matcher: col 1: unknown node kind "Einsom": expected one of Array, Scalar, Symbol, Add, Einsum, Rearrange, Index, Concat, GeneralFunction, Scatter, Tag, Module, Cumulant, DiscreteVar, StoredCumulantVar, or a quoted name ('Einsom')`},
		{`('x'`, `matcher: col 5: expected ')' closing the '(' at col 1, found the end of the matcher`},
		{`'x')`, `matcher: col 4: expected '>', '>>', '|', ',' or the end of the matcher, found ")"`},
		{`'a' | `, `matcher: col 7: expected a matcher: a quoted name ('x'), a node kind (Einsum), a /regex/, * or '(', found the end of the matcher`},
		{`!('a' > 'b')`, `matcher: col 1: '!' needs a node matcher (a name, kind, regex or * or a | of those), not the path ["a" -> Restrict{depth_range: 1:2, matcher: "b"}]`},
		{`'a' & 'b'`, `matcher: col 5: unexpected character: "&"`},
		{`'a' > é`, `matcher: col 7: unexpected character: "é"`},
		{strings.Repeat("(", 300) + "'a'" + strings.Repeat(")", 300), `matcher: col 202: nesting deeper than 200, found "("`},
	}
	for _, c := range cases {
		_, err := ParseMatcher(c.src)
		if err == nil {
			t.Errorf("%q: no error", c.src)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.src, err, c.want)
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("%q: error is not one line", c.src)
		}
	}
}

func FuzzParseMatcher(f *testing.F) {
	for _, s := range []string{
		`'x'`, `"x"`, `Einsum`, `/^a0\./`, `'skip' > 'x'`, `'first' >> 'x'`,
		`'a' >> 'b' > 'c'`, `'a' | Add, /b/`, `!('a' | 'b')`, `(('a'))`, `*`, `True`, `False`,
		`'it\'s'`, `"tab\t"`, `/a\/b/`, `'h' > ('x' | 'g')`, ``, `>`, `'x`, `/a(/`, `Einsom`, `!('a' > 'b')`,
	} {
		f.Add(s)
	}
	d := dag(f)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMatcher(s)
		if err != nil {
			if m != nil {
				t.Fatalf("%q: matcher and error", s)
			}
			if strings.ContainsAny(err.Error(), "\r\n") || !strings.HasPrefix(err.Error(), "matcher: col ") {
				t.Fatalf("%q: bad error %q", s, err)
			}
			return
		}
		if m.String() == "" {
			t.Fatalf("%q: empty String", s)
		}
		// Whatever parses can be run: parsed matchers never fail a walk.
		if _, err := Get(d.h, m); err != nil {
			t.Fatalf("%q: Get: %v", s, err)
		}
		if _, err := Update(d.h, m, func(c circuit.Circuit) (circuit.Circuit, error) { return c, nil }, UpdateOptions{}); err != nil {
			t.Fatalf("%q: Update: %v", s, err)
		}
	})
}
