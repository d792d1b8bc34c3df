package scrub

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// rangeDS is IntDataset.of_shape((n,), lambda x: x): xs[i] = labels[i] = i.
func rangeDS(t *testing.T, n int) *Dataset {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(i)
	}
	return datasetOf(t, n, 1, xs, xs)
}

func iota(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func corrcoef(a, b []int) float64 {
	n := float64(len(a))
	var ma, mb float64
	for i := range a {
		ma += float64(a[i])
		mb += float64(b[i])
	}
	ma, mb = ma/n, mb/n
	var sab, saa, sbb float64
	for i := range a {
		da, db := float64(a[i])-ma, float64(b[i])-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	return sab / math.Sqrt(saa*sbb)
}

func TestUncondSampler(t *testing.T) {
	ds := rangeDS(t, 100)
	rng := NewDraws(1)
	s := &UncondSampler{}
	a, _ := s.Sample(iota(100), ds, rng)
	b, _ := s.Sample(iota(100), ds, rng)
	if c := corrcoef(iota(100), a); c >= 0.5 {
		t.Errorf("sample correlates %g with the reference", c)
	}
	if c := corrcoef(a, b); c >= 0.5 {
		t.Errorf("two samples correlate %g", c)
	}
	ea, _ := s.EqClass(iota(100), ds)
	eb, _ := s.EqClass(a, ds)
	if ea != eb {
		t.Error("uncond samplers put different references in different pools")
	}
}

func TestExactSampler(t *testing.T) {
	ds := rangeDS(t, 100)
	ref := iota(100)
	got, _ := ExactSampler{}.Sample(ref, ds, NewDraws(1))
	if !slices.Equal(got, ref) {
		t.Fatal("exact sampler changed the reference")
	}
	other := slices.Clone(ref)
	slices.Reverse(other)
	ea, _ := ExactSampler{}.EqClass(ref, ds)
	eb, _ := ExactSampler{}.EqClass(other, ds)
	if ea == eb {
		t.Error("exact sampler shares a pool between different references")
	}
}

func TestUncondTogetherSampler(t *testing.T) {
	ds := rangeDS(t, 100)
	root := NewInterpNode("A", ExactSampler{}, nil)
	b0 := root.MakeDescendant("B0", UncondTogether(DefaultTogetherID), nil)
	b1 := root.MakeDescendant("B1", UncondTogether(DefaultTogetherID), nil)
	b2 := root.MakeDescendant("B2", UncondTogether("another group"), nil)
	ex := experimentOn(t, ds, root, b0, b1, b2)
	s, err := ex.Sample(100, 3)
	if err != nil {
		t.Fatal(err)
	}
	if c := corrcoef(s.Ref, s.Datum["B0"]); c >= 0.5 {
		t.Errorf("together sample correlates %g with the reference", c)
	}
	if !slices.Equal(s.Datum["B0"], s.Datum["B1"]) {
		t.Error("samplers of one together group drew different data")
	}
	if slices.Equal(s.Datum["B0"], s.Datum["B2"]) {
		t.Error("samplers of different together groups drew the same data")
	}
}

func TestFixedOtherSampler(t *testing.T) {
	ds := rangeDS(t, 100)
	other := iota(100)
	slices.Reverse(other)
	root := NewInterpNode("A", ExactSampler{}, nil)
	b := root.MakeDescendant("B", &FixedOtherSampler{Other: other}, nil)
	s, err := experimentOn(t, ds, root, b).Sample(100, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Datum["B"], other) {
		t.Fatal("fixed sampler did not return its dataset")
	}
	if _, err := (&FixedOtherSampler{Other: other[:3]}).Sample(iota(5), ds, NewDraws(0)); err == nil {
		t.Fatal("fixed sampler of the wrong length accepted")
	}
}

// The draw agrees with the reference on the feature and is uniform among
// the examples that do: each of the 10 examples sharing a key is drawn
// about equally often.
func TestFuncSamplerAgreesAndIsUniform(t *testing.T) {
	ds := intDataset(t, 200, 2, func(x []float64) float64 { return x[0] })
	keys, _ := ds.RowKeys([]string{"labels"})
	s := AgreeOn("labels")
	ref := make([]int, 20000)
	for i := range ref {
		ref[i] = i % ds.Len()
	}
	got, err := s.Sample(ref, ds, NewDraws(5))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[int]int{}
	for p, i := range got {
		if keys[i] != keys[ref[p]] {
			t.Fatalf("draw %d disagrees with reference %d on the label", i, ref[p])
		}
		counts[i]++
	}
	// chi-square over examples: a class gets references in proportion to
	// its size and spreads them evenly, so every example expects the same
	var chi2 float64
	for i := range ds.Len() {
		exp := float64(len(ref)) / float64(ds.Len())
		d := float64(counts[i]) - exp
		chi2 += d * d / exp
	}
	// 199 degrees of freedom: mean 199, sd 20; 320 is six sd out
	if chi2 > 320 {
		t.Errorf("chi-square %g: draws are not uniform within classes", chi2)
	}
}

func TestFuncSamplerEqClassFollowsFeature(t *testing.T) {
	ds := intDataset(t, 100, 2, func(x []float64) float64 { return x[0] })
	s := AgreeOn("labels")
	keys, _ := ds.RowKeys([]string{"labels"})
	// two references with the same labels share a class
	var a, b []int
	for i := range ds.Len() {
		for j := i + 1; j < ds.Len(); j++ {
			if keys[i] == keys[j] {
				a, b = []int{i}, []int{j}
			}
		}
	}
	ea, _ := s.EqClass(a, ds)
	eb, _ := s.EqClass(b, ds)
	if a == nil || ea != eb {
		t.Fatal("equal features in different pools")
	}
}

func TestPoolBoundsDistinctDraws(t *testing.T) {
	ds := rangeDS(t, 1000)
	root := NewInterpNode("root", ExactSampler{}, nil)
	nodes := []*InterpNode{root}
	for i := range 30 {
		nodes = append(nodes, root.MakeDescendant("b"+string(rune('a'+i)), &UncondSampler{Pool: Pool{Size: 4, ID: "p"}}, nil))
	}
	s, err := experimentOn(t, ds, nodes...).Sample(50, 9)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[string]bool{}
	for _, n := range nodes[1:] {
		distinct[string(tensorBytes(s.Datum[n.Name]))] = true
	}
	if len(distinct) > 4 || len(distinct) < 2 {
		t.Fatalf("a pool of 4 gave %d distinct draws over 30 samplers", len(distinct))
	}
}

func tensorBytes(idx []int) []byte {
	out := make([]byte, 0, len(idx)*2)
	for _, i := range idx {
		out = append(out, byte(i), byte(i>>8))
	}
	return out
}

// experimentOn builds an experiment on the model xs[0] + labels with the
// root matching the model and every other node matching xs's index.
func experimentOn(t *testing.T, ds *Dataset, nodes ...*InterpNode) *Experiment {
	t.Helper()
	model := parseModel(t, `
'C' Index [0]
  'xs' [1] Symbol
`)
	c := NewCorrespondence()
	for i, n := range nodes {
		m := RootMatcher()
		if i > 0 {
			m = pm(t, "'labels'")
		}
		if err := c.Add(n, m); err != nil {
			t.Fatal(err)
		}
	}
	ex, err := NewExperiment(model, ds, c)
	if err == nil {
		return ex
	}
	// several siblings matching one node fail injectivity; sampling does
	// not need the model, so check the tree and sample without it
	order, oerr := c.Order()
	if oerr != nil {
		t.Fatal(oerr)
	}
	return &Experiment{Data: ds, Corr: c, order: order, Inputs: []string{"labels", "xs"}}
}

func TestFuncSamplerNoAgreeingDatum(t *testing.T) {
	ds := rangeDS(t, 10)
	// a feature computed on another dataset's examples cannot be matched
	s := &FuncSampler{Name: "broken", Feature: func(*Dataset) ([]string, error) { return []string{"a"}, nil }}
	if _, err := s.Sample([]int{0}, ds, NewDraws(0)); err == nil {
		t.Fatal("feature of the wrong length accepted")
	}
}

// TestAgreeOnGroupsCachedOnDataset: AgreeOn samplers made separately (one
// per Experiment, as hypothesis files make them) share one grouping per
// dataset and column list, and draw exactly what a FuncSampler with the
// same feature and its own grouping draws.
func TestAgreeOnGroupsCachedOnDataset(t *testing.T) {
	ds := intDataset(t, 300, 2, func(x []float64) float64 { return x[0] })
	a, b := AgreeOn("labels"), AgreeOn("labels")
	ga, err := a.grouped(ds)
	if err != nil {
		t.Fatal(err)
	}
	gb, _ := b.grouped(ds)
	if ga != gb {
		t.Error("two AgreeOn(labels) samplers grouped the dataset twice")
	}
	if gx, _ := AgreeOn("xs", "labels").grouped(ds); gx == ga {
		t.Error("another column list reused labels' groups")
	}
	own := &FuncSampler{Name: "own", Feature: a.Feature}
	ref := make([]int, 5000)
	for i := range ref {
		ref[i] = (i * 7) % ds.Len()
	}
	for seed := range uint64(5) {
		got, err := a.Sample(ref, ds, NewDraws(seed))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := own.Sample(ref, ds, NewDraws(seed))
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: cached groups drew differently", seed)
		}
	}
}

// A reference out of range is an error naming it, whether the vector is
// drawn whole, in parallel parts, or by range.
func TestFuncSamplerRejectsBadReferences(t *testing.T) {
	ds := intDataset(t, 200, 2, func(x []float64) float64 { return x[0] })
	s := AgreeOn("labels")
	for _, n := range []int{3, 3 * parallelDraws} {
		ref := make([]int, n)
		ref[n-1] = 200
		ref[n/2] = -4
		_, err := s.Sample(ref, ds, NewDraws(1))
		if err == nil || !strings.Contains(err.Error(), "reference example -4 out of range") {
			t.Errorf("n %d: got %v", n, err)
		}
		if err := s.drawRange(make([]int, n), ref, ds, NewDraws(1), 0); err == nil {
			t.Errorf("n %d: drawRange took a bad reference", n)
		}
	}
}

// Agree-on draws are the plain definition: member below(number p, size)
// of ref[p]'s group, members ascending, on small and large datasets with
// few and many groups.
func TestFuncSamplerDrawsByDefinition(t *testing.T) {
	for _, n := range []int{1000, 70000} {
		for _, groups := range []int{3, 300} {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = float64((i * 7919) % groups)
			}
			ds := datasetOf(t, n, 1, xs, xs)
			byValue := map[float64][]int{}
			for i, v := range xs {
				byValue[v] = append(byValue[v], i)
			}
			ref := make([]int, 5000)
			for p := range ref {
				ref[p] = (p * 104729) % n
			}
			got, err := AgreeOn("labels").Sample(ref, ds, NewDraws(uint64(n+groups)))
			if err != nil {
				t.Fatal(err)
			}
			d := NewDraws(uint64(n + groups))
			for p, r := range ref {
				m := byValue[xs[r]]
				if want := m[below(d.at(uint64(p)), len(m))]; got[p] != want {
					t.Fatalf("n %d, %d groups: draw %d is %d, want %d", n, groups, p, got[p], want)
				}
			}
		}
	}
}
