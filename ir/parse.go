package ir

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// ConstLookup resolves a printed constant hash prefix to its tensor (for
// example from the weights store). The tensor's content hash must start with
// the prefix.
type ConstLookup func(prefix string) (*tensor.Tensor, error)

// MaxRandomConstElements bounds the random tensors Parse invents for
// constants when no lookup is given, so a hostile file cannot exhaust memory.
const MaxRandomConstElements = 1 << 24

// Parse reads the printed form back into a program. Errors are
// "file:line: message". Blank lines and lines starting with # are ignored.
//
// A const's printed hash prefix is resolved through lookup; the constant
// table then holds the tensor under its full content hash. With a nil
// lookup the parser invents the tensor so golden files parse standalone:
// float constants are standard normal draws seeded from the prefix, int64
// constants are zeros (always valid gather indices), and the table key is
// the prefix itself so that printing reproduces the input.
func Parse(file string, src []byte, lookup ConstLookup) (*Program, error) {
	b := NewBuilder()
	resolved := map[string]string{} // prefix -> table key
	for i, raw := range bytes.Split(src, []byte("\n")) {
		lp := &lineParser{s: strings.TrimRight(string(raw), " \t\r"), file: file, line: i + 1}
		lp.skipSpace()
		if lp.done() || lp.peek() == '#' {
			continue
		}
		var err error
		if strings.HasPrefix(lp.rest(), "output") {
			err = lp.parseOutput(b)
		} else {
			err = lp.parseValue(b, lookup, resolved)
		}
		if err != nil {
			return nil, err
		}
	}
	return b.Build(), nil
}

type lineParser struct {
	s    string
	pos  int
	file string
	line int
}

func (lp *lineParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", lp.file, lp.line, fmt.Sprintf(format, args...))
}

func (lp *lineParser) done() bool   { return lp.pos >= len(lp.s) }
func (lp *lineParser) peek() byte   { return lp.s[lp.pos] }
func (lp *lineParser) rest() string { return lp.s[lp.pos:] }

func (lp *lineParser) skipSpace() {
	for !lp.done() && (lp.peek() == ' ' || lp.peek() == '\t') {
		lp.pos++
	}
}

// word returns the next run of non-space characters without consuming it
// past the token, for error messages.
func (lp *lineParser) word() string {
	end := lp.pos
	for end < len(lp.s) && lp.s[end] != ' ' && lp.s[end] != '\t' {
		end++
	}
	if end == lp.pos {
		return "end of line"
	}
	return strconv.Quote(lp.s[lp.pos:end])
}

func (lp *lineParser) expect(c byte) error {
	lp.skipSpace()
	if lp.done() || lp.peek() != c {
		return lp.errorf("expected %q, found %s", c, lp.word())
	}
	lp.pos++
	return nil
}

func (lp *lineParser) ident() (string, error) {
	lp.skipSpace()
	start := lp.pos
	for !lp.done() {
		c := lp.peek()
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			lp.pos++
			continue
		}
		break
	}
	if start == lp.pos {
		return "", lp.errorf("expected an op name, found %s", lp.word())
	}
	return lp.s[start:lp.pos], nil
}

func (lp *lineParser) valueRef() (int, error) {
	lp.skipSpace()
	if lp.done() || lp.peek() != '%' {
		return 0, lp.errorf("expected a value %%N, found %s", lp.word())
	}
	lp.pos++
	start := lp.pos
	for !lp.done() && lp.peek() >= '0' && lp.peek() <= '9' {
		lp.pos++
	}
	n, err := strconv.Atoi(lp.s[start:lp.pos])
	if err != nil {
		return 0, lp.errorf("bad value id %q", "%"+lp.s[start:lp.pos])
	}
	return n, nil
}

func (lp *lineParser) quoted() (string, error) {
	lp.skipSpace()
	if lp.done() || lp.peek() != '"' {
		return "", lp.errorf("expected a quoted string, found %s", lp.word())
	}
	end := lp.pos + 1
	for end < len(lp.s) && lp.s[end] != '"' {
		if lp.s[end] == '\\' {
			end++
		}
		end++
	}
	if end >= len(lp.s) {
		return "", lp.errorf("unterminated string")
	}
	s, err := strconv.Unquote(lp.s[lp.pos : end+1])
	if err != nil {
		return "", lp.errorf("bad string %s: %v", lp.s[lp.pos:end+1], err)
	}
	lp.pos = end + 1
	return s, nil
}

// token consumes a run of characters that may form a number.
func (lp *lineParser) token() string {
	lp.skipSpace()
	start := lp.pos
	for !lp.done() {
		c := lp.peek()
		if c == ' ' || c == '\t' || c == ',' || c == ']' || c == '[' || c == ':' {
			break
		}
		lp.pos++
	}
	return lp.s[start:lp.pos]
}

func (lp *lineParser) intLit() (int, error) {
	t := lp.token()
	n, err := strconv.Atoi(t)
	if err != nil {
		return 0, lp.errorf("expected an integer, found %q", t)
	}
	return n, nil
}

func (lp *lineParser) floatLit() (float64, error) {
	t := lp.token()
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, lp.errorf("expected a number, found %q", t)
	}
	return f, nil
}

func (lp *lineParser) intList() ([]int, error) {
	if err := lp.expect('['); err != nil {
		return nil, err
	}
	out := []int{}
	lp.skipSpace()
	if !lp.done() && lp.peek() == ']' {
		lp.pos++
		return out, nil
	}
	for {
		n, err := lp.intLit()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		lp.skipSpace()
		if lp.done() {
			return nil, lp.errorf("unterminated list")
		}
		switch lp.peek() {
		case ',':
			lp.pos++
		case ']':
			lp.pos++
			return out, nil
		default:
			return nil, lp.errorf("expected ',' or ']' in list, found %s", lp.word())
		}
	}
}

func (lp *lineParser) typ() (Type, error) {
	lp.skipSpace()
	start := lp.pos
	for !lp.done() && lp.peek() != '[' {
		lp.pos++
	}
	dt, err := tensor.ParseDType(lp.s[start:lp.pos])
	if err != nil {
		return Type{}, lp.errorf("expected a type such as f32[2,3]: %v", err)
	}
	shape, err := lp.intList()
	if err != nil {
		return Type{}, err
	}
	for _, d := range shape {
		if d < 0 {
			return Type{}, lp.errorf("negative dimension in shape %s", fmtInts(shape))
		}
	}
	return Type{DType: dt, Shape: shape}, nil
}

func (lp *lineParser) endOfLine() error {
	lp.skipSpace()
	if !lp.done() && lp.peek() != '#' {
		return lp.errorf("unexpected %s at end of line", lp.word())
	}
	return nil
}

func (lp *lineParser) parseOutput(b *Builder) error {
	lp.pos += len("output")
	name, err := lp.quoted()
	if err != nil {
		return err
	}
	id, err := lp.valueRef()
	if err != nil {
		return err
	}
	if err := lp.endOfLine(); err != nil {
		return err
	}
	if err := b.Output(name, id); err != nil {
		return lp.errorf("%v", err)
	}
	return nil
}

func (lp *lineParser) parseValue(b *Builder, lookup ConstLookup, resolved map[string]string) error {
	id, err := lp.valueRef()
	if err != nil {
		return err
	}
	if err := lp.expect('='); err != nil {
		return err
	}
	name, err := lp.ident()
	if err != nil {
		return err
	}
	d, ok := Lookup(Op(name))
	if !ok {
		return lp.errorf("unknown op %q", name)
	}
	attrs := Attrs{}
	for _, s := range d.Attrs {
		var v any
		switch s.Kind {
		case AttrString:
			v, err = lp.quoted()
		case AttrInt:
			v, err = lp.intLit()
		case AttrInts:
			v, err = lp.intList()
		case AttrFloat:
			v, err = lp.floatLit()
		}
		if err != nil {
			return lp.errorf("%s attribute %q: %v", name, s.Name, stripPos(err, lp))
		}
		attrs[s.Name] = v
	}
	var operands []int
	for {
		lp.skipSpace()
		if lp.done() || lp.peek() != '%' {
			break
		}
		o, err := lp.valueRef()
		if err != nil {
			return err
		}
		operands = append(operands, o)
	}
	if err := lp.expect(':'); err != nil {
		return err
	}
	t, err := lp.typ()
	if err != nil {
		return err
	}
	if err := lp.endOfLine(); err != nil {
		return err
	}
	if d.Name == OpConst {
		key, err := resolveConst(b, attrs.String("hash"), t, lookup, resolved)
		if err != nil {
			return lp.errorf("%v", err)
		}
		attrs["hash"] = key
	}
	if _, err := b.add(id, d.Name, attrs, &t, operands); err != nil {
		return lp.errorf("%%%d: %v", id, err)
	}
	return nil
}

// stripPos removes this line's "file:line: " prefix from a nested error so
// messages carry it once.
func stripPos(err error, lp *lineParser) string {
	return strings.TrimPrefix(err.Error(), fmt.Sprintf("%s:%d: ", lp.file, lp.line))
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func resolveConst(b *Builder, prefix string, t Type, lookup ConstLookup, resolved map[string]string) (string, error) {
	if prefix == "" || len(prefix) > 64 || !isHex(prefix) {
		return "", fmt.Errorf("const hash %q must be 1 to 64 lowercase hex digits", prefix)
	}
	if key, ok := resolved[prefix]; ok {
		return key, nil
	}
	var key string
	var c *tensor.Tensor
	if lookup != nil {
		got, err := lookup(prefix)
		if err != nil {
			return "", fmt.Errorf("const %s: %v", prefix, err)
		}
		if got == nil {
			return "", fmt.Errorf("const %s: lookup returned no tensor", prefix)
		}
		key = tensor.ContentHashHex(got)
		if !strings.HasPrefix(key, prefix) {
			return "", fmt.Errorf("const %s: resolved tensor has hash %s", prefix, shortHash(key))
		}
		c = got
	} else {
		if t.NumElements() > MaxRandomConstElements || t.NumElements() < 0 {
			return "", fmt.Errorf("const %s: %v is too large to invent without a tensor store", prefix, t)
		}
		var err error
		if t.DType.IsFloat() {
			h := fnv.New64a()
			h.Write([]byte(prefix))
			c, err = tensor.RandN(t.DType, t.Shape, h.Sum64())
		} else {
			c, err = tensor.Zeros(t.DType, t.Shape)
		}
		if err != nil {
			return "", fmt.Errorf("const %s: %v", prefix, err)
		}
		key = prefix
	}
	b.AddConstTensor(key, c)
	resolved[prefix] = key
	return key, nil
}
