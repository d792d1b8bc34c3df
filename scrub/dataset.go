package scrub

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/circopt/circopt/tensor"
	"github.com/circopt/circopt/weights"
)

// Dataset is a set of named arrays sharing a leading example axis. Some of
// them are the circuit's inputs, others are feature columns that samplers
// condition on. A Dataset never changes after construction.
type Dataset struct {
	n      int
	names  []string
	arrays map[string]*tensor.Tensor
	mu     sync.Mutex
	vals   map[string][]float64 // each array's values, converted once (under mu)
	vals32 map[string][]float32 // the same in float32, for float32 gathers (under mu)
	groups map[string]*grouping // agree-on groups per column list, computed once (under mu)
}

// NewDataset checks that every array has rank >= 1 and the same leading
// length, at least 1.
func NewDataset(arrays map[string]*tensor.Tensor) (*Dataset, error) {
	if len(arrays) == 0 {
		return nil, fmt.Errorf("dataset has no arrays")
	}
	d := &Dataset{n: -1, arrays: map[string]*tensor.Tensor{}, vals: map[string][]float64{}, vals32: map[string][]float32{}, groups: map[string]*grouping{}}
	for name := range arrays {
		d.names = append(d.names, name)
	}
	sort.Strings(d.names)
	for _, name := range d.names {
		t := arrays[name]
		if t == nil || t.Rank() == 0 {
			return nil, &ColumnError{name, "a dataset array needs a leading example axis (got a scalar)"}
		}
		switch {
		case d.n < 0:
			d.n = t.Dim(0)
		case t.Dim(0) != d.n:
			return nil, &ColumnError{name, fmt.Sprintf("has %d examples, but %q has %d", t.Dim(0), d.names[0], d.n)}
		}
		d.arrays[name] = t.Contiguous()
	}
	if d.n == 0 {
		return nil, fmt.Errorf("dataset has no examples")
	}
	if d.n > math.MaxInt32 {
		// the samplers' groups index examples with int32
		return nil, fmt.Errorf("dataset has %d examples; at most %d are supported", d.n, math.MaxInt32)
	}
	return d, nil
}

// LoadDataset reads a dataset from an .npz file.
func LoadDataset(path string) (*Dataset, error) {
	arrays, err := weights.LoadNpz(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d, err := NewDataset(arrays)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// Len is the number of examples.
func (d *Dataset) Len() int { return d.n }

// Names lists the arrays, sorted.
func (d *Dataset) Names() []string { return append([]string(nil), d.names...) }

// Array returns the named array, or a *ColumnError.
func (d *Dataset) Array(name string) (*tensor.Tensor, error) {
	t, ok := d.arrays[name]
	if !ok {
		return nil, &ColumnError{name, fmt.Sprintf("not in the dataset (arrays: %v)", d.names)}
	}
	return t, nil
}

// RowKeys returns, per example, a key that is equal for two examples
// exactly when they agree on every named column (values compared as
// float64, so 3 and 3.0 agree).
func (d *Dataset) RowKeys(columns []string) ([]string, error) {
	out := make([]string, d.n)
	for _, c := range columns {
		ks, err := d.columnKeys(c)
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i] += ks[i]
		}
	}
	return out, nil
}

// agreeGroups is the partition of the examples by their values on
// columns, computed once per column list: every Experiment on d agreeing
// on the same columns (a day's hypotheses, say) shares it.
func (d *Dataset) agreeGroups(columns []string) (*grouping, error) {
	id := strings.Join(columns, "\x00")
	d.mu.Lock()
	g, ok := d.groups[id]
	d.mu.Unlock()
	if ok {
		return g, nil
	}
	keys, err := d.RowKeys(columns) // takes mu itself
	if err != nil {
		return nil, err
	}
	g = groupKeys(keys)
	d.mu.Lock()
	defer d.mu.Unlock()
	if prev, ok := d.groups[id]; ok { // a concurrent caller got there first: the same groups
		return prev, nil
	}
	d.groups[id] = g
	return g, nil
}

// columnKeys is one column's row keys. They are not kept: the samplers
// keep the groups made from them, and tens of thousands of live strings
// would be rescanned by every garbage collection of every scrub.
func (d *Dataset) columnKeys(c string) ([]string, error) {
	t, err := d.Array(c)
	if err != nil {
		return nil, err
	}
	vals := t.Float64s()
	row := len(vals) / d.n
	ks := make([]string, d.n)
	buf := make([]byte, 8*row)
	for i := range ks {
		for j, v := range vals[i*row : (i+1)*row] {
			if v == 0 {
				v = 0 // -0 agrees with 0
			}
			binary.LittleEndian.PutUint64(buf[8*j:], math.Float64bits(v))
		}
		ks[i] = string(buf)
	}
	return ks, nil
}

// Uniform draws n example indices uniformly, with replacement.
func (d *Dataset) Uniform(n int, draws *Draws) []int {
	out := make([]int, n)
	draws.Uniform(out, d.n)
	return out
}

// values is the named array's values as float64, converted once.
func (d *Dataset) values(name string) ([]float64, error) {
	return converted(d, d.vals, name, (*tensor.Tensor).Float64s)
}

// values32 is the named array's values as float32, converted once.
func (d *Dataset) values32(name string) ([]float32, error) {
	return converted(d, d.vals32, name, (*tensor.Tensor).Float32s)
}

// converted looks name up in cache (under d.mu), converting it once.
func converted[T any](d *Dataset, cache map[string][]T, name string, conv func(*tensor.Tensor) []T) ([]T, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := cache[name]; ok {
		return v, nil
	}
	t, err := d.Array(name)
	if err != nil {
		return nil, err
	}
	v := conv(t)
	cache[name] = v
	return v, nil
}

// Gather returns the named array at the given examples, in dtype dt, with
// the example axis first: what a datum vector means for one input.
func (d *Dataset) Gather(name string, idx []int, dt tensor.DType) (*tensor.Tensor, error) {
	t, err := d.Array(name)
	if err != nil {
		return nil, err
	}
	row := t.Size() / d.n
	shape := append([]int{len(idx)}, t.Shape()[1:]...)
	if dt == tensor.Float32 {
		// float32 runs gather float32 rows: no float64 copy to cast
		vals, err := d.values32(name)
		if err != nil {
			return nil, err
		}
		out := make([]float32, len(idx)*row)
		if err := gather(d, name, out, vals, idx, row); err != nil {
			return nil, err
		}
		return tensor.FromFloat32(shape, out)
	}
	vals, err := d.values(name)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(idx)*row)
	if err := gather(d, name, out, vals, idx, row); err != nil {
		return nil, err
	}
	g, err := tensor.FromFloat64(shape, out)
	if err != nil {
		return nil, err
	}
	return g.Cast(dt), nil
}

// f32Pool recycles float32 gather buffers between scrubs: allocating and
// clearing fresh ones was much of a warm scrub's evaluation. It keeps up to
// 256 buffers and 256 MiB.
var f32Pool = freeList[float32]{max: 256, maxBytes: 256 << 20}

func getF32(n int) []float32 { return f32Pool.get(n) }

func putF32(b []float32) { f32Pool.put(b) }

// gatherPooled is a float32 Gather into a buffer from f32Pool, returned
// with the tensor so that its owner can hand it back. columnar lays the
// rows of a rank-2 array out column by column: the same [n, r] tensor,
// strided (1, n), whose columns are contiguous.
func (d *Dataset) gatherPooled(name string, idx []int, columnar bool) (*tensor.Tensor, []float32, error) {
	t, err := d.Array(name)
	if err != nil {
		return nil, nil, err
	}
	vals, err := d.values32(name)
	if err != nil {
		return nil, nil, err
	}
	row := t.Size() / d.n
	buf := getF32(len(idx) * row)
	columnar = columnar && t.Rank() == 2
	if columnar {
		err = gatherColumns(d, name, buf, vals, idx, row)
	} else {
		err = gather(d, name, buf, vals, idx, row)
	}
	if err != nil {
		putF32(buf)
		return nil, nil, err
	}
	g, err := gatheredTensor(buf, len(idx), row, t, columnar)
	return g, buf, err
}

// gatheredTensor is buf as the [n, ...] gather of array's rows (row
// elements each): column by column, strided (1, n), when columnar (array
// of rank 2), else row by row.
func gatheredTensor(buf []float32, n, row int, array *tensor.Tensor, columnar bool) (*tensor.Tensor, error) {
	if !columnar {
		return tensor.FromFloat32(append([]int{n}, array.Shape()[1:]...), buf)
	}
	t, err := tensor.FromFloat32([]int{row, n}, buf)
	if err != nil {
		return nil, err
	}
	return t.Permute([]int{1, 0})
}

// gatherColumns is gather into a column-by-column layout: element c of
// row k at out[c*len(idx)+k]. Parts of big gathers run in parallel.
func gatherColumns(d *Dataset, name string, out, vals []float32, idx []int, row int) error {
	var mu sync.Mutex
	first := len(idx)
	splitWork(len(idx), max(1, gatherPart/row), func(lo, hi int) {
		if k := gatherColumnsPart(out, vals, idx, row, lo, hi); k >= 0 {
			mu.Lock()
			first = min(first, k)
			mu.Unlock()
		}
	})
	if first < len(idx) {
		return fmt.Errorf("%s: example %d out of range [0,%d)", name, idx[first], d.n)
	}
	return nil
}

// gatherColumnsPart gathers rows [lo, hi) of idx, returning the first
// position out of range or -1.
func gatherColumnsPart(out, vals []float32, idx []int, row, lo, hi int) int {
	n, m := len(idx), len(vals)/row
	if row == 3 {
		ids := idx[lo:hi]
		c0, c1, c2 := out[lo:hi], out[n+lo:n+hi], out[2*n+lo:2*n+hi]
		c0, c1, c2 = c0[:len(ids)], c1[:len(ids)], c2[:len(ids)]
		for k, i := range ids {
			if uint(i) >= uint(m) {
				return lo + k
			}
			v := vals[3*i : 3*i+3 : 3*i+3]
			c0[k], c1[k], c2[k] = v[0], v[1], v[2]
		}
		return -1
	}
	for k := lo; k < hi; k++ {
		i := idx[k]
		if uint(i) >= uint(m) {
			return k
		}
		for c, v := range vals[i*row : (i+1)*row] {
			out[c*n+k] = v
		}
	}
	return -1
}

// gather copies name's rows at idx into out, in parallel parts for big
// gathers (a part is at least gatherPart elements); an index out of range
// is an error naming the first one.
func gather[T float32 | float64](d *Dataset, name string, out, vals []T, idx []int, row int) error {
	var mu sync.Mutex
	first := len(idx)
	splitWork(len(idx), max(1, gatherPart/row), func(lo, hi int) {
		if k := gatherRows(out[lo*row:hi*row], vals, idx[lo:hi], row); k >= 0 {
			mu.Lock()
			first = min(first, lo+k)
			mu.Unlock()
		}
	})
	if first < len(idx) {
		return fmt.Errorf("%s: example %d out of range [0,%d)", name, idx[first], d.n)
	}
	return nil
}

// gatherRows copies the rows of vals (row elements each) at idx into out
// and returns -1, or stops at the first index out of range and returns
// its position. The range check is also the bounds check the copy needs.
func gatherRows[T float32 | float64](out, vals []T, idx []int, row int) int {
	if row == 1 {
		out = out[:len(idx)]
		for k, i := range idx {
			if uint(i) >= uint(len(vals)) {
				return k
			}
			out[k] = vals[i]
		}
		return -1
	}
	n := len(vals) / row
	if row == 3 {
		// triples (day 4a's digits): unrolled, one bounds check per side
		for k, i := range idx {
			if uint(i) >= uint(n) {
				return k
			}
			o, v := out[3*k:3*k+3:3*k+3], vals[3*i:3*i+3:3*i+3]
			o[0], o[1], o[2] = v[0], v[1], v[2]
		}
		return -1
	}
	for k, i := range idx {
		if uint(i) >= uint(n) {
			return k
		}
		dst, src := out[k*row:(k+1)*row], vals[i*row:(i+1)*row]
		if row <= 16 {
			// short rows: an element loop beats a memmove call per row
			for j := range dst {
				dst[j] = src[j]
			}
			continue
		}
		copy(dst, src)
	}
	return -1
}
