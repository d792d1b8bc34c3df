package scrub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/circopt/circopt/match"
)

// NodeSpec is one interp node of a hypothesis file.
type NodeSpec struct {
	Name        string   `json:"name"`
	Parent      string   `json:"parent"`
	Match       string   `json:"match"`
	AgreeOn     []string `json:"agree_on"`
	Exact       bool     `json:"exact"`
	OtherInputs string   `json:"other_inputs"`
	// Line is where the node's object starts in the file.
	Line int `json:"-"`
}

// Hypothesis is a parsed hypothesis file:
// {"nodes":[{"name","parent","match","agree_on","exact","other_inputs"}]}.
// The node without a parent is the root; its datum is the reference itself
// (which agrees with itself on any agree_on columns it names).
type Hypothesis struct {
	File  string
	Nodes []NodeSpec
}

// LoadHypothesis reads and parses a hypothesis file.
func LoadHypothesis(path string) (*Hypothesis, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseHypothesis(path, src)
}

// lineAt is the 1-based line of byte offset off.
func lineAt(src []byte, off int64) int {
	if off > int64(len(src)) {
		off = int64(len(src))
	}
	if off < 0 {
		off = 0
	}
	return 1 + bytes.Count(src[:off], []byte("\n"))
}

// ParseHypothesis parses src; errors read FILE:LINE: message.
func ParseHypothesis(file string, src []byte) (*Hypothesis, error) {
	h := &Hypothesis{File: file}
	dec := json.NewDecoder(bytes.NewReader(src))
	fail := func(off int64, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", file, lineAt(src, off), fmt.Sprintf(format, args...))
	}
	jsonErr := func(err error) error {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fail(se.Offset, "%v", se)
		case errors.As(err, &te):
			return fail(te.Offset, "field %q: want %v, got JSON %s", te.Field, te.Type, te.Value)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return fail(int64(len(src)), "unexpected end of the file")
		}
		return fail(dec.InputOffset(), "%v", err)
	}
	expect := func(want json.Delim) error {
		tok, err := dec.Token()
		if err != nil {
			return jsonErr(err)
		}
		if d, ok := tok.(json.Delim); !ok || d != want {
			return fail(dec.InputOffset(), "expected %q, found %q", string(want), fmt.Sprint(tok))
		}
		return nil
	}
	if err := expect('{'); err != nil {
		return nil, err
	}
	seenNodes := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonErr(err)
		}
		key, _ := tok.(string)
		if key != "nodes" {
			return nil, fail(dec.InputOffset(), "unknown key %q (want \"nodes\")", fmt.Sprint(tok))
		}
		if seenNodes {
			return nil, fail(dec.InputOffset(), "\"nodes\" given twice")
		}
		seenNodes = true
		if err := expect('['); err != nil {
			return nil, err
		}
		for dec.More() {
			start := dec.InputOffset()
			// the node starts after the separating comma and white space
			for start < int64(len(src)) && strings.ContainsRune(" \t\r\n,", rune(src[start])) {
				start++
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, jsonErr(err)
			}
			var ns NodeSpec
			nd := json.NewDecoder(bytes.NewReader(raw))
			nd.DisallowUnknownFields()
			if err := nd.Decode(&ns); err != nil {
				var se *json.SyntaxError
				var te *json.UnmarshalTypeError
				switch {
				case errors.As(err, &te):
					return nil, fail(start+te.Offset, "field %q: want %v, got JSON %s", te.Field, te.Type, te.Value)
				case errors.As(err, &se):
					return nil, fail(start+se.Offset, "%v", se)
				}
				return nil, fail(start, "%v", err)
			}
			ns.Line = lineAt(src, start)
			h.Nodes = append(h.Nodes, ns)
		}
		if err := expect(']'); err != nil {
			return nil, err
		}
	}
	if err := expect('}'); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail(dec.InputOffset(), "unexpected data after the hypothesis object")
	}
	if !seenNodes || len(h.Nodes) == 0 {
		return nil, fail(0, "the hypothesis has no nodes (want {\"nodes\":[...]})")
	}
	return h, h.validate()
}

// validate checks what needs no model or data.
func (h *Hypothesis) validate() error {
	names := map[string]int{}
	for _, n := range h.Nodes {
		at := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: interp node %q: %s", h.File, n.Line, n.Name, fmt.Sprintf(format, args...))
		}
		switch {
		case n.Name == "":
			return fmt.Errorf("%s:%d: interp node without a \"name\"", h.File, n.Line)
		case names[n.Name] != 0:
			return at("%v (first at line %d)", ErrDuplicateName, names[n.Name])
		case n.Exact && len(n.AgreeOn) > 0:
			return at("\"exact\" and \"agree_on\" exclude each other")
		case n.OtherInputs != "" && n.OtherInputs != "uncond" && n.OtherInputs != "exact":
			return at("\"other_inputs\" must be \"uncond\" or \"exact\", got %q", n.OtherInputs)
		case n.Parent != "" && n.Match == "":
			return at("needs a \"match\" (only the root may omit it)")
		}
		for _, c := range n.AgreeOn {
			if c == "" {
				return at("empty column name in \"agree_on\"")
			}
		}
		names[n.Name] = n.Line
	}
	for _, n := range h.Nodes {
		if n.Parent != "" && names[n.Parent] == 0 {
			return fmt.Errorf("%s:%d: interp node %q: unknown parent %q", h.File, n.Line, n.Name, n.Parent)
		}
	}
	return nil
}

// Correspondence builds the interp tree and its matchers. Columns named in
// agree_on must exist in ds (the error names the column).
func (h *Hypothesis) Correspondence(ds *Dataset) (*Correspondence, error) {
	nodes := map[string]*InterpNode{}
	at := func(n NodeSpec, err error) error {
		return fmt.Errorf("%s:%d: interp node %q: %w", h.File, n.Line, n.Name, err)
	}
	for _, n := range h.Nodes {
		for _, c := range n.AgreeOn {
			if _, err := ds.Array(c); err != nil {
				return nil, at(n, err)
			}
		}
		var cond Sampler = &UncondSampler{}
		switch {
		case n.Exact, n.Parent == "":
			cond = ExactSampler{}
		case len(n.AgreeOn) > 0:
			cond = AgreeOn(n.AgreeOn...)
		}
		var other Sampler = &UncondSampler{}
		if n.OtherInputs == "exact" {
			other = ExactSampler{}
		}
		nodes[n.Name] = NewInterpNode(n.Name, cond, other)
	}
	corr := NewCorrespondence()
	for _, n := range h.Nodes {
		if n.Parent != "" {
			nodes[n.Parent].AddChild(nodes[n.Name])
		}
	}
	for _, n := range h.Nodes {
		var m match.IterativeMatcher
		if n.Match == "" {
			m = rootMatcher
		} else {
			var err error
			if m, err = parseMatcherShared(n.Match); err != nil {
				return nil, at(n, fmt.Errorf("match: %w", err))
			}
		}
		if err := corr.Add(nodes[n.Name], m); err != nil {
			return nil, at(n, err)
		}
	}
	return corr, nil
}

// Line returns the line of the named node (0 if unknown), to place
// correspondence errors in the file.
func (h *Hypothesis) Line(node string) int {
	for _, n := range h.Nodes {
		if n.Name == node {
			return n.Line
		}
	}
	return 0
}
