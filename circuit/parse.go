package circuit

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/circopt/circopt/tensor"
)

// TensorResolver finds a stored tensor by a prefix of its content hash and
// returns it with its full hash. *weights.Store implements it.
type TensorResolver interface {
	Resolve(prefix string) (*tensor.Tensor, string, error)
}

// ErrNotStored, wrapped by a TensorResolver's error, says the hash is not
// in the store at all; with RandomTensors such a hash is drawn instead.
var ErrNotStored = errors.New("not in the tensor store")

// DefaultMaxRandomElements bounds the random values one parse draws in all
// (1 GiB of float32), so a typo in a shape, or many large random arrays,
// cannot exhaust memory.
const DefaultMaxRandomElements = 1 << 28

// ParseOptions configures ParseCircuits.
type ParseOptions struct {
	// File names the input in error messages ("<input>" when empty).
	File string
	// Store resolves `Array <hash-prefix>` lines.
	Store TensorResolver
	// RandomTensors draws every `Array <hash>` from a standard normal
	// distribution seeded by Seed and the hash as written (so equal hashes get
	// equal values) instead of loading it; the line must give the shape.
	// With a Store too, the Store wins: only hashes it reports ErrNotStored
	// for are drawn.
	RandomTensors bool
	// Seed is mixed into every random draw (`Array rand` and RandomTensors).
	Seed uint64
	// DType is the element type of random arrays (Float32 when zero).
	DType tensor.DType
	// References maps quoted-name idents to existing circuits: a line that is
	// just 'key' stands for References["key"].
	References map[string]Circuit
	// MaxRandomElements bounds the elements of all random arrays and random
	// index positions drawn by one parse, together (DefaultMaxRandomElements
	// when zero).
	MaxRandomElements int
}

// ParseError is a problem in the text, located by line.
type ParseError struct {
	File string
	// Line is 1-based.
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ParseFile reads path and parses it; opts.File defaults to path. A read
// failure is returned as the os error, anything else as from ParseCircuits.
func ParseFile(path string, opts ParseOptions) ([]Circuit, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if opts.File == "" {
		opts.File = path
	}
	return ParseCircuits(string(b), opts)
}

// ParseCircuits reads the text format (see the package doc and
// PrintCircuits) and returns one circuit per top-level line, in order.
//
// Lines: `<ident>[ 'name'][ AD][ [shape]] <Kind>[ extra][ ! arg-info]`, with
// `#` comments, blank lines ignored, and the tree drawing characters
// ├ └ │ ‣ ─ read as whitespace. An ident is a serial number or a quoted name;
// the first line giving an ident a Kind defines the node (a quoted-name ident
// names it unless a name follows); any other line with that ident refers to
// it (before or after the definition) and must agree with whatever it
// repeats. Only the defining line may have children. Children sit two
// columns deeper than their parent, counted from the first line's
// indentation. A Module's first child is its spec circuit; every later child
// is an argument with `! <symbol> [flags]`, the symbol written as a line of
// its own (an ident, or a full Symbol definition) and flags three of t/f
// (batchable, expandable, ban-non-symbolic-size-expand; ttt when absent).
// A shape on a line is checked against the computed one.
//
// Everything rust_circuit's bijective printer writes is read, as its parser
// reads it: a line holding only `▼` or `|/` (only_child_below) makes the
// next line, written at its parent's indentation, that parent's only child;
// repeats may give their kind alone ("3 Einsum"); numbers and sizes may
// contain underscores after the first digit ("1_000"); Einsum text may be
// "fancy: a b, b c -> a c" (one word per axis) or letters a-z, A-Z, α-ψ
// with spaces ignored; an Index or Scatter axis may be a rank-1 tensor
// "t<hash-prefix> [n]", loaded from opts.Store or, with RandomTensors, drawn
// uniformly below the axis size, seeded by RandomSeed(opts.Seed, "index",
// prefix). rust_circuit features circopt lacks (symbolic sizes such as "0s"
// or "?", and the kinds Cumulant, DiscreteVar, StoredCumulantVar,
// SetSymbolicShape and Conv) are errors naming the feature.
//
// Random arrays: `Array rand` draws standard normal values seeded by
// RandomSeed(opts.Seed, "rand", ident), the ident in canonical form (the
// serial number without leading zeros, or the name as QuoteName writes it),
// so renumbering a file changes its rand arrays. With opts.RandomTensors,
// `Array <hash>` draws values seeded by RandomSeed(opts.Seed, "hash", the
// lower-cased hash as written), so equal hashes give equal values; the new
// array has its own content hash, which is what printing it shows. Both need
// the shape on the line and use opts.DType. A Symbol written without a uuid
// gets the nil uuid (so equal name and shape give the same symbol, as in
// rust_circuit); `Symbol rand` draws a fresh uuid.
//
// Every error is a *ParseError naming the line: the offending line, or for
// errors found while building nodes, the line that defines the node (for a
// cycle, the line that closes it). A panic inside is returned as an
// "internal error" ParseError.
func ParseCircuits(src string, opts ParseOptions) (cs []Circuit, err error) {
	p := &parser{opts: opts, nodes: map[identKey]*pnode{}}
	p.file = opts.File
	if p.file == "" {
		p.file = "<input>"
	}
	defer func() {
		if r := recover(); r != nil {
			cs = nil
			err = p.errAt(p.curLine, "internal error: %v", r)
		}
	}()
	return p.parse(src)
}

// identKey is an ident: a serial number (decimal, without leading zeros) or
// a quoted name.
type identKey struct {
	num bool
	s   string
}

func (k identKey) String() string {
	if k.num {
		return k.s
	}
	return QuoteName(k.s)
}

// lineInfo is one line split into its fields.
type lineInfo struct {
	indent   int
	key      identKey
	name     string
	hasName  bool
	ad       bool
	shape    []int
	named    map[int]string
	hasShape bool
	kind     string
	extra    string
	info     string
	hasInfo  bool
}

// pnode is a node as read, before construction.
type pnode struct {
	key       identKey
	firstLine int
	defined   bool
	defLine   int
	kind      Kind
	name      string
	ad        bool
	shape     []int
	named     map[int]string
	hasShape  bool
	extra     string
	children  []edge
	// pending are references read before the definition, checked when it comes.
	pending []occurrence
	// shapeChecks are shapes given on other lines of a node whose defining
	// line gives none; they are checked against the computed shape.
	shapeChecks []occurrence
	ref         Circuit
	state       uint8
	built       Circuit
}

const (
	stateNew uint8 = iota
	stateBuilding
	stateDone
)

type occurrence struct {
	li   lineInfo
	line int
}

// edge is a child (or top-level) occurrence with its line.
type edge struct {
	n    *pnode
	line int
	arg  *argEdge
}

// argEdge is the `! symbol flags` info of a Module argument.
type argEdge struct {
	sym   *pnode
	line  int
	flags [3]bool
}

type frame struct {
	n     *pnode
	isDef bool
}

type parser struct {
	opts    ParseOptions
	file    string
	nodes   map[identKey]*pnode
	order   []*pnode
	curLine int
	// drawn counts random elements drawn so far, against MaxRandomElements.
	drawn int
}

// drawRandom reserves n random elements of the parse's budget.
func (p *parser) drawRandom(n int) error {
	limit := p.opts.MaxRandomElements
	if limit <= 0 {
		limit = DefaultMaxRandomElements
	}
	if n > limit-p.drawn {
		return fmt.Errorf("%d more random elements would exceed the limit of %d for one parse (%d drawn so far)", n, limit, p.drawn)
	}
	p.drawn += n
	return nil
}

func (p *parser) errAt(line int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	msg = strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(msg)
	return &ParseError{File: p.file, Line: line, Msg: msg}
}

func (p *parser) parse(src string) ([]Circuit, error) {
	src = strings.TrimPrefix(src, "\ufeff")
	lines := strings.Split(src, "\n")
	firstIndent := -1
	var stack []frame
	var tops []edge
	// onlyChild is set by a `▼` (or `|/`) line, rust_circuit's only-child
	// marker: the next node line is written at its parent's indentation but
	// is that parent's child, and takes the parent's place on the stack so
	// that its own children sit one level deeper.
	onlyChild, markerLine := false, 0
	for i, raw := range lines {
		line := i + 1
		p.curLine = line
		raw = strings.TrimSuffix(raw, "\r")
		if skipLine(raw) {
			continue
		}
		if isOnlyChildMarker(raw) {
			onlyChild, markerLine = true, line
			continue
		}
		li, err := parseLine(raw)
		if err != nil {
			return nil, p.errAt(line, "%v", err)
		}
		if li.extra == "..." || strings.HasSuffix(li.extra, " ...") {
			// rust_circuit's depth-limited (non-bijection) prints end a
			// line whose children were cut off with "...".
			return nil, p.errAt(line, "line ends with \"...\": its children were cut off (a depth-limited print, not a parseable one)")
		}
		if firstIndent < 0 {
			firstIndent = li.indent
		}
		if li.indent < firstIndent {
			return nil, p.errAt(line, "indented less than the first line (%d columns, the first line has %d)", li.indent, firstIndent)
		}
		rel := li.indent - firstIndent
		if rel%2 != 0 {
			return nil, p.errAt(line, "odd indentation: %d columns past the first line (each level is 2)", rel)
		}
		level := rel / 2
		if onlyChild {
			level++
			if level > len(stack) {
				return nil, p.errAt(line, "only-child marker at line %d: this line is not at the indentation of a node above it", markerLine)
			}
		}
		if level > len(stack) {
			return nil, p.errAt(line, "indented %d levels, more than one level below the line above", level)
		}
		stack = stack[:level]
		n, isDef, err := p.occur(li, line)
		if err != nil {
			return nil, err
		}
		e := edge{n: n, line: line}
		if level == 0 {
			if li.hasInfo {
				return nil, p.errAt(line, "`!` info on a top-level line (only Module arguments take it)")
			}
			tops = append(tops, e)
		} else {
			parent := stack[level-1]
			pn := parent.n
			switch {
			case pn.ref != nil:
				return nil, p.errAt(line, "reference circuit %s cannot have children", pn.key)
			case !parent.isDef:
				return nil, p.errAt(line, "ident %s is a repeat (defined at line %d) and cannot have children", pn.key, pn.defLine)
			}
			if pn.kind == KindModule && len(pn.children) > 0 {
				if !li.hasInfo {
					return nil, p.errAt(line, "argument %d of Module %s needs `! <symbol>` info naming the symbol it binds", len(pn.children), pn.key)
				}
				arg, err := p.argInfo(li.info, line)
				if err != nil {
					return nil, err
				}
				e.arg = arg
			} else if li.hasInfo {
				if pn.kind == KindModule {
					return nil, p.errAt(line, "the spec circuit (first child) of Module %s takes no `!` info", pn.key)
				}
				return nil, p.errAt(line, "`!` info is only for Module arguments; the parent %s is a %s", pn.key, pn.kind)
			}
			pn.children = append(pn.children, e)
		}
		if onlyChild {
			// The parent has no further children to read: the only child
			// takes its place.
			stack = stack[:len(stack)-1]
			onlyChild = false
		}
		stack = append(stack, frame{n: n, isDef: isDef})
	}
	for _, n := range p.order {
		if !n.defined && n.ref == nil {
			return nil, p.errAt(n.firstLine, "unknown ident %s: referenced but never defined (no line gives its kind)", n.key)
		}
	}
	out := make([]Circuit, 0, len(tops))
	for _, t := range tops {
		c, err := p.build(t.n, t.line)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// occur records one occurrence of an ident, returning its node and whether
// this line defines it (only a defining line may have children).
func (p *parser) occur(li lineInfo, line int) (*pnode, bool, error) {
	n := p.nodes[li.key]
	if !li.key.num && n == nil {
		if ref, ok := p.opts.References[li.key.s]; ok && ref != nil {
			n = &pnode{key: li.key, firstLine: line, ref: ref}
			p.nodes[li.key] = n
			p.order = append(p.order, n)
		}
	}
	if n != nil && n.ref != nil {
		if li.hasName || li.ad || li.hasShape || li.kind != "" || li.extra != "" {
			return nil, false, p.errAt(line, "reference circuit %s takes nothing else on its line", li.key)
		}
		return n, false, nil
	}
	var kind Kind
	if li.kind != "" {
		k, ok := ParseKind(li.kind)
		if !ok {
			if unsupportedKinds[li.kind] {
				return nil, false, p.errAt(line, "rust_circuit kind %s is not supported by circopt", li.kind)
			}
			return nil, false, p.errAt(line, "unknown kind %q", li.kind)
		}
		kind = k
	}
	if n == nil {
		n = &pnode{key: li.key, firstLine: line}
		p.nodes[li.key] = n
		p.order = append(p.order, n)
	}
	switch {
	case kind != 0 && !n.defined:
		n.defined, n.defLine, n.kind = true, line, kind
		switch {
		case li.hasName:
			n.name = li.name
		case !li.key.num:
			n.name = li.key.s
		}
		n.ad = li.ad
		n.shape, n.named, n.hasShape = li.shape, li.named, li.hasShape
		n.extra = li.extra
		for _, o := range n.pending {
			if err := p.checkRepeat(n, o.li, o.line); err != nil {
				return nil, false, err
			}
		}
		n.pending = nil
		return n, true, nil
	case n.defined:
		return n, false, p.checkRepeat(n, li, line)
	}
	n.pending = append(n.pending, occurrence{li: li, line: line})
	return n, false, nil
}

// checkRepeat compares what a later line says about a node with its
// definition; whatever the line gives must agree.
func (p *parser) checkRepeat(n *pnode, li lineInfo, line int) error {
	var diffs []string
	if li.hasName && li.name != n.name {
		diffs = append(diffs, fmt.Sprintf("name %s, not %s", QuoteName(li.name), QuoteName(n.name)))
	}
	if li.kind != "" && li.kind != n.kind.String() {
		diffs = append(diffs, fmt.Sprintf("kind %s, not %s", li.kind, n.kind))
	}
	if li.hasShape {
		if n.hasShape {
			if a, b := FormatShape(li.shape, li.named), FormatShape(n.shape, n.named); a != b {
				diffs = append(diffs, fmt.Sprintf("shape %s, not %s", a, b))
			}
		} else {
			n.shapeChecks = append(n.shapeChecks, occurrence{li: li, line: line})
		}
	}
	if li.extra != "" && li.extra != n.extra {
		diffs = append(diffs, fmt.Sprintf("%q after the kind, not %q", li.extra, n.extra))
	}
	if li.ad && !n.ad {
		diffs = append(diffs, "AD, which the definition lacks")
	}
	if len(diffs) > 0 {
		return p.errAt(line, "ident %s repeats with different info than its definition at line %d: %s", n.key, n.defLine, strings.Join(diffs, "; "))
	}
	return nil
}

// argInfo reads the `! <symbol> [flags]` info of a Module argument.
func (p *parser) argInfo(s string, line int) (*argEdge, error) {
	s = trimWS(s)
	flags := [3]bool{true, true, true}
	if i := strings.LastIndexFunc(s, isWS); i >= 0 {
		tail := s[i+1:]
		if len(tail) == 3 && strings.Trim(tail, "tf") == "" {
			for j := range flags {
				flags[j] = tail[j] == 't'
			}
			s = trimWS(s[:i])
		}
	}
	if s == "" {
		return nil, p.errAt(line, "`!` info needs the symbol this argument binds")
	}
	li, err := parseLine(s)
	if err != nil {
		return nil, p.errAt(line, "in `!` info: %v", err)
	}
	if li.hasInfo {
		return nil, p.errAt(line, "`!` info holds a second `!`")
	}
	n, _, err := p.occur(li, line)
	if err != nil {
		return nil, err
	}
	return &argEdge{sym: n, line: line, flags: flags}, nil
}

// build constructs n after its children; line is the occurrence that led
// here (named in a cycle error).
func (p *parser) build(n *pnode, line int) (Circuit, error) {
	if n.ref != nil {
		return n.ref, nil
	}
	switch n.state {
	case stateDone:
		return n.built, nil
	case stateBuilding:
		return nil, p.errAt(line, "cycle through ident %s", n.key)
	}
	n.state = stateBuilding
	kids := make([]Circuit, len(n.children))
	for i, e := range n.children {
		c, err := p.build(e.n, e.line)
		if err != nil {
			return nil, err
		}
		kids[i] = c
	}
	var args []ModuleArgSpec
	for i, e := range n.children {
		if e.arg == nil {
			continue
		}
		c, err := p.build(e.arg.sym, e.arg.line)
		if err != nil {
			return nil, err
		}
		s, ok := c.(*Symbol)
		if !ok {
			return nil, p.errAt(e.arg.line, "argument %d of Module %s binds %s, which is a %s, not a Symbol", i, n.key, e.arg.sym.key, c.Kind())
		}
		args = append(args, ModuleArgSpec{Symbol: s, Batchable: e.arg.flags[0], Expandable: e.arg.flags[1], BanNonSymbolicSizeExpand: e.arg.flags[2]})
	}
	p.curLine = n.defLine
	c, err := p.construct(n, kids, args)
	if err != nil {
		return nil, p.errAt(n.defLine, "%v", err)
	}
	if n.ad && n.name == "" && c.Name() != "" {
		// AD with no name: the constructor's automatic name must go.
		c = c.Rename("")
	}
	if n.hasShape && !sameInts(n.shape, c.Shape()) {
		return nil, p.errAt(n.defLine, "shape %s given, but the computed shape is %s", FormatShape(n.shape, nil), FormatShape(c.Shape(), nil))
	}
	for _, o := range n.shapeChecks {
		if !sameInts(o.li.shape, c.Shape()) {
			return nil, p.errAt(o.line, "shape %s given for ident %s, but its computed shape is %s", FormatShape(o.li.shape, nil), n.key, FormatShape(c.Shape(), nil))
		}
		if len(o.li.named) > 0 && !sameNamed(o.li.named, n.named) {
			return nil, p.errAt(o.line, "named axes %s given for ident %s differ from its definition's %s", FormatShape(o.li.shape, o.li.named), n.key, FormatShape(c.Shape(), n.named))
		}
	}
	if n.ad || len(n.named) > 0 {
		c = c.WithInfo(n.named, n.ad)
	}
	n.state, n.built = stateDone, c
	return c, nil
}

func sameNamed(a, b map[int]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// construct calls the kind's constructor.
func (p *parser) construct(n *pnode, kids []Circuit, args []ModuleArgSpec) (Circuit, error) {
	k, name, x := n.kind, n.name, n.extra
	count := func(want int) error {
		if len(kids) != want {
			return fmt.Errorf("%s takes %d children, got %d", k, want, len(kids))
		}
		return nil
	}
	needShape := func() error {
		if !n.hasShape {
			return fmt.Errorf("%s needs its shape on the line, like [2,3]", k)
		}
		return nil
	}
	noExtra := func() error {
		if x != "" {
			return fmt.Errorf("%s takes no text after the kind, got %q", k, x)
		}
		return nil
	}
	var first Circuit
	if len(kids) > 0 {
		first = kids[0]
	}
	switch k {
	case KindArray:
		if err := count(0); err != nil {
			return nil, err
		}
		return p.array(n)
	case KindScalar:
		if err := firstErr(count(0), needShape()); err != nil {
			return nil, err
		}
		if x == "" {
			return nil, fmt.Errorf("Scalar needs a value after the kind")
		}
		v, err := ParseNumber(numericText(x))
		if err != nil {
			return nil, fmt.Errorf("Scalar: %v", err)
		}
		return wrap(NewScalar(v, n.shape, name))
	case KindSymbol:
		if err := firstErr(count(0), needShape()); err != nil {
			return nil, err
		}
		uuid := x
		switch x {
		case "":
			uuid = nilUUID
		case "rand":
			uuid = NewUUID()
		}
		return wrap(NewSymbol(n.shape, uuid, name))
	case KindAdd:
		if err := noExtra(); err != nil {
			return nil, err
		}
		return wrap(NewAdd(name, kids...))
	case KindEinsum:
		in, out, err := parseEinsumText(x)
		if err != nil {
			return nil, fmt.Errorf("Einsum: %v", err)
		}
		if len(in) == 1 && len(in[0]) == 0 && len(kids) == 0 {
			// "->" is one empty operand unless there are no children, as
			// in rust_circuit's from_einsum_string.
			in = nil
		}
		return wrap(NewEinsum(name, in, out, kids...))
	case KindRearrange:
		if err := count(1); err != nil {
			return nil, err
		}
		sp, err := ParseRearrangeSpec(x)
		if err != nil {
			return nil, err
		}
		return wrap(NewRearrange(name, sp, first))
	case KindIndex, KindScatter:
		if err := count(1); err != nil {
			return nil, err
		}
		if k == KindScatter {
			if err := needShape(); err != nil {
				return nil, err
			}
		}
		idx, err := p.parseIndexText(x, first)
		if err != nil {
			return nil, err
		}
		if k == KindIndex {
			return wrap(NewIndex(name, idx, first))
		}
		return wrap(NewScatter(name, idx, n.shape, first))
	case KindConcat:
		axis, err := strconv.Atoi(numericText(x))
		if err != nil {
			return nil, fmt.Errorf("Concat needs an integer axis after the kind, got %q", x)
		}
		return wrap(NewConcat(name, axis, kids...))
	case KindGeneralFunction:
		if x == "" {
			return nil, fmt.Errorf("GeneralFunction needs a function name after the kind")
		}
		return wrap(NewGeneralFunction(name, x, kids...))
	case KindTag:
		if err := count(1); err != nil {
			return nil, err
		}
		if x == "" {
			return nil, fmt.Errorf("Tag needs a uuid after the kind")
		}
		return wrap(NewTag(name, x, first))
	case KindModule:
		if err := noExtra(); err != nil {
			return nil, err
		}
		if len(kids) == 0 {
			return nil, fmt.Errorf("Module needs its spec circuit as the first child")
		}
		return wrap(NewModule(name, kids[0], args, kids[1:]...))
	}
	return nil, fmt.Errorf("unknown kind %v", k)
}

// wrap turns a typed constructor result into a Circuit without making a
// non-nil interface out of a nil pointer.
func wrap[T Circuit](c T, err error) (Circuit, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// label names a node being read in messages: its quoted name when it has
// one (as constructor errors do), else its ident.
func (n *pnode) label() string {
	if n.name != "" {
		return strconv.Quote(n.name)
	}
	return n.key.String()
}

// array resolves an Array line: rand, a random draw for a hash, or a stored tensor.
func (p *parser) array(n *pnode) (Circuit, error) {
	x := n.extra
	if x == "rand" {
		return p.randArray(n, "rand", n.key.String())
	}
	if x == "" {
		return nil, fmt.Errorf("Array %s needs a tensor hash prefix or rand after the kind", n.label())
	}
	prefix := strings.ToLower(x)
	if strings.Trim(prefix, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("Array %s: %q is neither a hex tensor hash prefix nor rand", n.label(), x)
	}
	if p.opts.RandomTensors && p.opts.Store == nil {
		return p.randArray(n, "hash", prefix)
	}
	if p.opts.Store == nil {
		return nil, fmt.Errorf("Array %s needs a tensor store (-tensors DIR) or -random-tensors", n.label())
	}
	t, _, err := p.opts.Store.Resolve(prefix)
	if p.opts.RandomTensors && errors.Is(err, ErrNotStored) {
		return p.randArray(n, "hash", prefix)
	}
	if err != nil {
		return nil, fmt.Errorf("Array %s: %v", n.label(), err)
	}
	if t == nil {
		return nil, fmt.Errorf("Array %s: the tensor store returned no tensor for %s", n.label(), prefix)
	}
	a, err := NewArray(t, n.name)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(a.ContentHash, prefix) {
		return nil, fmt.Errorf("Array %s: the tensor store returned a tensor whose hash %s does not start with %s", n.label(), a.ContentHash, prefix)
	}
	return a, nil
}

func (p *parser) randArray(n *pnode, what, text string) (Circuit, error) {
	if !n.hasShape {
		return nil, fmt.Errorf("Array %s needs its shape on the line to draw random values", n.label())
	}
	size, err := tensor.NumElements(n.shape)
	if err != nil {
		return nil, fmt.Errorf("Array %s: %v", n.label(), err)
	}
	if err := p.drawRandom(size); err != nil {
		return nil, fmt.Errorf("Array %s: random array of shape %s: %v", n.label(), FormatShape(n.shape, nil), err)
	}
	dt := p.opts.DType
	if dt == 0 {
		dt = tensor.Float32
	}
	return wrap(RandArray(n.shape, RandomSeed(p.opts.Seed, what, text), dt, n.name))
}

// RandomSeed derives the seed of a random Array drawn by the parser from the
// user's seed, what kind of line it is ("rand" or "hash") and the text that
// identifies it (the ident as printed for rand, the hash prefix for hash).
func RandomSeed(seed uint64, what, text string) uint64 {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write([]byte("circopt-random-array\x00"))
	h.Write(b[:])
	h.Write([]byte(what + "\x00" + text))
	return binary.LittleEndian.Uint64(h.Sum(nil)[:8])
}

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
// with underscores allowed after the first. rust_circuit's symbolic sizes
// ("3s", "2*0s", "?") have no circopt equivalent and are refused by name.
func parseSize(text string) (int, error) {
	if text == "" {
		return 0, fmt.Errorf("empty size (want a size like 3 or name:3)")
	}
	if !isDigit(text[0]) || strings.Trim(text, "0123456789_") != "" {
		if strings.ContainsAny(text, "?*s") {
			return 0, fmt.Errorf("symbolic size %q is not supported by circopt (sizes must be plain integers)", text)
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
			return nil, nil, fmt.Errorf("bad shape entry %q: %v", part, err)
		}
		shape = append(shape, d)
	}
	return shape, named, nil
}

// unsupportedKinds are rust_circuit node kinds circopt has no equivalent
// for; naming them gives a clearer error than "unknown kind".
var unsupportedKinds = map[string]bool{
	"Cumulant": true, "DiscreteVar": true, "StoredCumulantVar": true,
	"SetSymbolicShape": true, "Conv": true,
}

// maxEinsumLabels is the size of rust_circuit's einsum alphabet (and so the
// most distinct labels an Einsum's printed spec can name).
const maxEinsumLabels = 76

// einsumLabel maps a letter of an einsum string to its label the way
// rust_circuit's ALPHABET does: a-z are 0-25, A-Z 26-51 and the Greek
// lower-case letters α through ψ 52-75.
func einsumLabel(r rune) (int, bool) {
	switch {
	case r >= 'a' && r <= 'z':
		return int(r - 'a'), true
	case r >= 'A' && r <= 'Z':
		return 26 + int(r-'A'), true
	case r >= 'α' && r < 'ω':
		return 52 + int(r-'α'), true
	}
	return 0, false
}

// parseEinsumText reads an Einsum's text as rust_circuit prints it: either
// letters ("ab,bc->ac", spaces ignored) or, when the einsum has named axes,
// "fancy: a b, b c -> a c" with one whitespace-separated word per axis.
// The operand list is never empty: "->" is one rank-0 operand (the caller
// drops it for an einsum without children).
func parseEinsumText(x string) ([][]int, []int, error) {
	fancy := false
	if rest, ok := strings.CutPrefix(x, "fancy:"); ok {
		fancy, x = true, rest
	}
	lhs, rhs, ok := strings.Cut(x, "->")
	if !ok {
		return nil, nil, fmt.Errorf("einsum spec %q has no \"->\"", x)
	}
	if strings.Contains(rhs, "->") {
		return nil, nil, fmt.Errorf("einsum spec %q has more than one \"->\"", x)
	}
	words := map[string]int{}
	operand := func(s string) ([]int, error) {
		var out []int
		if fancy {
			for _, w := range strings.Fields(s) {
				id, ok := words[w]
				if !ok {
					if len(words) == maxEinsumLabels {
						return nil, fmt.Errorf("einsum spec %q has more than %d distinct axis words", x, maxEinsumLabels)
					}
					id = len(words)
					words[w] = id
				}
				out = append(out, id)
			}
			return out, nil
		}
		for _, r := range s {
			if r == ' ' || r == '\t' {
				continue
			}
			id, ok := einsumLabel(r)
			if !ok {
				return nil, fmt.Errorf("einsum spec %q: %q is not an axis letter (a-z, A-Z, α-ψ; prefix \"fancy:\" for axis words)", x, r)
			}
			out = append(out, id)
		}
		return out, nil
	}
	var in [][]int
	for _, s := range strings.Split(lhs, ",") {
		ax, err := operand(s)
		if err != nil {
			return nil, nil, err
		}
		in = append(in, ax)
	}
	out, err := operand(rhs)
	if err != nil {
		return nil, nil, err
	}
	return in, out, nil
}

// parseIndexText reads an Index or Scatter index. Besides FormatIndex's
// syntax it takes rust_circuit's tensor axis indices, "t<hash-prefix> [n]"
// (a rank-1 integer tensor named by a prefix of its hash, n its length):
// the tensor comes from the store, or with RandomTensors n positions are
// drawn uniformly below the child's axis size, seeded by RandomSeed(Seed,
// "index", the lower-cased prefix). As in rust_circuit, empty items are
// skipped, so "[0,]" is "[0]".
func (p *parser) parseIndexText(x string, child Circuit) ([]AxisIndex, error) {
	t := strings.TrimSpace(x)
	if len(t) < 2 || t[0] != '[' || t[len(t)-1] != ']' {
		return nil, fmt.Errorf("index %q must be written in brackets, like [0:2,3]", x)
	}
	var items []string
	depth, start := 0, 1
	for i := 1; i < len(t)-1; i++ {
		switch t[i] {
		case '[':
			depth++
		case ']':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("index %q has unbalanced brackets", x)
			}
		case ',':
			if depth == 0 {
				items = append(items, t[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("index %q has unbalanced brackets", x)
	}
	items = append(items, t[start:len(t)-1])
	var out []AxisIndex
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		var a AxisIndex
		var err error
		if it[0] == 't' {
			a, err = p.tensorAxisIndex(it, len(out), child)
		} else {
			a, err = parseAxisIndex(numericText(it))
		}
		if err != nil {
			return nil, fmt.Errorf("index %q: %v", x, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// tensorAxisIndex resolves one "t<hash-prefix> [n]" item for axis axis of child.
func (p *parser) tensorAxisIndex(it string, axis int, child Circuit) (AxisIndex, error) {
	body := strings.TrimSpace(it[1:])
	prefix, lenText, hasLen := strings.Cut(body, "[")
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	if prefix == "" || strings.Trim(prefix, "0123456789abcdef") != "" {
		return AxisIndex{}, fmt.Errorf("tensor index %q: want t<hex hash prefix> [length]", it)
	}
	n := -1
	if hasLen {
		lt, ok := strings.CutSuffix(strings.TrimSpace(lenText), "]")
		if !ok {
			return AxisIndex{}, fmt.Errorf("tensor index %q: unclosed [", it)
		}
		v, err := parseSize(strings.TrimSpace(lt))
		if err != nil {
			return AxisIndex{}, fmt.Errorf("tensor index %q: %v", it, err)
		}
		n = v
	}
	var tt *tensor.Tensor
	var err error
	if p.opts.Store != nil {
		tt, _, err = p.opts.Store.Resolve(prefix)
	}
	if p.opts.Store != nil && !(p.opts.RandomTensors && errors.Is(err, ErrNotStored)) {
		if err != nil {
			return AxisIndex{}, fmt.Errorf("tensor index %q: %v", it, err)
		}
		if tt == nil || tt.Rank() != 1 {
			return AxisIndex{}, fmt.Errorf("tensor index %q: the stored tensor must have rank 1", it)
		}
		vals := tt.Float64s()
		if n >= 0 && len(vals) != n {
			return AxisIndex{}, fmt.Errorf("tensor index %q: the stored tensor has length %d, not %d", it, len(vals), n)
		}
		ps := make([]int64, len(vals))
		for i, v := range vals {
			if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
				return AxisIndex{}, fmt.Errorf("tensor index %q: element %d is %v, not an integer", it, i, v)
			}
			ps[i] = int64(v)
		}
		return AxisIndex{Kind: IndexTensor, Positions: ps}, nil
	}
	if !p.opts.RandomTensors {
		return AxisIndex{}, fmt.Errorf("tensor index %q needs a tensor store (-tensors DIR) or -random-tensors", it)
	}
	if n < 0 {
		return AxisIndex{}, fmt.Errorf("tensor index %q needs its length, like t%s [4], to be drawn at random", it, prefix)
	}
	if child == nil || axis >= child.Rank() {
		return AxisIndex{}, fmt.Errorf("tensor index %q addresses axis %d, past the input's rank", it, axis)
	}
	d := child.Shape()[axis]
	if n > 0 && d == 0 {
		return AxisIndex{}, fmt.Errorf("tensor index %q: cannot draw positions on an axis of size 0", it)
	}
	if err := p.drawRandom(n); err != nil {
		return AxisIndex{}, fmt.Errorf("tensor index %q: %v", it, err)
	}
	rng := rand.New(rand.NewPCG(RandomSeed(p.opts.Seed, "index", prefix), 0))
	ps := make([]int64, n)
	for i := range ps {
		ps[i] = int64(rng.IntN(d))
	}
	return AxisIndex{Kind: IndexTensor, Positions: ps}, nil
}
