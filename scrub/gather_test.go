package scrub

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/tensor"
)

// A gather checks every index, in every part of a parallel gather, and
// names the first one out of range; in range it copies rows exactly.
func TestGatherChecksIndices(t *testing.T) {
	for _, k := range []int{3, 5, 20} { // xs rows: unrolled, element loop, copy
		checkGathers(t, intDataset(t, 100, k, func(x []float64) float64 { return x[0] }))
	}
}

func checkGathers(t *testing.T, ds *Dataset) {
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	idx := make([]int, 3*gatherPart)
	for p := range idx {
		idx[p] = (p * 7) % 100
	}
	for _, name := range []string{"xs", "labels"} {
		all, _ := ds.Array(name)
		want := all.Float64s()
		row := len(want) / 100
		for _, mode := range []string{"fresh", "pooled", "columnar"} {
			pooled := mode != "fresh"
			var got []float64
			if pooled {
				g, buf, err := ds.gatherPooled(name, idx, mode == "columnar")
				if err != nil {
					t.Fatal(err)
				}
				got = g.Float64s()
				putF32(buf)
			} else {
				g, err := ds.Gather(name, idx, tensor.Float64)
				if err != nil {
					t.Fatal(err)
				}
				got = g.Float64s()
			}
			for p, i := range idx {
				if !slices.Equal(got[p*row:(p+1)*row], want[i*row:(i+1)*row]) {
					t.Fatalf("%s %s: row %d is not example %d", name, mode, p, i)
				}
			}
		}
		for _, bad := range []struct{ at, val int }{{len(idx) - 1, 100}, {5, -1}, {2 * gatherPart, 1 << 40}} {
			b := slices.Clone(idx)
			b[bad.at] = bad.val
			b[len(b)-1] = 100 // a later bad index: the first one is reported
			if bad.at == len(idx)-1 {
				b[bad.at] = bad.val
			}
			_, err := ds.Gather(name, b, tensor.Float32)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("example %d out of range", bad.val)) {
				t.Errorf("%s: index %d at %d: got %v", name, bad.val, bad.at, err)
			}
			for _, columnar := range []bool{false, true} {
				if _, _, err := ds.gatherPooled(name, b, columnar); err == nil || !strings.Contains(err.Error(), "out of range") {
					t.Errorf("%s: pooled gather (columnar %v) took index %d: %v", name, columnar, bad.val, err)
				}
			}
		}
	}
}

// Day 4a's model reads xs one digit at a time, so its float32 runs gather
// xs column by column; a model that reads rows whole keeps rows. Both
// layouts give the float64 naive evaluation's numbers.
func TestColumnarGathersKeepTheNumbers(t *testing.T) {
	ex := loadDay4a(t, "hypothesis.json")
	ds := ex.Data
	if !ex.columnar["xs"] || ex.columnar["labels"] || len(ex.columnar) != 1 {
		t.Fatalf("columnar inputs %v, want xs only", ex.columnar)
	}
	s, err := ex.Sample(3000, 8)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ex.Run(s, RunOptions{DType: tensor.Float64, Naive: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, naive := range []bool{false, true} {
		got, err := ex.Run(s, RunOptions{Naive: naive})
		if err != nil {
			t.Fatal(err)
		}
		gotO, gotS, gotR := got.Values()
		wantO, wantS, wantR := want.Values()
		for i, w := range wantS {
			for _, pair := range [][2]float64{{gotO[i], wantO[i]}, {gotS[i], w}, {gotR[i], wantR[i]}} {
				if math.Abs(pair[0]-pair[1]) > 1e-5*max(1, math.Abs(pair[1])) {
					t.Fatalf("naive %v, sample %d: float32 %g, float64 %g", naive, i, pair[0], pair[1])
				}
			}
		}
	}

	rows := parseModel(t, `'loss' Einsum i,i->
  'xs' [3] Symbol
  'xs'`)
	ex2, err := NewExperiment(rows, ds, corrOf(t, NewInterpNode("root", ExactSampler{}, nil), RootMatcher()))
	if err != nil {
		t.Fatal(err)
	}
	if len(ex2.columnar) != 0 {
		t.Errorf("a model reading xs whole gathers %v column by column", ex2.columnar)
	}
}

// A scrub's gathers run as one loop: each binding holds its vector's rows
// (column by column for xs), the gathers no circuit reads (day 4a's root
// slots, overridden by D' and y' on every path) are not bound, and a bad
// index in any vector is reported by input and value, the first gather's
// first bad position winning.
func TestGatherAllBindsEveryVector(t *testing.T) {
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	ex := loadDay4a(t, "hypothesis.json")
	s, err := ex.Sample(3*gatherPart, 4)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 { // the first build finds the unread gathers, the second skips them
		sh, g, err := ex.build(s, tensor.Float32, true)
		if err != nil {
			t.Fatal(err)
		}
		if !sh.unread["xs@5"] || !sh.unread["labels@2"] || len(sh.unread) != 2 {
			t.Fatalf("unread gathers %v, want the root's slots xs@5 and labels@2", sh.unread)
		}
		for input, vs := range g.seen {
			all, _ := ex.Data.Array(input)
			want := all.Float64s()
			row := len(want) / ex.Data.Len()
			for _, v := range vs {
				if round == 1 && sh.unread[v.name] {
					if g.binds[v.name] != nil {
						t.Fatalf("unread %s is bound", v.name)
					}
					continue
				}
				got := g.binds[v.name].Float64s()
				for p, i := range v.idx {
					w := want[i*row : (i+1)*row]
					if !slices.Equal(got[p*row:(p+1)*row], w) {
						t.Fatalf("round %d, %s: row %d is %v, want %v", round, v.name, p, got[p*row:(p+1)*row], w)
					}
				}
			}
		}
		g.recycle()
	}
	for _, c := range []struct {
		vec      func(*Samples) []int
		at, val  int
		input    string
		whatFail string
	}{
		{func(s *Samples) []int { return s.Datum["x0'"] }, 2*gatherPart + 1, ex.Data.Len(), "xs", "a read slot"},
		// labels are gathered before xs at the root's vectors
		{func(s *Samples) []int { return s.Other["out"] }, 7, -3, "labels", "an unread slot"},
		{func(s *Samples) []int { return s.Ref }, gatherPart, 1 << 40, "labels", "the reference"},
	} {
		bad, err := ex.Sample(3*gatherPart, 4)
		if err != nil {
			t.Fatal(err)
		}
		v := c.vec(bad)
		v[c.at] = c.val
		v[len(v)-1] = ex.Data.Len() + 1 // a later bad index: the first one is reported
		_, _, err = ex.build(bad, tensor.Float32, true)
		want := fmt.Sprintf("%s: example %d out of range", c.input, c.val)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", c.whatFail, err, want)
		}
	}
}
