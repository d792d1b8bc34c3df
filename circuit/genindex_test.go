package circuit

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
)

// giCase is one gen_index to check against an element-by-element oracle
// written the way rust_circuit's own tests (test_gen_index.py) write it.
type giCase struct {
	spec   GenIndexSpec
	xShape []int
	iShape []int
}

func giCases() []giCase {
	var cs []giCase
	for _, d := range []int{0, 1, -2, -1} {
		cs = append(cs,
			giCase{GenIndexSpec{IndexDim: d, BatchX: true, BatchIndex: true, CheckInts: true}, []int{1, 4, 2, 5, 7}, []int{1, 4, 2}},
			giCase{GenIndexSpec{IndexDim: d, BatchIndex: true}, []int{5, 7}, []int{1, 4, 2}},
			giCase{GenIndexSpec{IndexDim: d, BatchIndex: false, CheckInts: true}, []int{5, 7}, []int{1, 4, 2}},
		)
		if d < 0 {
			cs = append(cs, giCase{GenIndexSpec{IndexDim: d, BatchX: true}, []int{5, 7}, []int{1, 4, 2}})
		}
	}
	// a 3-D x with the index axis in the middle
	cs = append(cs, giCase{GenIndexSpec{IndexDim: 1, BatchIndex: true}, []int{3, 4, 2}, []int{5}})
	cs = append(cs, giCase{GenIndexSpec{IndexDim: 1, BatchIndex: false}, []int{3, 4, 2}, []int{2, 2}})
	return cs
}

// giOracle computes gen_index by unravelling every output position, as
// numpy would with x[(*b, *pre, index[i], *post)].
func giOracle(s GenIndexSpec, x *tensor.Tensor, idx []int64, iShape []int) (*tensor.Tensor, error) {
	xs := x.Shape()
	d, prefix, err := s.Layout(xs, iShape)
	if err != nil {
		return nil, err
	}
	out, err := s.Shape(xs, iShape)
	if err != nil {
		return nil, err
	}
	vals := make([]float64, 0)
	total := 1
	for _, v := range out {
		total *= v
	}
	for flat := range total {
		o := unravel(flat, out)
		var xi []int
		var ii []int
		switch {
		case prefix > 0: // out = b + pre + post
			ii = o[:prefix]
			xi = append(append(slices.Clone(o[:d]), -1), o[d:]...)
		case s.BatchIndex: // out = i + pre + post
			ii = o[:len(iShape)]
			rest := o[len(iShape):]
			xi = append(append(slices.Clone(rest[:d]), -1), rest[d:]...)
		default: // out = pre + i + post
			ii = o[d : d+len(iShape)]
			xi = append(append(slices.Clone(o[:d]), -1), o[d+len(iShape):]...)
		}
		p := idx[ravel(ii, iShape)]
		if p < 0 {
			p += int64(xs[d])
		}
		xi[d] = int(p)
		v, err := x.At(xi...)
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
	}
	return tensor.FromFloat64(out, vals)
}

func unravel(i int, shape []int) []int {
	out := make([]int, len(shape))
	for ax := len(shape) - 1; ax >= 0; ax-- {
		out[ax] = i % shape[ax]
		i /= shape[ax]
	}
	return out
}

func ravel(idx, shape []int) int {
	i := 0
	for ax, v := range idx {
		i = i*shape[ax] + v
	}
	return i
}

// giIndex draws index values in [-n, n) from a seed (negatives count from the end).
func giIndex(t *testing.T, shape []int, n int, seed uint64) (*tensor.Tensor, []int64) {
	t.Helper()
	size := 1
	for _, d := range shape {
		size *= d
	}
	ids := make([]int64, size)
	x := seed
	for i := range ids {
		x = x*6364136223846793005 + 1442695040888963407
		ids[i] = int64((x>>33)%uint64(2*n)) - int64(n)
	}
	tt, err := tensor.FromInt64(shape, ids)
	if err != nil {
		t.Fatal(err)
	}
	return tt, ids
}

func TestGenIndexMatchesOracle(t *testing.T) {
	for i, tc := range giCases() {
		t.Run(tc.spec.Name()+fmt.Sprint(tc.xShape), func(t *testing.T) {
			xa, err := RandArray(tc.xShape, uint64(i+1), tensor.Float64, "x")
			if err != nil {
				t.Fatal(err)
			}
			d, _, err := tc.spec.Layout(tc.xShape, tc.iShape)
			if err != nil {
				t.Fatal(err)
			}
			it, ids := giIndex(t, tc.iShape, tc.xShape[d], uint64(i+7))
			ia, err := NewArray(it, "index")
			if err != nil {
				t.Fatal(err)
			}
			g, err := NewGenIndex("g", tc.spec, xa, ia)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Evaluate(g, EvalOptions{DType: tensor.Float64})
			if err != nil {
				t.Fatal(err)
			}
			want, err := giOracle(tc.spec, xa.Value, ids, tc.iShape)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Shape(), g.Shape()) || !slices.Equal(want.Shape(), g.Shape()) {
				t.Fatalf("shapes: node %v, value %v, oracle %v", g.Shape(), got.Shape(), want.Shape())
			}
			if abs, _, err := tensor.Compare(got, want); err != nil || abs != 0 {
				t.Errorf("differs from the oracle by %g (%v)", abs, err)
			}
			// print then parse is hash-equal
			st := ppStore{}
			st.addAll([]Circuit{g})
			txt := Print(g)
			back, err := ParseCircuits(txt, ParseOptions{File: "g.circ", Store: st})
			if err != nil || !Equal(back[0], g) {
				t.Fatalf("round trip: %v\n%s", err, txt)
			}
		})
	}
}

// The names rust_circuit prints parse to their parameters and print back;
// near misses are not gen_index names.
func TestGenIndexNames(t *testing.T) {
	for name, want := range map[string]GenIndexSpec{
		"gen_index_at_0_c":                         {IndexDim: 0, BatchIndex: true, CheckInts: true},
		"gen_index_at_0_batch_x_c":                 {IndexDim: 0, BatchX: true, BatchIndex: true, CheckInts: true},
		"gen_index_at_-2_batch_x_no_batch_index_c": {IndexDim: -2, BatchX: true, CheckInts: true},
		"gen_index_at_3_no_batch_index":            {IndexDim: 3},
		"gen_index_at_-1":                          {IndexDim: -1, BatchIndex: true},
	} {
		got, ok := ParseGenIndexName(name)
		if !ok || got != want || got.Name() != name {
			t.Errorf("%s: %+v %v, want %+v", name, got, ok, want)
		}
	}
	for _, bad := range []string{"gen_index_at_", "gen_index_at_+1", "gen_index_at_01", "gen_index_at_0_c_batch_x",
		"gen_index_at_0_x", "gen_index_at_0__c", "gen_index_at_1e3", "gen_index_at_-0", "gen_index_at_0_no_batch_index_batch_x"} {
		if s, ok := ParseGenIndexName(bad); ok {
			t.Errorf("%q parsed as %+v", bad, s)
		}
	}
}

// An index outside the axis is an error naming the node and the index
// position: when the node is built for a known Array, when evaluated for
// a Symbol; a fractional index is refused by the _c form.
func TestGenIndexBadIndex(t *testing.T) {
	x, _ := RandArray([]int{4, 3}, 1, tensor.Float64, "table")
	it, _ := tensor.FromInt64([]int{2, 2}, []int64{0, 1, 4, 2})
	ia, _ := NewArray(it, "ids")
	_, err := NewGenIndex("emb", GenIndexSpec{IndexDim: 0, BatchIndex: true, CheckInts: true}, x, ia)
	if err == nil || !strings.Contains(err.Error(), `"emb"`) || !strings.Contains(err.Error(), "[1, 0]") || !strings.Contains(err.Error(), "size 4") {
		t.Errorf("build error %v", err)
	}
	s, _ := NewSymbol([]int{2}, "", "ids")
	g, err := NewGenIndex("emb", GenIndexSpec{IndexDim: 0, BatchIndex: true, CheckInts: true}, x, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		vals []float64
		want string
	}{{[]float64{0, -5}, "[1] is out of range"}, {[]float64{0.5, 1}, "[0] is not a whole number"}, {[]float64{math.NaN(), 1}, "NaN at position [0]"}} {
		v, _ := tensor.FromFloat64([]int{2}, tc.vals)
		_, err := Evaluate(g, EvalOptions{DType: tensor.Float64, Bindings: map[string]*tensor.Tensor{"ids": v}})
		if err == nil || !strings.Contains(err.Error(), "emb") || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want %q", tc.vals, err, tc.want)
		}
	}
	// shape errors name the node
	if _, err := NewGenIndex("bad", GenIndexSpec{IndexDim: 2, BatchIndex: true}, x, ia); err == nil || !strings.Contains(err.Error(), `"bad"`) {
		t.Errorf("dim error %v", err)
	}
	if _, err := NewGenIndex("bad", GenIndexSpec{IndexDim: 0, BatchX: true, BatchIndex: true}, x, ia); err == nil {
		t.Errorf("batch_x with mismatched shapes accepted")
	}
	if _, err := NewGenIndex("bad", GenIndexSpec{IndexDim: 0, BatchX: true}, x, ia); err == nil {
		t.Errorf("batch_x without batch_index and a non-negative dim accepted")
	}
}

// FuzzParseGenIndexName: a name that parses prints back to itself, and its
// shape rule never panics.
func FuzzParseGenIndexName(f *testing.F) {
	for _, s := range []string{"gen_index_at_0_c", "gen_index_at_-2_batch_x_no_batch_index_c", "gen_index_at_1_batch_x", "gen_index_at_x", "gen_index_at_-9999999999999"} {
		f.Add(s, 3, 2)
	}
	f.Fuzz(func(t *testing.T, name string, xr, ir int) {
		s, ok := ParseGenIndexName(name)
		if !ok {
			return
		}
		if s.Name() != name {
			t.Fatalf("%q prints as %q", name, s.Name())
		}
		xr, ir = max(0, xr%6), max(0, ir%6)
		x := slices.Repeat([]int{2}, xr)
		i := slices.Repeat([]int{2}, ir)
		s.Shape(x, i) // must not panic
	})
}
