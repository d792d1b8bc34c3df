package scrub

import (
	"math"
	"runtime"
	"slices"
	"testing"
)

// A stream's draws depend on the seed and the position only: splitting
// the block across goroutines (GOMAXPROCS 1 or 4, blocks above and below
// the parallel threshold) gives the same indices as drawing one by one.
func TestDrawsDoNotDependOnTheSplit(t *testing.T) {
	for _, n := range []int{1, 7, parallelDraws - 1, 3*parallelDraws + 5} {
		var want []int
		for _, procs := range []int{1, 4} {
			prev := runtime.GOMAXPROCS(procs)
			got := make([]int, n)
			NewDraws(9).Stream().Uniform(got, 1000)
			runtime.GOMAXPROCS(prev)
			if want == nil {
				want = got
				continue
			}
			if !slices.Equal(got, want) {
				t.Fatalf("n %d: GOMAXPROCS %d drew differently", n, procs)
			}
		}
		one := NewDraws(9).Stream()
		for p := range n {
			if i := one.IntN(1000); i != want[p] {
				t.Fatalf("n %d: draw %d is %d in a block, %d one at a time", n, p, want[p], i)
			}
		}
	}
}

// Bounded draws are uniform: a chi-square test over 50 bins of 200,000
// draws (49 degrees of freedom; 90 is beyond the 0.9999 quantile), for
// several seeds and bounds that are not powers of two.
func TestDrawsAreUniform(t *testing.T) {
	for seed := range uint64(5) {
		for _, bins := range []int{50, 49, 37} {
			d := NewDraws(seed)
			out := make([]int, 200000)
			d.Uniform(out, bins)
			counts := make([]float64, bins)
			for _, i := range out {
				if i < 0 || i >= bins {
					t.Fatalf("draw %d outside [0,%d)", i, bins)
				}
				counts[i]++
			}
			exp := float64(len(out)) / float64(bins)
			chi := 0.0
			for _, c := range counts {
				chi += (c - exp) * (c - exp) / exp
			}
			if limit := float64(bins) + 6*math.Sqrt(2*float64(bins)); chi > limit {
				t.Errorf("seed %d, %d bins: chi-square %.1f above %.1f", seed, bins, chi, limit)
			}
		}
	}
}

// Child streams, consecutive draws and nearby seeds are uncorrelated.
func TestDrawsStreamsAreIndependent(t *testing.T) {
	const n = 20000
	draw := func(d *Draws) []int {
		out := make([]int, n)
		d.Uniform(out, 1<<20)
		return out
	}
	root := NewDraws(3)
	a, b := draw(root.Stream()), draw(root.Stream())
	c := draw(NewDraws(4).Stream())
	for name, pair := range map[string][2][]int{"sibling streams": {a, b}, "seeds 3 and 4": {a, c}, "lag 1": {a[1:], a[:n-1]}} {
		if r := corrcoef(pair[0], pair[1]); math.Abs(r) > 0.03 {
			t.Errorf("%s correlate %.4f", name, r)
		}
	}
	if slices.Equal(a[:16], b[:16]) {
		t.Error("two child streams start alike")
	}
}

func BenchmarkDrawsUniform(b *testing.B) {
	out := make([]int, 10000)
	d := NewDraws(1)
	for b.Loop() {
		d.Uniform(out, 10000)
	}
}

// A scrub big enough to be drawn in ranges of positions (one goroutine
// per range) gives the vectors the sequential path gives: the first n
// positions of a long draw equal a short draw's (which is sequential), and
// GOMAXPROCS changes nothing.
func TestSampleByRangeIsTheSequentialDraw(t *testing.T) {
	ex := loadDay4a(t, "hypothesis.json")
	if !ex.byRange() {
		t.Fatal("day 4a's hypothesis should be drawn by range")
	}
	long := 3*parallelDraws + 17
	var prev *Samples
	for _, procs := range []int{1, 2, 4} {
		old := runtime.GOMAXPROCS(procs)
		s, err := ex.Sample(long, 21)
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil && !sameSamples(s, prev, long) {
			t.Fatalf("GOMAXPROCS %d drew other samples", procs)
		}
		prev = s
	}
	short, err := ex.Sample(parallelDraws-1, 21)
	if err != nil {
		t.Fatal(err)
	}
	if !sameSamples(short, prev, parallelDraws-1) {
		t.Fatal("the range-drawn samples differ from the sequential draw")
	}
}

// sameSamples compares the first n positions of every vector of a and b.
func sameSamples(a, b *Samples, n int) bool {
	eq := func(x, y []int) bool { return len(x) >= n && len(y) >= n && slices.Equal(x[:n], y[:n]) }
	if !eq(a.Ref, b.Ref) || len(a.Datum) != len(b.Datum) || len(a.Other) != len(b.Other) || len(a.Random) != len(b.Random) {
		return false
	}
	for _, m := range [][2]map[string][]int{{a.Datum, b.Datum}, {a.Other, b.Other}, {a.Random, b.Random}} {
		for k, v := range m[0] {
			if !eq(v, m[1][k]) {
				return false
			}
		}
	}
	return true
}

// Released samples' vectors are drawn into again, and the draws are the
// same as into fresh memory.
func TestReleasedSamplesAreRedrawn(t *testing.T) {
	ex := loadDay4a(t, "hypothesis.json")
	n := parallelDraws + 3
	fresh, err := ex.Sample(n, 4)
	if err != nil {
		t.Fatal(err)
	}
	indexSlabs.mu.Lock()
	indexSlabs.bufs, indexSlabs.bytes = nil, 0 // earlier tests' slabs: the next draw must take this one
	indexSlabs.mu.Unlock()
	first, err := ex.Sample(n, 5)
	if err != nil {
		t.Fatal(err)
	}
	slab := first.slab
	first.Release()
	if first.Ref != nil || first.Datum != nil {
		t.Error("a released Samples still holds vectors")
	}
	again, err := ex.Sample(n, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !sameSamples(again, fresh, n) {
		t.Fatal("drawing into released vectors changed the draws")
	}
	if &again.slab[0] != &slab[0] {
		t.Error("the released slab was not reused")
	}
}
