package circuit

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The line lexer: one line of the text format into its fields.

// isWS reports the characters the format reads as whitespace: Unicode
// spaces and rust_circuit's tree-drawing characters.
func isWS(r rune) bool {
	switch r {
	case '│', '└', '├', '‣', '─':
		return true
	}
	return unicode.IsSpace(r)
}

func trimWS(s string) string { return strings.TrimFunc(s, isWS) }

// isOnlyChildMarker reports a line holding only rust_circuit's only-child
// marker, `▼` or `|/` (PrintOptions.only_child_below), and maybe a comment.
func isOnlyChildMarker(s string) bool {
	t := trimWS(s)
	if j := strings.IndexByte(t, '#'); j >= 0 {
		t = trimWS(t[:j])
	}
	return t == "▼" || t == "|/"
}

// baseLevelMarker reads a line holding only "@N" (and maybe a comment):
// later lines sit N levels deeper than their indentation says. It reports
// whether the line is one; a malformed N is an error.
func baseLevelMarker(s string) (int, bool, error) {
	t := trimWS(s)
	if j := strings.IndexByte(t, '#'); j >= 0 {
		t = trimWS(t[:j])
	}
	digits, ok := strings.CutPrefix(t, "@")
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || digits == "" || !isDigit(digits[0]) {
		return 0, true, fmt.Errorf("base-level marker %q: want \"@\" and a level (decimal digits)", t)
	}
	return n, true, nil
}

// skipLine reports blank and comment-only lines.
func skipLine(s string) bool {
	t := strings.TrimLeftFunc(s, isWS)
	return t == "" || t[0] == '#'
}

// parseLine splits a line into its fields (no semantic checks beyond syntax).
func parseLine(s string) (lineInfo, error) {
	var li lineInfo
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isWS(r) {
			break
		}
		li.indent++
		i += size
	}
	lx := &lexer{s: s, i: i}
	switch c := lx.peek(); {
	case isDigit(c):
		j := lx.i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		digits := strings.TrimLeft(s[lx.i:j], "0")
		if digits == "" {
			digits = "0"
		}
		li.key = identKey{num: true, s: digits}
		lx.i = j
	case c == '\'':
		name, err := lx.quoted()
		if err != nil {
			return li, err
		}
		li.key = identKey{s: name}
	default:
		return li, fmt.Errorf("expected a serial number or a quoted name at the start of the line, found %s", lx.snippet())
	}
	if err := lx.boundary("ident"); err != nil {
		return li, err
	}
	lx.skipWS()
	if lx.peek() == '\'' {
		name, err := lx.quoted()
		if err != nil {
			return li, err
		}
		li.name, li.hasName = name, true
		if err := lx.boundary("name"); err != nil {
			return li, err
		}
		lx.skipWS()
	}
	if lx.word() == "AD" {
		lx.i += 2
		li.ad = true
		if err := lx.boundary("AD"); err != nil {
			return li, err
		}
		lx.skipWS()
	}
	if lx.peek() == '[' {
		shape, named, err := lx.shape()
		if err != nil {
			return li, err
		}
		li.shape, li.named, li.hasShape = shape, named, true
		if err := lx.boundary("shape"); err != nil {
			return li, err
		}
		lx.skipWS()
	}
	if w := lx.word(); w != "" {
		li.kind = w
		lx.i += len(w)
		if err := lx.boundary("kind"); err != nil {
			return li, err
		}
	}
	rest := s[lx.i:]
	if j := indexUnquoted(rest, '#'); j >= 0 {
		rest = rest[:j]
	}
	if j := indexUnquoted(rest, '!'); j >= 0 {
		li.info, li.hasInfo = trimWS(rest[j+1:]), true
		rest = rest[:j]
	}
	li.extra = trimWS(rest)
	return li, nil
}

// indexUnquoted finds the first c outside single-quoted names.
func indexUnquoted(s string, c byte) int {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch {
		case inQuote && s[i] == '\\':
			i++
		case s[i] == '\'':
			inQuote = !inQuote
		case !inQuote && s[i] == c:
			return i
		}
	}
	return -1
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isLetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

type lexer struct {
	s string
	i int
}

func (l *lexer) peek() byte {
	if l.i < len(l.s) {
		return l.s[l.i]
	}
	return 0
}

func (l *lexer) skipWS() {
	for l.i < len(l.s) {
		r, size := utf8.DecodeRuneInString(l.s[l.i:])
		if !isWS(r) {
			return
		}
		l.i += size
	}
}

// word is the run of ASCII letters at the cursor (not consumed).
func (l *lexer) word() string {
	j := l.i
	for j < len(l.s) && isLetter(l.s[j]) {
		j++
	}
	return l.s[l.i:j]
}

// boundary requires a token to end at whitespace, a comment or the line end.
func (l *lexer) boundary(what string) error {
	if l.i >= len(l.s) || l.s[l.i] == '#' {
		return nil
	}
	if r, _ := utf8.DecodeRuneInString(l.s[l.i:]); isWS(r) {
		return nil
	}
	return fmt.Errorf("expected a space after the %s, found %s", what, l.snippet())
}

func (l *lexer) snippet() string {
	t := l.s[l.i:]
	if t == "" {
		return "the end of the line"
	}
	if len(t) > 20 {
		t = t[:20] + "..."
	}
	return strconv.Quote(t)
}

// quoted reads a single-quoted name, undoing QuoteName's escapes. Other
// backslash pairs are kept as written, as rust_circuit does.
func (l *lexer) quoted() (string, error) {
	start := l.i
	l.i++
	var b strings.Builder
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case c == '\'':
			l.i++
			return b.String(), nil
		case c == '\\' && l.i+1 < len(l.s):
			switch l.s[l.i+1] {
			case '\\':
				b.WriteByte('\\')
			case '\'':
				b.WriteByte('\'')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte('\\')
				b.WriteByte(l.s[l.i+1])
			}
			l.i += 2
		default:
			b.WriteByte(c)
			l.i++
		}
	}
	l.i = start
	return "", fmt.Errorf("unterminated quoted name starting %s", l.snippet())
}

// numericText removes the underscores rust_circuit's parse_numeric allows
// after the first character ("1_000", "3.____3"), so the result can go to
// strconv.
func numericText(s string) string {
	if len(s) <= 1 {
		return s
	}
	return s[:1] + strings.ReplaceAll(s[1:], "_", "")
}

// parseSize reads an axis size as rust_circuit writes one: decimal digits,
// with underscores allowed after the first, or a symbolic size ("3s",
// "2*0s"); rust_circuit's "?" has no circopt equivalent and is refused.
func parseSize(text string) (int, error) {
	if text == "" {
		return 0, fmt.Errorf("empty size (want a size like 3 or name:3)")
	}
	if !isDigit(text[0]) || strings.Trim(text, "0123456789_") != "" {
		if strings.Contains(text, "?") {
			return 0, fmt.Errorf("symbolic size %q is not supported by circopt (write the size or a symbolic size like 0s)", text)
		}
		if strings.ContainsAny(text, "*s") {
			return parseSymbolicSize(text)
		}
		return 0, fmt.Errorf("bad size %q (want a size like 3 or name:3)", text)
	}
	d, err := strconv.Atoi(numericText(text))
	if err != nil {
		return 0, fmt.Errorf("size %q is too large", text)
	}
	return d, nil
}

// shape reads "[a:2, 3,]": sizes with optional axis names, spaces allowed,
// one trailing comma allowed.
func (l *lexer) shape() ([]int, map[int]string, error) {
	end := strings.IndexByte(l.s[l.i:], ']')
	if end < 0 {
		return nil, nil, fmt.Errorf("unclosed [ in shape %s", l.snippet())
	}
	body := l.s[l.i+1 : l.i+end]
	l.i += end + 1
	parts := strings.Split(body, ",")
	if len(parts) > 0 && trimWS(parts[len(parts)-1]) == "" {
		parts = parts[:len(parts)-1]
	}
	shape := make([]int, 0, len(parts))
	var named map[int]string
	for i, part := range parts {
		part = trimWS(part)
		sizeText := part
		if name, size, ok := strings.Cut(part, ":"); ok {
			name, sizeText = trimWS(name), trimWS(size)
			if name == "" || strings.IndexFunc(name, isWS) >= 0 || strings.ContainsAny(name, ":[") {
				return nil, nil, fmt.Errorf("bad axis name in shape entry %q", part)
			}
			if named == nil {
				named = map[int]string{}
			}
			named[i] = name
		}
		d, err := parseSize(sizeText)
		if err != nil {
			return nil, nil, fmt.Errorf("bad shape entry %q: %w", part, err)
		}
		shape = append(shape, d)
	}
	return shape, named, nil
}
