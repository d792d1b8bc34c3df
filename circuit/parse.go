package circuit

import (
	"errors"
	"fmt"
	"os"
	"strings"

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
	// DType is the element type the caller evaluates in.
	//
	// Ignored for random arrays: they are float32 whatever DType says (evaluation
	// casts them), so one text has one tensor and one hash in every command.
	DType tensor.DType
	// References maps quoted-name idents to existing circuits: a line that is
	// just 'key' stands for References["key"].
	References map[string]Circuit
	// MaxRandomElements bounds the elements of all random arrays and random
	// index positions drawn by one parse, together (DefaultMaxRandomElements
	// when zero).
	MaxRandomElements int
	// ModuleAllowUnusedInputs accepts a Module whose spec does not use one
	// of its arg spec symbols (rust_circuit's module_check_all_inputs_used
	// set to False); by default that is an error, as in rust_circuit.
	ModuleAllowUnusedInputs bool
}

// ParseError is a problem in the text, located by line.
type ParseError struct {
	File string
	// Line is 1-based.
	Line int
	Msg  string
	// Err is the error the message was built from, if any.
	Err error
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Unwrap lets errors.Is and errors.As see the cause.
func (e *ParseError) Unwrap() error { return e.Err }

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
// A shape on a line is checked against the computed one. A line holding
// only "@N" makes every later line N levels deeper than its indentation
// says (until the next such line), so deep trees print with short lines.
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
// the shape on the line and are float32 (evaluation casts). An `Array <hash>`
// that no Store holds (or with no Store at all) is an unresolved Array with
// the hash and the line's shape (NewUnresolvedArray): only its values are
// missing, and evaluating it is an error naming it. A Symbol written without a uuid
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
	// sameAs is the reference circuit a defining line's node must equal.
	sameAs Circuit
	state  uint8
	built  Circuit
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
	e := fmt.Errorf(format, args...)
	msg := strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(e.Error())
	return &ParseError{File: p.file, Line: line, Msg: msg, Err: errors.Unwrap(e)}
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
	// base is the level of the last "@N" line: the printer's way of keeping
	// deep trees' lines short (see PrintCircuits).
	base := 0
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
		if b, ok, err := baseLevelMarker(raw); ok {
			if err != nil {
				return nil, p.errAt(line, "%w", err)
			}
			base = b
			continue
		}
		li, err := parseLine(raw)
		if err != nil {
			return nil, p.errAt(line, "%w", err)
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
		level := base + rel/2
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
		if ref, ok := p.opts.References[li.key.s]; ok && ref != nil && li.kind != "" {
			// a full definition of a reference name (as model files write
			// rebound weights) must build the very same circuit
			n = &pnode{key: li.key, firstLine: line, sameAs: ref}
			p.nodes[li.key] = n
			p.order = append(p.order, n)
		} else if ok && ref != nil {
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
		return nil, p.errAt(line, "in `!` info: %w", err)
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
