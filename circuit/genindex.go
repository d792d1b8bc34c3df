package circuit

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/circopt/circopt/tensor"
)

// GenIndexSpec is rust_circuit's gen_index (GeneralFunctionIndexSpec): a
// GeneralFunction of two inputs, x and an index circuit, that takes
// positions along one axis of x by the index's values. It prints as
// rust_circuit names it, gen_index_at_{IndexDim}[_batch_x][_no_batch_index][_c].
//
// With BatchX and BatchIndex, x is [index shape..., suffix...] and each
// index element picks along axis IndexDim of the suffix its own slice of x:
// out[b, pre, post] = x[b, pre, index[b], post]. With BatchIndex alone the
// index's axes come first: out[i, pre, post] = x[pre, index[i], post].
// Without BatchIndex they replace the indexed axis in place (numpy's take):
// out[pre, i, post] = x[pre, index[i], post]; BatchX then only says x may
// be batched, and IndexDim must be negative, as rust_circuit requires.
//
// Index values are floats in a circuit: CheckInts (the "_c" suffix)
// refuses one that is not a whole number, and without it a value is
// truncated toward zero as torch's .long() does. A value v in [-n, 0)
// counts from the end (numpy's take; torch's index_select refuses it);
// anything else outside the axis is an error naming the node and the
// index position, when the node is built if the index is an Array, else
// when it is evaluated.
type GenIndexSpec struct {
	IndexDim                      int
	BatchX, BatchIndex, CheckInts bool
}

const genIndexPrefix = "gen_index_at_"

// Name is the spec's rust_circuit function name.
func (s GenIndexSpec) Name() string {
	var b strings.Builder
	b.WriteString(genIndexPrefix + strconv.Itoa(s.IndexDim))
	if s.BatchX {
		b.WriteString("_batch_x")
	}
	if !s.BatchIndex {
		b.WriteString("_no_batch_index")
	}
	if s.CheckInts {
		b.WriteString("_c")
	}
	return b.String()
}

// ParseGenIndexName reads a gen_index function name; only the canonical
// form (what Name prints) is accepted, so parse then print is exact.
func ParseGenIndexName(name string) (GenIndexSpec, bool) {
	rest, ok := strings.CutPrefix(name, genIndexPrefix)
	if !ok {
		return GenIndexSpec{}, false
	}
	num := rest
	if i := strings.IndexByte(rest, '_'); i >= 0 {
		num = rest[:i]
	}
	dim, err := strconv.Atoi(num)
	if err != nil || dim > 1<<20 || dim < -(1<<20) {
		return GenIndexSpec{}, false
	}
	s := GenIndexSpec{IndexDim: dim, BatchIndex: true}
	flags := rest[len(num):]
	s.BatchX = strings.HasPrefix(flags, "_batch_x")
	flags = strings.TrimPrefix(flags, "_batch_x")
	s.BatchIndex = !strings.HasPrefix(flags, "_no_batch_index")
	flags = strings.TrimPrefix(flags, "_no_batch_index")
	s.CheckInts = flags == "_c"
	if s.Name() != name {
		return GenIndexSpec{}, false
	}
	return s, true
}

// canonDim is IndexDim counted from the front of an axis list of length n.
func (s GenIndexSpec) canonDim(n int) (int, error) {
	d := s.IndexDim
	if d < -n || d >= n {
		return 0, fmt.Errorf("index dim %d out of range for %d axes", d, n)
	}
	if d < 0 {
		d += n
	}
	return d, nil
}

// Layout is where the indexed axis of x is and how many leading axes of x
// are batch axes matched to the index (BatchX with BatchIndex), as
// rust_circuit's get_shape_info computes them.
func (s GenIndexSpec) Layout(x, index []int) (dim, prefix int, err error) {
	if s.BatchX && s.BatchIndex {
		prefix = len(index)
		if prefix >= len(x) || !slices.Equal(x[:prefix], index) {
			return 0, 0, fmt.Errorf("with batch_x, x %s must be the index's shape %s followed by at least one axis", shapeString(x), shapeString(index))
		}
		d, err := s.canonDim(len(x) - prefix)
		return d + prefix, prefix, err
	}
	if !s.BatchIndex && s.BatchX && s.IndexDim >= 0 {
		return 0, 0, fmt.Errorf("index dim must be negative when batching over x only")
	}
	d, err := s.canonDim(len(x))
	return d, 0, err
}

// Shape is the output shape for inputs of shapes x and index.
func (s GenIndexSpec) Shape(x, index []int) ([]int, error) {
	d, prefix, err := s.Layout(x, index)
	if err != nil {
		return nil, err
	}
	rest := append(slices.Clone(x[:d]), x[d+1:]...)
	switch {
	case prefix > 0:
		return rest, nil
	case s.BatchIndex:
		return append(slices.Clone(index), rest...), nil
	}
	out := slices.Clone(x[:d])
	out = append(out, index...)
	return append(out, x[d+1:]...), nil
}

// Positions turns index values into positions along an axis of size n
// (see GenIndexSpec for the rules); the error names the first bad
// element's position in the index, in C order.
func (s GenIndexSpec) Positions(vals []float64, indexShape []int, n int) ([]int64, error) {
	out := make([]int64, len(vals))
	for i, v := range vals {
		if s.CheckInts && v != math.Trunc(v) {
			return nil, fmt.Errorf("index value %g at position %s is not a whole number", v, flatPosition(i, indexShape))
		}
		t := math.Trunc(v)
		if math.IsNaN(v) || t < float64(-n) || t >= float64(n) {
			return nil, fmt.Errorf("index value %g at position %s is out of range for an axis of size %d", v, flatPosition(i, indexShape), n)
		}
		p := int64(t)
		if p < 0 {
			p += int64(n)
		}
		out[i] = p
	}
	return out, nil
}

// flatPosition writes element i of a C-order array of shape as [a, b, ...].
func flatPosition(i int, shape []int) string {
	idx := make([]string, len(shape))
	for ax := len(shape) - 1; ax >= 0; ax-- {
		d := max(shape[ax], 1)
		idx[ax] = strconv.Itoa(i % d)
		i /= d
	}
	return "[" + strings.Join(idx, ", ") + "]"
}

// NewGenIndex is GeneralFunction spec.Name() of x and index.
func NewGenIndex(name string, spec GenIndexSpec, x, index Circuit) (*GeneralFunction, error) {
	return NewGeneralFunction(name, spec.Name(), x, index)
}

// GenIndex returns the node's gen_index spec, if it is one.
func (g *GeneralFunction) GenIndex() (GenIndexSpec, bool) {
	fs := g.FunctionSpec()
	if fs == nil || fs.GenIndex == nil {
		return GenIndexSpec{}, false
	}
	return *fs.GenIndex, true
}

// genIndexSpec is the FunctionSpec of a gen_index name.
func genIndexSpec(name string) (*FunctionSpec, bool) {
	s, ok := ParseGenIndexName(name)
	if !ok {
		return nil, false
	}
	return &FunctionSpec{Name: name, Arity: 2, GenIndex: &s}, true
}

// checkGenIndex gives the output shape of a gen_index node and, when the
// index is a known Array, checks every value now, so a bad token id is an
// error when the circuit is built rather than a wrong number later.
func checkGenIndex(name string, s GenIndexSpec, x, index Circuit) ([]int, error) {
	shape, err := s.Shape(x.Shape(), index.Shape())
	if err != nil {
		return nil, nodeErr(KindGeneralFunction, name, "%s: %w", s.Name(), err)
	}
	if a, ok := index.(*Array); ok && a.Value != nil {
		d, _, _ := s.Layout(x.Shape(), index.Shape())
		if _, err := s.Positions(a.Value.Float64s(), index.Shape(), x.Shape()[d]); err != nil {
			return nil, nodeErr(KindGeneralFunction, name, "%s: index %s: %w", s.Name(), Label(index), err)
		}
	}
	return shape, nil
}

// evalGenIndex is the naive evaluator's gen_index.
func evalGenIndex(g *GeneralFunction, s GenIndexSpec, x, index *tensor.Tensor) (*tensor.Tensor, error) {
	xs, is := x.Shape(), index.Shape()
	d, prefix, err := s.Layout(xs, is)
	if err != nil {
		return nil, err
	}
	pos, err := s.Positions(index.Float64s(), is, xs[d])
	if err != nil {
		return nil, fmt.Errorf("%s: index %s: %w", s.Name(), Label(g.Children()[1]), err)
	}
	out, err := g.genIndexTensor(s, x, pos, d, prefix)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name(), err)
	}
	return out, nil
}

func (g *GeneralFunction) genIndexTensor(s GenIndexSpec, x *tensor.Tensor, pos []int64, d, prefix int) (*tensor.Tensor, error) {
	xs := x.Shape()
	if prefix > 0 {
		// one slice of x per index element: x flattened to [nb, suffix...]
		nb := len(pos)
		flat, err := x.Contiguous().Reshape(append([]int{nb}, xs[prefix:]...))
		if err != nil {
			return nil, err
		}
		parts := make([]*tensor.Tensor, nb)
		for b := range nb {
			row, err := flat.Select(0, b)
			if err != nil {
				return nil, err
			}
			if parts[b], err = row.Select(d-prefix, int(pos[b])); err != nil {
				return nil, err
			}
			if parts[b], err = parts[b].Unsqueeze(0); err != nil {
				return nil, err
			}
		}
		cat, err := tensor.Concat(parts, 0)
		if err != nil {
			return nil, err
		}
		return cat.Reshape(g.Shape())
	}
	taken, err := tensor.Gather(x, d, pos)
	if err != nil {
		return nil, err
	}
	if s.BatchIndex && d > 0 {
		perm := []int{d}
		for ax := range len(xs) {
			if ax != d {
				perm = append(perm, ax)
			}
		}
		if taken, err = taken.Permute(perm); err != nil {
			return nil, err
		}
	}
	return taken.Contiguous().Reshape(g.Shape())
}
