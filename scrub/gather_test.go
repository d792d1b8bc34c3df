package scrub

import (
	"fmt"
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
		for _, pooled := range []bool{false, true} {
			var got []float64
			if pooled {
				g, buf, err := ds.gatherPooled(name, idx)
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
					t.Fatalf("%s pooled=%v: row %d is not example %d", name, pooled, p, i)
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
			if _, _, err := ds.gatherPooled(name, b); err == nil {
				t.Errorf("%s: pooled gather took index %d", name, bad.val)
			}
		}
	}
}
