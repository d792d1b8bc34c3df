package circuit

import (
	"fmt"
	"strconv"
	"strings"
)

// Symbolic sizes are rust_circuit's "0s", "4s", "2*1s": axis sizes fixed only
// when a Module binds a Symbol whose shape uses them. circopt stores one in a
// shape as a negative int, -(factor*symbolicSpan + id + 1), so a concrete size
// is never mistaken for one and anything that allocates refuses it.
const symbolicSpan = 1 << 20

// SymbolicSize is the size written "{id}s".
func SymbolicSize(id int) int { return SymbolicProduct(1, id) }

// SymbolicProduct is the size written "{factor}*{id}s".
func SymbolicProduct(factor, id int) int { return -(factor*symbolicSpan + id + 1) }

// IsSymbolic reports whether a shape entry is a symbolic size.
func IsSymbolic(d int) bool { return d <= -symbolicSpan-1 }

// HasSymbolic reports whether any entry of shape is symbolic.
func HasSymbolic(shape []int) bool {
	for _, d := range shape {
		if IsSymbolic(d) {
			return true
		}
	}
	return false
}

// splitSymbolic returns the factor and id of a symbolic size.
func splitSymbolic(d int) (factor, id int) {
	v := -d - 1
	return v / symbolicSpan, v % symbolicSpan
}

// FormatSize prints a size as the text format does ("3", "0s", "2*1s").
func FormatSize(d int) string {
	if !IsSymbolic(d) {
		return strconv.Itoa(d)
	}
	f, id := splitSymbolic(d)
	if f == 1 {
		return strconv.Itoa(id) + "s"
	}
	return strconv.Itoa(f) + "*" + strconv.Itoa(id) + "s"
}

// parseSymbolicSize reads "4s", "2*1s" or "1s*2" (factors multiply).
func parseSymbolicSize(text string) (int, error) {
	factor, id := 1, -1
	for _, part := range strings.Split(text, "*") {
		part = trimWS(part)
		if s, ok := strings.CutSuffix(part, "s"); ok {
			n, err := strconv.Atoi(numericText(s))
			if err != nil || n < 0 || n >= symbolicSpan || s == "" || !isDigit(s[0]) {
				return 0, fmt.Errorf("bad symbolic size %q", text)
			}
			if id >= 0 {
				return 0, fmt.Errorf("symbolic size %q multiplies two symbolic sizes, which circopt does not support", text)
			}
			id = n
			continue
		}
		n, err := strconv.Atoi(numericText(part))
		if err != nil || n <= 0 || part == "" || !isDigit(part[0]) || factor*n >= 1<<30 {
			return 0, fmt.Errorf("bad symbolic size %q", text)
		}
		factor *= n
	}
	if id < 0 {
		// a product of plain numbers is a plain size
		return factor, nil
	}
	return SymbolicProduct(factor, id), nil
}

// sizeBinding maps symbolic size ids to the sizes a Module binding fixed.
type sizeBinding map[int]int

// unify records what binding sym (a spec Symbol's size) to arg fixes, or
// says why they conflict.
func (b sizeBinding) unify(sym, arg int) error {
	if !IsSymbolic(sym) || sym == arg {
		return nil
	}
	f, id := splitSymbolic(sym)
	var want int
	switch {
	case !IsSymbolic(arg):
		if arg%f != 0 {
			return fmt.Errorf("size %d is not a multiple of %d, as %s requires", arg, f, FormatSize(sym))
		}
		want = arg / f
	case f == 1:
		want = arg
	default:
		af, aid := splitSymbolic(arg)
		if af%f != 0 {
			return fmt.Errorf("size %s does not fit %s", FormatSize(arg), FormatSize(sym))
		}
		want = SymbolicProduct(af/f, aid)
	}
	if prev, ok := b[id]; ok && prev != want {
		return fmt.Errorf("symbolic size %ds is %s here but %s elsewhere", id, FormatSize(want), FormatSize(prev))
	}
	b[id] = want
	return nil
}

// size resolves one shape entry.
func (b sizeBinding) size(d int) int {
	if !IsSymbolic(d) {
		return d
	}
	f, id := splitSymbolic(d)
	v, ok := b[id]
	if !ok {
		return d
	}
	if !IsSymbolic(v) {
		return f * v
	}
	vf, vid := splitSymbolic(v)
	return SymbolicProduct(f*vf, vid)
}

func (b sizeBinding) shape(s []int) ([]int, bool) {
	out := make([]int, len(s))
	changed := false
	for i, d := range s {
		out[i] = b.size(d)
		changed = changed || out[i] != d
	}
	return out, changed
}

// ResolveSizes rebuilds c with the symbolic sizes in sizes (by id) fixed:
// every Symbol and Scalar whose shape uses them gets the resolved shape, and
// the nodes above are rebuilt so their shapes follow.
func ResolveSizes(c Circuit, sizes map[int]int) (Circuit, error) {
	if len(sizes) == 0 {
		return c, nil
	}
	r, err := resolveAll([]Circuit{c}, sizes)
	if err != nil {
		return nil, err
	}
	return r[0], nil
}

// resolveAll is ResolveSizes over several roots sharing one memo, so a
// Symbol resolves to the same node wherever it occurs. A nested Module's arg
// spec symbols are resolved with its spec, so the Module still binds them.
func resolveAll(roots []Circuit, sizes sizeBinding) ([]Circuit, error) {
	b := sizes
	memo := map[Hash]Circuit{}
	var do func(Circuit) (Circuit, error)
	do = func(c Circuit) (Circuit, error) {
		if r, ok := memo[c.Hash()]; ok {
			return r, nil
		}
		var r Circuit
		var err error
		switch n := c.(type) {
		case *Symbol:
			r = n
			if s, changed := b.shape(n.Shape()); changed {
				r, err = NewSymbol(s, n.UUID, n.Name())
				if err == nil {
					r = keepInfo(n, r)
				}
			}
		case *Scalar:
			r = n
			if s, changed := b.shape(n.Shape()); changed {
				r, err = NewScalar(n.Value, s, n.Name())
				if err == nil {
					r = keepInfo(n, r)
				}
			}
		case *Module:
			r, err = resolveModule(n, do)
		default:
			kids := c.Children()
			news := make([]Circuit, len(kids))
			changed := false
			for i, k := range kids {
				if news[i], err = do(k); err != nil {
					return nil, err
				}
				changed = changed || news[i] != k
			}
			r = c
			if changed {
				r, err = c.WithChildren(news)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("resolving symbolic sizes in %s: %w", Label(c), err)
		}
		memo[c.Hash()] = r
		return r, nil
	}
	out := make([]Circuit, len(roots))
	for i, c := range roots {
		r, err := do(c)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

func resolveModule(m *Module, do func(Circuit) (Circuit, error)) (Circuit, error) {
	kids := m.Children()
	news := make([]Circuit, len(kids))
	changed := false
	for i, k := range kids {
		r, err := do(k)
		if err != nil {
			return nil, err
		}
		news[i] = r
		changed = changed || r != k
	}
	specs := make([]ModuleArgSpec, len(m.ArgSpecs))
	for i, a := range m.ArgSpecs {
		r, err := do(a.Symbol)
		if err != nil {
			return nil, err
		}
		specs[i] = a
		specs[i].Symbol = r.(*Symbol)
		changed = changed || r != Circuit(a.Symbol)
	}
	if !changed {
		return m, nil
	}
	n, err := NewModule(m.Name(), news[0], specs, news[1:]...)
	if err != nil {
		return nil, err
	}
	return keepInfo(m, n), nil
}
