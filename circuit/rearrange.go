package circuit

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/circopt/circopt/tensor"
)

// RearrangeSpec is an einops repeat-style spec: input groups of axis ids,
// output groups of axis ids, and known sizes per id (-1 when unknown).
// "(a b) c -> c a b" splits the first input axis; "a -> a 3" repeats;
// "() a -> a" drops a size-1 axis. Every input id appears exactly once in
// the output (no reductions); ids only in the output are repeats and need a
// size.
type RearrangeSpec struct {
	In    [][]int
	Out   [][]int
	Sizes []int
}

// ParseRearrangeSpec reads "(a b) c -> c a b", with optional sizes
// ("a:2"), bare integers as anonymous axes of that size, and "()" groups.
func ParseRearrangeSpec(s string) (RearrangeSpec, error) {
	parts := strings.Split(s, "->")
	if len(parts) != 2 {
		return RearrangeSpec{}, fmt.Errorf("rearrange spec %q needs exactly one \"->\"", s)
	}
	var sp RearrangeSpec
	ids := map[string]int{}
	side := func(str string, isOut bool) ([][]int, error) {
		toks, err := tokenizeRearrange(str)
		if err != nil {
			return nil, err
		}
		var groups [][]int
		var cur []int
		inGroup := false
		for _, t := range toks {
			switch t {
			case "(":
				if inGroup {
					return nil, fmt.Errorf("nested parentheses")
				}
				inGroup, cur = true, []int{}
				continue
			case ")":
				if !inGroup {
					return nil, fmt.Errorf("unmatched \")\"")
				}
				groups = append(groups, cur)
				inGroup = false
				continue
			}
			id, err := sp.axisID(t, ids)
			if err != nil {
				return nil, err
			}
			if inGroup {
				cur = append(cur, id)
			} else {
				groups = append(groups, []int{id})
			}
		}
		if inGroup {
			return nil, fmt.Errorf("unclosed \"(\"")
		}
		return groups, nil
	}
	var err error
	if sp.In, err = side(parts[0], false); err != nil {
		return RearrangeSpec{}, fmt.Errorf("rearrange spec %q: %w", s, err)
	}
	if sp.Out, err = side(parts[1], true); err != nil {
		return RearrangeSpec{}, fmt.Errorf("rearrange spec %q: %w", s, err)
	}
	if err := sp.check(); err != nil {
		return RearrangeSpec{}, fmt.Errorf("rearrange spec %q: %w", s, err)
	}
	return sp, nil
}

func tokenizeRearrange(s string) ([]string, error) {
	var toks []string
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(' || r == ')':
			toks = append(toks, string(r))
			i++
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_':
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || rs[j] == '_' || rs[j] == ':') {
				j++
			}
			toks = append(toks, string(rs[i:j]))
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q", r)
		}
	}
	return toks, nil
}

const maxRearrangeAxes = 256

func (sp *RearrangeSpec) axisID(tok string, ids map[string]int) (int, error) {
	newID := func(size int) (int, error) {
		if len(sp.Sizes) >= maxRearrangeAxes {
			return 0, fmt.Errorf("more than %d axes", maxRearrangeAxes)
		}
		sp.Sizes = append(sp.Sizes, size)
		return len(sp.Sizes) - 1, nil
	}
	parseSize := func(t string) (int, error) {
		v, err := strconv.Atoi(t)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("bad axis size %q", t)
		}
		return v, nil
	}
	if unicode.IsDigit(rune(tok[0])) {
		v, err := parseSize(tok)
		if err != nil {
			return 0, err
		}
		return newID(v)
	}
	name, size, hasSize := strings.Cut(tok, ":")
	if name == "" || !unicode.IsLetter(rune(name[0])) {
		return 0, fmt.Errorf("bad axis name %q", tok)
	}
	id, ok := ids[name]
	if !ok {
		var err error
		if id, err = newID(-1); err != nil {
			return 0, err
		}
		ids[name] = id
	}
	if hasSize {
		v, err := parseSize(size)
		if err != nil {
			return 0, err
		}
		if sp.Sizes[id] >= 0 && sp.Sizes[id] != v {
			return 0, fmt.Errorf("axis %s given sizes %d and %d", name, sp.Sizes[id], v)
		}
		sp.Sizes[id] = v
	}
	return id, nil
}

// check enforces the einops repeat rules (no reductions, no duplicates).
func (sp RearrangeSpec) check() error {
	inCount := make([]int, len(sp.Sizes))
	outCount := make([]int, len(sp.Sizes))
	for _, g := range sp.In {
		for _, id := range g {
			if id < 0 || id >= len(sp.Sizes) {
				return fmt.Errorf("axis id %d out of range", id)
			}
			inCount[id]++
		}
	}
	for _, g := range sp.Out {
		for _, id := range g {
			if id < 0 || id >= len(sp.Sizes) {
				return fmt.Errorf("axis id %d out of range", id)
			}
			outCount[id]++
		}
	}
	for id := range sp.Sizes {
		switch {
		case inCount[id] > 1:
			return fmt.Errorf("axis %s appears twice on the left", axisLetters(id))
		case outCount[id] > 1:
			return fmt.Errorf("axis %s appears twice on the right", axisLetters(id))
		case inCount[id] == 1 && outCount[id] == 0:
			return fmt.Errorf("axis %s is dropped (reductions are not allowed; use () for size-1 axes)", axisLetters(id))
		case inCount[id] == 0 && outCount[id] == 1 && sp.Sizes[id] < 0:
			return fmt.Errorf("new axis %s needs a size", axisLetters(id))
		}
	}
	return nil
}

// Conform resolves every axis size against an input shape, returning the
// full sizes and the output shape.
func (sp RearrangeSpec) Conform(in []int) (sizes []int, out []int, err error) {
	if len(in) != len(sp.In) {
		return nil, nil, fmt.Errorf("spec has %d input axes but the input has rank %d", len(sp.In), len(in))
	}
	sizes = cloneInts(sp.Sizes)
	for gi, g := range sp.In {
		unknown := -1
		var knownSizes []int
		for _, id := range g {
			if sizes[id] < 0 {
				if unknown >= 0 {
					return nil, nil, fmt.Errorf("input group %d has two axes of unknown size", gi)
				}
				unknown = id
			} else {
				knownSizes = append(knownSizes, sizes[id])
			}
		}
		known, err := tensor.NumElements(knownSizes)
		if err != nil {
			return nil, nil, fmt.Errorf("input axis %d: %w", gi, err)
		}
		d := in[gi]
		switch {
		case unknown >= 0 && known == 0:
			if d != 0 {
				return nil, nil, fmt.Errorf("input axis %d of size %d cannot split by a zero size", gi, d)
			}
			sizes[unknown] = 0
		case unknown >= 0 && IsSymbolic(d):
			f, sid := splitSymbolic(d)
			if f%known != 0 {
				return nil, nil, fmt.Errorf("input axis %d of size %s does not divide by %d", gi, FormatSize(d), known)
			}
			sizes[unknown] = SymbolicProduct(f/known, sid)
		case unknown >= 0:
			if d%known != 0 {
				return nil, nil, fmt.Errorf("input axis %d of size %d does not divide by %d", gi, d, known)
			}
			sizes[unknown] = d / known
		case known != d:
			return nil, nil, fmt.Errorf("input axis %d has size %s but the spec needs %d", gi, FormatSize(d), known)
		}
	}
	// Every axis id occurs once in the output, so the product of all sizes is
	// the output's element count; checking it first keeps the group products
	// below from overflowing into a bogus shape.
	if err := checkShape(sizes); err != nil {
		return nil, nil, err
	}
	out = make([]int, len(sp.Out))
	for gi, g := range sp.Out {
		gs := make([]int, len(g))
		for j, id := range g {
			gs[j] = sizes[id]
		}
		p, err := groupSize(gs)
		if err != nil {
			return nil, nil, fmt.Errorf("output axis %d: %w", gi, err)
		}
		out[gi] = p
	}
	if err := checkShape(out); err != nil {
		return nil, nil, err
	}
	return sizes, out, nil
}

func axisLetters(id int) string {
	s := ""
	for {
		s = string(rune('a'+id%26)) + s
		id = id/26 - 1
		if id < 0 {
			return s
		}
	}
}

// String prints the spec canonically: axes lettered by id, sizes where known.
func (sp RearrangeSpec) String() string {
	side := func(gs [][]int) string {
		parts := make([]string, len(gs))
		for i, g := range gs {
			ax := make([]string, len(g))
			for j, id := range g {
				ax[j] = axisLetters(id)
				if sp.Sizes[id] >= 0 {
					ax[j] += ":" + strconv.Itoa(sp.Sizes[id])
				}
			}
			if len(g) == 1 {
				parts[i] = ax[0]
			} else {
				parts[i] = "(" + strings.Join(ax, " ") + ")"
			}
		}
		return strings.Join(parts, " ")
	}
	return strings.TrimSpace(side(sp.In) + " -> " + side(sp.Out))
}

// IsIdentity reports whether the spec leaves any input unchanged.
func (sp RearrangeSpec) IsIdentity() bool {
	if len(sp.In) != len(sp.Out) {
		return false
	}
	for i := range sp.In {
		if len(sp.In[i]) != 1 || len(sp.Out[i]) != 1 || sp.In[i][0] != sp.Out[i][0] {
			return false
		}
	}
	return true
}

// Permutation returns perm with out axis i = in axis perm[i] when the spec
// is a pure permutation, or nil.
func (sp RearrangeSpec) Permutation() []int {
	if len(sp.In) != len(sp.Out) {
		return nil
	}
	pos := map[int]int{}
	for i, g := range sp.In {
		if len(g) != 1 {
			return nil
		}
		pos[g[0]] = i
	}
	perm := make([]int, len(sp.Out))
	for i, g := range sp.Out {
		if len(g) != 1 {
			return nil
		}
		p, ok := pos[g[0]]
		if !ok {
			return nil
		}
		perm[i] = p
	}
	return perm
}

// PermuteSpec is the spec of a pure permutation (out axis i = in axis perm[i]).
func PermuteSpec(perm []int) RearrangeSpec {
	sp := RearrangeSpec{Sizes: make([]int, len(perm))}
	for i := range perm {
		sp.Sizes[i] = -1
		sp.In = append(sp.In, []int{i})
		sp.Out = append(sp.Out, []int{perm[i]})
	}
	return sp
}

// Rearrange permutes, splits, merges, inserts and repeats axes.
type Rearrange struct {
	base
	Spec RearrangeSpec
	// sizes are the spec's axis sizes conformed to the input shape.
	sizes []int
}

// NewRearrange applies spec to child.
func NewRearrange(name string, spec RearrangeSpec, child Circuit) (*Rearrange, error) {
	if child == nil {
		return nil, nodeErr(KindRearrange, name, "nil child")
	}
	if err := spec.check(); err != nil {
		return nil, nodeErr(KindRearrange, name, "bad spec %s: %w", spec, err)
	}
	sizes, out, err := spec.Conform(child.Shape())
	if err != nil {
		return nil, nodeErr(KindRearrange, name, "spec %q on input %s (%s): %v", spec.String(), shapeString(child.Shape()), Label(child), err)
	}
	sp, sizes := spec.normalized(sizes)
	r := &Rearrange{base: base{name: name, shape: out, children: []Circuit{child}}, Spec: sp, sizes: sizes}
	return finish(r).(*Rearrange), nil
}

// NewRearrangeString parses spec then applies it.
func NewRearrangeString(name, spec string, child Circuit) (*Rearrange, error) {
	sp, err := ParseRearrangeSpec(spec)
	if err != nil {
		return nil, nodeErr(KindRearrange, name, "%w", err)
	}
	return NewRearrange(name, sp, child)
}

// normalized renumbers axis ids in order of first appearance (input groups,
// then output groups) and drops ids used nowhere, so that the hash depends
// only on what the printed spec shows. conformed holds per-id sizes and is
// renumbered alongside.
func (sp RearrangeSpec) normalized(conformed []int) (RearrangeSpec, []int) {
	re := map[int]int{}
	var sizes, conf []int
	renum := func(gs [][]int) [][]int {
		out := make([][]int, len(gs))
		for i, g := range gs {
			out[i] = make([]int, len(g))
			for j, id := range g {
				n, ok := re[id]
				if !ok {
					n = len(re)
					re[id] = n
					sizes = append(sizes, sp.Sizes[id])
					conf = append(conf, conformed[id])
				}
				out[i][j] = n
			}
		}
		return out
	}
	in := renum(sp.In)
	out := renum(sp.Out)
	if sizes == nil {
		sizes, conf = []int{}, []int{}
	}
	return RearrangeSpec{In: in, Out: out, Sizes: sizes}, conf
}

func cloneGroups(gs [][]int) [][]int {
	out := make([][]int, len(gs))
	for i, g := range gs {
		out[i] = cloneInts(g)
	}
	return out
}

// AxisSizes returns the size of every spec axis id, conformed to the input.
func (r *Rearrange) AxisSizes() []int { return cloneInts(r.sizes) }

func (*Rearrange) Kind() Kind { return KindRearrange }
func (r *Rearrange) writeFields(h *hasher) {
	h.int(len(r.Spec.In))
	for _, g := range r.Spec.In {
		h.ints(g)
	}
	h.int(len(r.Spec.Out))
	for _, g := range r.Spec.Out {
		h.ints(g)
	}
	h.ints(r.Spec.Sizes)
}
func (r *Rearrange) shallowCopy() Circuit                        { x := *r; return &x }
func (r *Rearrange) Rename(name string) Circuit                  { return renameNode(r, name) }
func (r *Rearrange) WithInfo(na map[int]string, ad bool) Circuit { return withInfo(r, na, ad) }
func (r *Rearrange) WithChildren(cs []Circuit) (Circuit, error) {
	if len(cs) != 1 {
		return nil, nodeErr(KindRearrange, r.name, "takes one child, got %d", len(cs))
	}
	n, err := NewRearrange(r.name, r.Spec, cs[0])
	if err != nil {
		return nil, err
	}
	return keepInfo(r, n), nil
}

// groupSize is the size of merged axes; at most one may be symbolic.
func groupSize(gs []int) (int, error) {
	sym, has := 0, false
	conc := make([]int, 0, len(gs))
	for _, d := range gs {
		if IsSymbolic(d) {
			if has {
				return 0, fmt.Errorf("merging two symbolic sizes is not supported")
			}
			sym, has = d, true
			continue
		}
		conc = append(conc, d)
	}
	p, err := tensor.NumElements(conc)
	if err != nil || !has {
		return p, err
	}
	f, id := splitSymbolic(sym)
	if p == 0 {
		return 0, nil
	}
	return SymbolicProduct(f*p, id), nil
}
