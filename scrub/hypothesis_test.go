package scrub

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestParseHypothesis(t *testing.T) {
	src := `{"nodes": [
  {"name": "out"},
  {"name": "a", "parent": "out", "match": "'A'", "agree_on": ["x0"], "other_inputs": "exact"},
  {"name": "b", "parent": "a", "match": "'A' >> 'x'", "exact": true}
]}`
	h, err := ParseHypothesis("H.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Nodes) != 3 || h.Nodes[1].Line != 3 || h.Nodes[2].Line != 4 || !h.Nodes[2].Exact || h.Nodes[1].AgreeOn[0] != "x0" {
		t.Fatalf("parsed %+v", h.Nodes)
	}
}

func TestParseHypothesisErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"", `H.json:1: unexpected end`},
		{"{\"nodes\": [\n{\"name\": \"a\"},\n{\"name\": \"b\" \"parent\": \"a\"}]}", `H.json:3: invalid character`},
		{"{\"nodes\": [\n{\"name\": \"a\"},\n{\"name\": \"b\", \"parent\": \"a\", \"match\": 3}]}", `H.json:3: field "match": want string`},
		{"{\"nodes\": [\n{\"name\": \"a\"},\n\n{\"name\": \"b\", \"parnt\": \"a\"}]}", `H.json:4: json: unknown field "parnt"`},
		{"{\"nodes\": [\n{\"name\": \"a\"},\n{\"name\": \"a\", \"parent\": \"a\", \"match\": \"*\"}]}", `H.json:3: interp node "a": duplicate interp node name (first at line 2)`},
		{"{\"nodes\": [\n{\"name\": \"a\"},\n{\"name\": \"b\", \"parent\": \"zz\", \"match\": \"*\"}]}", `H.json:3: interp node "b": unknown parent "zz"`},
		{"{\"nodes\": [\n{\"name\": \"a\"},\n{\"name\": \"b\", \"parent\": \"a\"}]}", `H.json:3: interp node "b": needs a "match"`},
		{"{\"nodes\": [\n{\"name\": \"a\", \"exact\": true, \"agree_on\": [\"x\"]}]}", `H.json:2: interp node "a": "exact" and "agree_on" exclude each other`},
		{"{\"nodes\": [\n{\"name\": \"a\", \"other_inputs\": \"maybe\"}]}", `H.json:2: interp node "a": "other_inputs" must be`},
		{"{\"nodes\": []}", `H.json:1: the hypothesis has no nodes`},
		{"{\"nodez\": []}", `H.json:1: unknown key "nodez"`},
		{"{\"nodes\": [{\"name\": \"a\"}]} {}", `H.json:1: unexpected data after`},
		{"[]", `H.json:1: expected "{"`},
		{"{\"nodes\": [\n{}]}", `H.json:2: interp node without a "name"`},
	} {
		_, err := ParseHypothesis("H.json", []byte(tc.src))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want prefix %q", tc.src, err, tc.want)
		}
	}
}

func TestHypothesisCorrespondenceErrors(t *testing.T) {
	ds := digitsDS(t)
	h, err := ParseHypothesis("H.json", []byte("{\"nodes\": [\n{\"name\": \"a\"},\n{\"name\": \"b\", \"parent\": \"a\", \"match\": \"'x'\", \"agree_on\": [\"nope\"]}]}"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Correspondence(ds)
	var ce *ColumnError
	if !errors.As(err, &ce) || ce.Column != "nope" || !strings.HasPrefix(err.Error(), `H.json:3: interp node "b": dataset column "nope"`) {
		t.Fatalf("unknown column: %v", err)
	}
	h, _ = ParseHypothesis("H.json", []byte("{\"nodes\": [\n{\"name\": \"a\"},\n{\"name\": \"b\", \"parent\": \"a\", \"match\": \"'x' >\"}]}"))
	if _, err = h.Correspondence(ds); err == nil || !strings.HasPrefix(err.Error(), `H.json:3: interp node "b": match:`) {
		t.Fatalf("bad matcher: %v", err)
	}
	h, _ = ParseHypothesis("H.json", []byte("{\"nodes\": [\n{\"name\": \"a\", \"parent\": \"b\", \"match\": \"*\"},\n{\"name\": \"b\", \"parent\": \"a\", \"match\": \"*\"}]}"))
	corr, err := h.Correspondence(ds)
	if err != nil {
		t.Fatal(err)
	}
	_, err = corr.Order()
	wantCorrErr(t, err, ErrCycle)
}

var fileLine = regexp.MustCompile(`^F\.json:[0-9]+: `)

// FuzzParseHypothesis: any input parses or fails with one FILE:LINE: line,
// never a panic; what parses builds a correspondence or fails cleanly.
func FuzzParseHypothesis(f *testing.F) {
	for _, s := range []string{
		`{"nodes":[{"name":"out"},{"name":"a","parent":"out","match":"'A' >> 'x0'","agree_on":["x0"]}]}`,
		`{"nodes":[{"name":"out","other_inputs":"exact"},{"name":"y","parent":"out","match":"'labels'","exact":true}]}`,
		`{"nodes":[{"name":"a","parent":"b","match":"*"},{"name":"b","parent":"a","match":"*"}]}`,
		"{\"nodes\": [\n{\"name\": \"b\" \"parent\": \"a\"}]}",
		`{"nodes":[{"name":"a","agree_on":[1]}]}`,
		`{}`, `[`, ``,
	} {
		f.Add([]byte(s))
	}
	ds := intDataset(f, 20, 2, func(x []float64) float64 { return x[0] })
	f.Fuzz(func(t *testing.T, src []byte) {
		h, err := ParseHypothesis("F.json", src)
		if err != nil {
			if msg := err.Error(); !fileLine.MatchString(msg) || strings.Contains(msg, "\n") {
				t.Fatalf("error not one FILE:LINE: line: %q", msg)
			}
			return
		}
		corr, err := h.Correspondence(ds)
		if err != nil {
			return
		}
		_, _ = corr.Order()
	})
}
