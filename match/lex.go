package match

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The MATCHER lexer: one token of lookahead over the source string.

type tokKind int

const (
	tEOF tokKind = iota
	tString
	tIdent
	tRegex
	tStar
	tBang
	tGT
	tGGT
	tBar
	tComma
	tLParen
	tRParen
	tBad
)

type token struct {
	kind tokKind
	pos  int    // byte offset
	text string // source text
	val  string // unquoted string / regex pattern
	err  string // tBad: what is wrong
}

type parser struct {
	src string
	off int
	tok token
}

// maxNesting bounds parenthesis depth so hostile input cannot recurse deeply.
const maxNesting = 200

func (p *parser) errf(format string, args ...any) error {
	if p.tok.kind == tBad {
		return fmt.Errorf("matcher: col %d: %s: %s", p.tok.pos+1, p.tok.err, strconv.Quote(p.tok.text))
	}
	found := "the end of the matcher"
	if p.tok.kind != tEOF {
		found = strconv.Quote(p.tok.text)
	}
	return fmt.Errorf("matcher: col %d: %s, found %s", p.tok.pos+1, fmt.Sprintf(format, args...), found)
}

// next scans one token into p.tok.
func (p *parser) next() {
	s := p.src
	for p.off < len(s) && strings.IndexByte(" \t\r\n", s[p.off]) >= 0 {
		p.off++
	}
	start := p.off
	if p.off >= len(s) {
		p.tok = token{kind: tEOF, pos: start}
		return
	}
	one := func(k tokKind) {
		p.off++
		p.tok = token{kind: k, pos: start, text: s[start:p.off]}
	}
	switch c := s[p.off]; {
	case c == '>':
		if p.off+1 < len(s) && s[p.off+1] == '>' {
			p.off += 2
			p.tok = token{kind: tGGT, pos: start, text: ">>"}
			return
		}
		one(tGT)
	case c == '|':
		one(tBar)
	case c == ',':
		one(tComma)
	case c == '(':
		one(tLParen)
	case c == ')':
		one(tRParen)
	case c == '*':
		one(tStar)
	case c == '!':
		one(tBang)
	case c == '\'':
		p.scanSingle()
	case c == '"':
		p.scanDouble()
	case c == '/':
		p.scanRegex()
	case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		for p.off < len(s) && (s[p.off] == '_' || s[p.off] >= 'a' && s[p.off] <= 'z' || s[p.off] >= 'A' && s[p.off] <= 'Z' || s[p.off] >= '0' && s[p.off] <= '9') {
			p.off++
		}
		p.tok = token{kind: tIdent, pos: start, text: s[start:p.off], val: s[start:p.off]}
	default:
		_, size := utf8.DecodeRuneInString(s[p.off:])
		p.off += size
		p.tok = token{kind: tBad, pos: start, text: s[start:p.off], err: "unexpected character"}
	}
}

// scanSingle reads 'name' with \' and \\ escapes.
func (p *parser) scanSingle() {
	s, start := p.src, p.off
	var b strings.Builder
	p.off++
	for p.off < len(s) {
		c := s[p.off]
		switch c {
		case '\'':
			p.off++
			p.tok = token{kind: tString, pos: start, text: s[start:p.off], val: b.String()}
			return
		case '\\':
			if p.off+1 < len(s) && (s[p.off+1] == '\'' || s[p.off+1] == '\\') {
				b.WriteByte(s[p.off+1])
				p.off += 2
				continue
			}
			p.tok = token{kind: tBad, pos: p.off, text: s[p.off:min(p.off+2, len(s))], err: `unknown escape in a quoted name (only \' and \\)`}
			p.off = len(s)
			return
		}
		b.WriteByte(c)
		p.off++
	}
	p.tok = token{kind: tBad, pos: start, text: s[start:], err: "unterminated quoted name (missing ')"}
}

// scanDouble reads a Go double-quoted string literal, so names print by
// Name's String ("a") read back.
func (p *parser) scanDouble() {
	s, start := p.src, p.off
	p.off++
	for p.off < len(s) {
		switch s[p.off] {
		case '\\':
			p.off += 2
			continue
		case '"':
			p.off++
			text := s[start:p.off]
			v, err := strconv.Unquote(text)
			if err != nil {
				p.tok = token{kind: tBad, pos: start, text: text, err: "invalid double-quoted name"}
				return
			}
			p.tok = token{kind: tString, pos: start, text: text, val: v}
			return
		}
		p.off++
	}
	p.off = len(s)
	p.tok = token{kind: tBad, pos: start, text: s[start:], err: `unterminated quoted name (missing ")`}
}

// scanRegex reads /pattern/; \/ is a slash, other escapes pass to the
// regular expression unchanged.
func (p *parser) scanRegex() {
	s, start := p.src, p.off
	var b strings.Builder
	p.off++
	for p.off < len(s) {
		c := s[p.off]
		if c == '\\' && p.off+1 < len(s) {
			if s[p.off+1] == '/' {
				b.WriteByte('/')
			} else {
				b.WriteString(s[p.off : p.off+2])
			}
			p.off += 2
			continue
		}
		if c == '/' {
			p.off++
			p.tok = token{kind: tRegex, pos: start, text: s[start:p.off], val: b.String()}
			return
		}
		b.WriteByte(c)
		p.off++
	}
	p.tok = token{kind: tBad, pos: start, text: s[start:], err: "unterminated regular expression (missing /)"}
}
