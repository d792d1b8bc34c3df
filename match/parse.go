package match

import (
	"fmt"
	"strings"

	"github.com/circopt/circopt/circuit"
)

// ParseMatcher reads the MATCHER text form used by the CLI:
//
//	'x'  "x"         a node named x ('...' escapes \' and \\; "..." is a Go string literal)
//	Einsum           a node kind (Array, Scalar, Symbol, Add, Einsum, Rearrange,
//	                 Index, Concat, GeneralFunction, Scatter, Tag, Module)
//	/^a0./           a regular expression searched in names, as rust_circuit's
//	                 Regex(escape_dot=True): "." is a literal dot and "\." any
//	                 character (\/ for a slash); unnamed nodes never match
//	*                any node (True); False matches none
//	!A               a node A does not match (A must be a node matcher, not a path)
//	A > B            a B that is a child of an A          Chain(A, DirectChild(B))
//	A >> B           a B anywhere strictly below an A     Chain(A, Below(B))
//	A | B, A , B     a node found by A or by B            Any / IterAny
//	( A )            grouping
//	A > (B >> C)     a C below a B that is a child of an A (a path on the
//	                 right of > or >> starts exactly there)
//
// Precedence, loosest first: | and , then > and >> (left-associative, so
// 'a' >> 'b' > 'c' is a c that is a child of a b below an a), then !.
// 'skip' > 'x' is the x feeding the skip connection directly; 'first' >> 'x'
// is the x feeding first. Errors are one line giving the column (1-based,
// in bytes) and what was expected.
func ParseMatcher(s string) (IterativeMatcher, error) {
	p := &parser{src: s}
	p.next()
	syn, err := p.expr(0)
	if err == nil && p.tok.kind != tEOF {
		err = p.errf("expected '>', '>>', '|', ',' or the end of the matcher")
	}
	if err != nil {
		return nil, oneLine(err)
	}
	return compile(syn, false), nil
}

// lineError is an error whose message had its line breaks escaped; it
// still unwraps to the original.
type lineError struct {
	msg string
	err error
}

func (e *lineError) Error() string { return e.msg }
func (e *lineError) Unwrap() error { return e.err }

// oneLine keeps a message on one line (a regular expression may hold a
// newline) without losing the error it wraps.
func oneLine(err error) error {
	msg := err.Error()
	if !strings.ContainsAny(msg, "\r\n") {
		return err
	}
	return &lineError{msg: strings.ReplaceAll(strings.ReplaceAll(msg, "\r", `\r`), "\n", `\n`), err: err}
}

// The parser builds a small syntax tree first, because what a path operand
// means depends on where it stands: on the right of '>' or '>>' a path's
// first link is anchored at the node where it starts (see compile).
type syntax struct {
	pos   int
	plain Matcher   // a node matcher (name, kind, regex, *, !, or | of those)
	alts  []*syntax // A | B where some alternative is a path
	first *syntax   // a path: first, then links
	links []link
}

type link struct {
	child bool // '>' (a child) rather than '>>' (anywhere below)
	to    *syntax
}

// expr := path { ('|' | ',') path }
func (p *parser) expr(depth int) (*syntax, error) {
	first, err := p.path(depth)
	if err != nil {
		return nil, err
	}
	alts := []*syntax{first}
	for p.tok.kind == tBar || p.tok.kind == tComma {
		p.next()
		m, err := p.path(depth)
		if err != nil {
			return nil, err
		}
		alts = append(alts, m)
	}
	if len(alts) == 1 {
		return first, nil
	}
	plain := make([]Matcher, 0, len(alts))
	for _, a := range alts {
		if a.plain == nil {
			return &syntax{pos: first.pos, alts: alts}, nil
		}
		plain = append(plain, a.plain)
	}
	return &syntax{pos: first.pos, plain: Any(plain...)}, nil
}

// path := unary { ('>' | '>>') unary }
func (p *parser) path(depth int) (*syntax, error) {
	first, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	var links []link
	for p.tok.kind == tGT || p.tok.kind == tGGT {
		child := p.tok.kind == tGT
		p.next()
		m, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		links = append(links, link{child: child, to: m})
	}
	if links == nil {
		return first, nil
	}
	return &syntax{pos: first.pos, first: first, links: links}, nil
}

// unary := '!' unary | atom
func (p *parser) unary(depth int) (*syntax, error) {
	if p.tok.kind != tBang {
		return p.atom(depth)
	}
	if depth > maxNesting {
		// checked before recursing, so a long run of '!' costs its bound
		return nil, p.errf("nesting deeper than %d", maxNesting)
	}
	bang := p.tok
	p.next()
	m, err := p.unary(depth + 1)
	if err != nil {
		return nil, err
	}
	if m.plain == nil {
		return nil, fmt.Errorf("matcher: col %d: '!' needs a node matcher (a name, kind, regex or * or a | of those), not the path %s", bang.pos+1, compile(m, false))
	}
	return &syntax{pos: bang.pos, plain: Not(m.plain)}, nil
}

const atomWanted = "expected a matcher: a quoted name ('x'), a node kind (Einsum), a /regex/, * or '('"

// atom := STRING | KIND | REGEX | '*' | True | False | '(' expr ')'
func (p *parser) atom(depth int) (*syntax, error) {
	if depth > maxNesting {
		return nil, p.errf("nesting deeper than %d", maxNesting)
	}
	t := p.tok
	leaf := func(m Matcher) (*syntax, error) {
		p.next()
		return &syntax{pos: t.pos, plain: m}, nil
	}
	switch t.kind {
	case tString:
		return leaf(Name(t.val))
	case tRegex:
		m, err := Regex(t.val)
		if err != nil {
			return nil, fmt.Errorf("matcher: col %d: %w", t.pos+1, err)
		}
		return leaf(m)
	case tStar:
		return leaf(True())
	case tIdent:
		switch t.val {
		case "True":
			return leaf(True())
		case "False":
			return leaf(False())
		}
		k, ok := circuit.ParseKind(t.val)
		if !ok {
			names := []string{}
			for _, k := range append(circuit.AllKinds(), circuit.SamplingKinds()...) {
				names = append(names, k.String())
			}
			return nil, fmt.Errorf("matcher: col %d: unknown node kind %q: expected one of %s, or a quoted name ('%s')", t.pos+1, t.val, strings.Join(names, ", "), t.val)
		}
		return leaf(Kind(k))
	case tLParen:
		p.next()
		m, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, p.errf("expected ')' closing the '(' at col %d", t.pos+1)
		}
		p.next()
		return m, nil
	}
	return nil, p.errf(atomWanted)
}

// compile turns syntax into a matcher. anchored means the matcher's first
// link may only find its starting node: that is how a path on the right of
// '>' or '>>' reads ('h' > ('g' >> Array) is an Array below a g that is a
// child of h, not an Array below any g found below a child of h).
func compile(s *syntax, anchored bool) IterativeMatcher {
	switch {
	case s.plain != nil:
		if anchored {
			return Restrict(s.plain, RestrictOptions{EndDepth: 1})
		}
		return s.plain
	case s.alts != nil:
		ms := make([]IterativeMatcher, len(s.alts))
		for i, a := range s.alts {
			ms[i] = compile(a, anchored)
		}
		return IterAny(ms...)
	}
	rest := make([]IterativeMatcher, len(s.links))
	for i, l := range s.links {
		switch {
		case l.to.plain != nil && l.child:
			rest[i] = DirectChild(l.to.plain)
		case l.to.plain != nil:
			rest[i] = Below(l.to.plain)
		case l.child:
			rest[i] = newStartAt(compile(l.to, true), "a")
		default:
			rest[i] = newStartAt(compile(l.to, true), "b")
		}
	}
	return Chain(compile(s.first, anchored), rest...)
}

// startAt starts p at the children of its starting node (k "a"), or at
// every node strictly below it (k "b"); the starting node is not found.
type startAt struct {
	p  IterativeMatcher
	k  string // "a": children; "b": anywhere below; "B": here and anywhere below
	kk string // the state key
}

func newStartAt(p IterativeMatcher, k string) *startAt {
	return &startAt{p: p, k: k, kk: compactKey("@" + k + "(" + p.key() + ")")}
}

func (s *startAt) Step(c circuit.Circuit) (Result, error) {
	switch s.k {
	case "a":
		return Result{Next: s.p}, nil
	case "b":
		return Result{Next: newStartAt(s.p, "B")}, nil
	}
	r, err := s.p.Step(c)
	if err != nil {
		return Result{}, err
	}
	return mergeResults(len(c.Children()), r, Result{Next: s}), nil
}

func (s *startAt) String() string {
	switch s.k {
	case "a":
		return "StartAtChildren(" + s.p.String() + ")"
	case "b":
		return "StartBelow(" + s.p.String() + ")"
	}
	return "StartHereOrBelow(" + s.p.String() + ")"
}

func (s *startAt) key() string { return s.kk }
