package circuit

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// AxisIndexKind says how one axis is indexed.
type AxisIndexKind uint8

const (
	// IndexInt picks one position and removes the axis.
	IndexInt AxisIndexKind = iota
	// IndexSlice keeps [Start, Stop) with Python's negative and clamping rules.
	IndexSlice
	// IndexTensor gathers the listed positions along the axis.
	IndexTensor
)

// AxisIndex indexes one axis. Slices have no step.
type AxisIndex struct {
	Kind AxisIndexKind
	// Int is the position for IndexInt (negative counts from the end).
	Int int
	// Start and Stop bound IndexSlice; nil means open.
	Start, Stop *int
	// Positions are the gathered positions for IndexTensor (negative counts from the end).
	Positions []int64
}

// Int is an integer axis index.
func Int(i int) AxisIndex { return AxisIndex{Kind: IndexInt, Int: i} }

// Slice is a [start:stop) axis index.
func Slice(start, stop int) AxisIndex {
	return AxisIndex{Kind: IndexSlice, Start: &start, Stop: &stop}
}

// All is the full slice ":".
func All() AxisIndex { return AxisIndex{Kind: IndexSlice} }

// Positions is a 1-D tensor axis index.
func Positions(p ...int64) AxisIndex {
	return AxisIndex{Kind: IndexTensor, Positions: append([]int64(nil), p...)}
}

// resolve returns the concrete positions [lo, hi) of a slice on an axis of
// size d, with Python's semantics.
func (a AxisIndex) sliceBounds(d int) (int, int) {
	norm := func(p *int, def int) int {
		if p == nil {
			return def
		}
		v := *p
		if v < 0 {
			v += d
		}
		return min(max(v, 0), d)
	}
	lo, hi := norm(a.Start, 0), norm(a.Stop, d)
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// IsIdentity reports whether the index keeps an axis of size d unchanged.
func (a AxisIndex) IsIdentity(d int) bool {
	if a.Kind != IndexSlice {
		return false
	}
	lo, hi := a.sliceBounds(d)
	return lo == 0 && hi == d
}

// Resolve returns the source positions this index takes from an axis of
// size d, validating ranges. For IndexInt the result has one element.
func (a AxisIndex) Resolve(d int) ([]int, error) {
	switch a.Kind {
	case IndexInt:
		v := a.Int
		if v < 0 {
			v += d
		}
		if v < 0 || v >= d {
			return nil, fmt.Errorf("index %d out of range for axis of size %d", a.Int, d)
		}
		return []int{v}, nil
	case IndexSlice:
		lo, hi := a.sliceBounds(d)
		out := make([]int, hi-lo)
		for i := range out {
			out[i] = lo + i
		}
		return out, nil
	default:
		out := make([]int, len(a.Positions))
		for i, p := range a.Positions {
			v := int(p)
			if v < 0 {
				v += d
			}
			if v < 0 || v >= d {
				return nil, fmt.Errorf("index %d out of range for axis of size %d", p, d)
			}
			out[i] = v
		}
		return out, nil
	}
}

func (a AxisIndex) String() string {
	switch a.Kind {
	case IndexInt:
		return strconv.Itoa(a.Int)
	case IndexSlice:
		s := ""
		if a.Start != nil {
			s += strconv.Itoa(*a.Start)
		}
		s += ":"
		if a.Stop != nil {
			s += strconv.Itoa(*a.Stop)
		}
		return s
	default:
		parts := make([]string, len(a.Positions))
		for i, p := range a.Positions {
			parts[i] = strconv.FormatInt(p, 10)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
}

func (a AxisIndex) hash(h *hasher) {
	h.int(int(a.Kind))
	switch a.Kind {
	case IndexInt:
		h.int(a.Int)
	case IndexSlice:
		for _, p := range []*int{a.Start, a.Stop} {
			h.bool(p != nil)
			if p != nil {
				h.int(*p)
			}
		}
	default:
		h.int(len(a.Positions))
		for _, p := range a.Positions {
			h.int(int(p))
		}
	}
}

// FormatIndex prints a per-axis index as "[0:2,3,[1,0]]".
func FormatIndex(idx []AxisIndex) string {
	parts := make([]string, len(idx))
	for i, a := range idx {
		parts[i] = a.String()
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// ParseIndex reads "[0:2,3,:,-1,[1,0,2]]".
func ParseIndex(s string) ([]AxisIndex, error) {
	t := strings.TrimSpace(s)
	if len(t) < 2 || t[0] != '[' || t[len(t)-1] != ']' {
		return nil, fmt.Errorf("index %q must be written in brackets, like [0:2,3]", s)
	}
	body := t[1 : len(t)-1]
	var items []string
	depth, startPos := 0, 0
	for i, r := range body {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("index %q has unbalanced brackets", s)
			}
		case ',':
			if depth == 0 {
				items = append(items, body[startPos:i])
				startPos = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("index %q has unbalanced brackets", s)
	}
	if strings.TrimSpace(body) != "" {
		items = append(items, body[startPos:])
	}
	out := make([]AxisIndex, 0, len(items))
	for _, it := range items {
		it = strings.TrimSpace(it)
		a, err := parseAxisIndex(it)
		if err != nil {
			return nil, fmt.Errorf("index %q: %w", s, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func parseAxisIndex(it string) (AxisIndex, error) {
	atoi := func(x string) (*int, error) {
		x = strings.TrimSpace(x)
		if x == "" || x == "None" {
			return nil, nil
		}
		v, err := strconv.Atoi(x)
		if err != nil {
			return nil, fmt.Errorf("bad integer %q", x)
		}
		return &v, nil
	}
	switch {
	case it == "":
		return AxisIndex{}, fmt.Errorf("empty axis index")
	case it[0] == '[':
		inner := strings.TrimSpace(it[1 : len(it)-1])
		var ps []int64
		if inner != "" {
			for _, p := range strings.Split(inner, ",") {
				v, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
				if err != nil {
					return AxisIndex{}, fmt.Errorf("bad position %q", p)
				}
				ps = append(ps, v)
			}
		}
		return AxisIndex{Kind: IndexTensor, Positions: ps}, nil
	case strings.Contains(it, ":"):
		parts := strings.Split(it, ":")
		if len(parts) > 3 || (len(parts) == 3 && strings.TrimSpace(parts[2]) != "" && strings.TrimSpace(parts[2]) != "1") {
			return AxisIndex{}, fmt.Errorf("slice %q: steps are not supported", it)
		}
		lo, err := atoi(parts[0])
		if err != nil {
			return AxisIndex{}, err
		}
		hi, err := atoi(parts[1])
		if err != nil {
			return AxisIndex{}, err
		}
		return AxisIndex{Kind: IndexSlice, Start: lo, Stop: hi}, nil
	default:
		v, err := atoi(it)
		if err != nil || v == nil {
			return AxisIndex{}, fmt.Errorf("bad axis index %q", it)
		}
		return Int(*v), nil
	}
}

func cloneIndex(idx []AxisIndex) []AxisIndex {
	out := make([]AxisIndex, len(idx))
	for i, a := range idx {
		b := a
		if a.Start != nil {
			v := *a.Start
			b.Start = &v
		}
		if a.Stop != nil {
			v := *a.Stop
			b.Stop = &v
		}
		b.Positions = append([]int64(nil), a.Positions...)
		out[i] = b
	}
	return out
}

// Index indexes its child axis by axis (orthogonally: each tensor index acts
// on its own axis). An index shorter than the rank is padded with full slices.
type Index struct {
	base
	Idx []AxisIndex
}

// NewIndex indexes child.
func NewIndex(name string, idx []AxisIndex, child Circuit) (*Index, error) {
	if child == nil {
		return nil, nodeErr(KindIndex, name, "nil child")
	}
	in := child.Shape()
	if len(idx) > len(in) {
		return nil, nodeErr(KindIndex, name, "index %s has %d axes but the input %s has rank %d", FormatIndex(idx), len(idx), Label(child), len(in))
	}
	full := cloneIndex(idx)
	for len(full) < len(in) {
		full = append(full, All())
	}
	var shape []int
	for i, a := range full {
		pos, err := a.Resolve(in[i])
		if err != nil {
			return nil, nodeErr(KindIndex, name, "axis %d of input %s: %v", i, shapeString(in), err)
		}
		if a.Kind != IndexInt {
			shape = append(shape, len(pos))
		}
	}
	if shape == nil {
		shape = []int{}
	}
	n := &Index{base: base{name: name, shape: shape, children: []Circuit{child}}, Idx: full}
	return finish(n).(*Index), nil
}

func (*Index) Kind() Kind { return KindIndex }
func (x *Index) writeFields(h *hasher) {
	h.int(len(x.Idx))
	for _, a := range x.Idx {
		a.hash(h)
	}
}
func (x *Index) shallowCopy() Circuit                        { c := *x; return &c }
func (x *Index) Rename(name string) Circuit                  { return renameNode(x, name) }
func (x *Index) WithInfo(na map[int]string, ad bool) Circuit { return withInfo(x, na, ad) }
func (x *Index) WithChildren(cs []Circuit) (Circuit, error) {
	if len(cs) != 1 {
		return nil, nodeErr(KindIndex, x.name, "takes one child, got %d", len(cs))
	}
	n, err := NewIndex(x.name, x.Idx, cs[0])
	if err != nil {
		return nil, err
	}
	return keepInfo(x, n), nil
}

// Scatter is zeros of Shape with the child written at Idx (slices only).
type Scatter struct {
	base
	Idx []AxisIndex
}

// NewScatter places child into zeros of shape at idx.
func NewScatter(name string, idx []AxisIndex, shape []int, child Circuit) (*Scatter, error) {
	if child == nil {
		return nil, nodeErr(KindScatter, name, "nil child")
	}
	if err := checkShape(shape); err != nil {
		return nil, nodeErr(KindScatter, name, "%w", err)
	}
	if len(idx) > len(shape) {
		return nil, nodeErr(KindScatter, name, "index %s has more axes than shape %s", FormatIndex(idx), shapeString(shape))
	}
	full := cloneIndex(idx)
	for len(full) < len(shape) {
		full = append(full, All())
	}
	want := make([]int, len(shape))
	for i, a := range full {
		if a.Kind != IndexSlice {
			return nil, nodeErr(KindScatter, name, "only slice indices are supported, got %s", FormatIndex(idx))
		}
		lo, hi := a.sliceBounds(shape[i])
		want[i] = hi - lo
	}
	if !slices.Equal(want, child.Shape()) {
		return nil, nodeErr(KindScatter, name, "index %s of shape %s selects %s but the child %s has shape %s",
			FormatIndex(full), shapeString(shape), shapeString(want), Label(child), shapeString(child.Shape()))
	}
	n := &Scatter{base: base{name: name, shape: cloneInts(shape), children: []Circuit{child}}, Idx: full}
	return finish(n).(*Scatter), nil
}

// Starts returns the first written position per axis.
func (s *Scatter) Starts() []int {
	out := make([]int, len(s.Idx))
	for i, a := range s.Idx {
		out[i], _ = a.sliceBounds(s.shape[i])
	}
	return out
}

func (*Scatter) Kind() Kind { return KindScatter }
func (s *Scatter) writeFields(h *hasher) {
	h.int(len(s.Idx))
	for _, a := range s.Idx {
		a.hash(h)
	}
}
func (s *Scatter) shallowCopy() Circuit                        { c := *s; return &c }
func (s *Scatter) Rename(name string) Circuit                  { return renameNode(s, name) }
func (s *Scatter) WithInfo(na map[int]string, ad bool) Circuit { return withInfo(s, na, ad) }
func (s *Scatter) WithChildren(cs []Circuit) (Circuit, error) {
	if len(cs) != 1 {
		return nil, nodeErr(KindScatter, s.name, "takes one child, got %d", len(cs))
	}
	n, err := NewScatter(s.name, s.Idx, s.shape, cs[0])
	if err != nil {
		return nil, err
	}
	return keepInfo(s, n), nil
}
