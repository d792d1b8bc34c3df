package runtime

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
	"pgregory.net/rapid"
)

// An elementwise result is stored in its full-size operands' order only
// when they all agree on a dense order that keeps the last axis innermost.
func TestFollowLayout(t *testing.T) {
	shape := []int{2, 3, 4, 5}
	permuted := []int{60, 5, 15, 1}   // stored as [2,4,3,5]
	lastMoved := []int{60, 20, 1, 4}  // stored as [2,3,5,4]
	otherOrder := []int{5, 40, 10, 1} // stored as [3,4,2,5]
	gappy := []int{120, 5, 15, 1}
	cOrder := contiguousStrides(shape)
	bias := []int{0, 0, 0, 1}
	for _, c := range []struct {
		name     string
		operands [][]int
		want     []int
	}{
		{"permuted operand and bias", [][]int{permuted, bias}, []int{0, 2, 1, 3}},
		{"two agreeing", [][]int{permuted, permuted, bias}, []int{0, 2, 1, 3}},
		{"C order wins", [][]int{permuted, cOrder}, nil},
		{"C order wins, either side", [][]int{cOrder, permuted}, nil},
		{"orders disagree", [][]int{permuted, otherOrder}, nil},
		{"last axis not innermost", [][]int{lastMoved}, nil},
		{"gaps", [][]int{gappy}, nil},
		{"only broadcast operands", [][]int{bias}, nil},
	} {
		if got := followLayout(shape, c.operands); !slices.Equal(got, c.want) {
			t.Errorf("%s: order %v, want %v", c.name, got, c.want)
		}
	}
	// size-1 axes go last and do not count
	if got := followLayout([]int{2, 1, 4, 5}, [][]int{{5, 7, 10, 1}}); !slices.Equal(got, []int{2, 0, 3, 1}) {
		t.Errorf("with a size-1 axis: order %v, want [2 0 3 1]", got)
	}
}

// Readers that need C order keep it: outputs and reshapes' operands.
func TestAnyLayout(t *testing.T) {
	p := program(t, `%0 = input "x" : f32[2,3]
%1 = exp %0 : f32[2,3]
%2 = exp %1 : f32[2,3]
%3 = reshape %2 : f32[6]
%4 = exp %1 : f32[2,3]
%5 = exp %1 : f32[2,3]
%6 = select 0 1 %5 : f32[3]
%7 = reshape %6 : f32[3,1]
output "a" %3
output "b" %4
output "c" %7
`)
	got := anyLayout(p)
	for id, want := range map[int]bool{1: true, 2: false, 4: false, 5: false, 6: false} {
		if got[id] != want {
			t.Errorf("%%%d: anyLayout %v, want %v", id, got[id], want)
		}
	}
}

// A region over a permuted view (its result stored in the view's order,
// or in C order when a value of the region is, then read by a softmax and
// a reduction) with bias, periodic-mask and per-row leaves computes the same bits fused and unfused, in parallel and
// on one worker, close to the reference.
func TestFusedPermutedLeaves(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		d := make([]int, 4)
		for i := range 3 {
			d[i] = rapid.IntRange(1, 7).Draw(rt, fmt.Sprint("d", i))
		}
		d[3] = rapid.IntRange(1, 12).Draw(rt, "n")
		perm := append(rapid.Permutation([]int{0, 1, 2}).Draw(rt, "perm"), 3)
		stored := make([]int, 4) // x's shape: the view's axes in storage order
		inv := make([]int, 4)    // the permute taking stored back to d
		for i, p := range perm {
			stored[i] = d[p]
			inv[p] = i
		}
		// %6 reads either the row scale or a full-size value made of
		// broadcasts alone, which is stored in C order and so puts %6 in C
		// order too, fused or not
		rowscale := rapid.SampledFrom([]int{4, 10}).Draw(rt, "rowscale")
		sh := func(s []int) string { return strings.Trim(strings.ReplaceAll(fmt.Sprint(s), " ", ","), "[]") }
		src := fmt.Sprintf(`%%0 = input "x" : f32[%s]
%%1 = permute [%s] %%0 : f32[%s]
%%2 = input "mask" : f32[%d,%d]
%%3 = input "bias" : f32[%d]
%%4 = input "rowscale" : f32[%d,%d,%d,1]
%%5 = add %%1 %%2 %%3 : f32[%[3]s]
%%10 = add %%2 %%4 : f32[%[3]s]
%%6 = mul %%5 %%%[12]d : f32[%[3]s]
%%7 = tanh %%6 : f32[%[3]s]
%%8 = softmax %%7 : f32[%[3]s]
%%9 = einsum "abcd->ac" %%7 : f32[%[10]d,%[11]d]
output "s" %%8
output "r" %%9
`, sh(stored), sh(inv), sh(d), d[2], d[3], d[3], d[0], d[1], d[2], d[0], d[2], rowscale)
		p, err := ir.Parse("permuted.ir", []byte(src), nil)
		if err != nil {
			rt.Fatalf("%v\n%s", err, src)
		}
		seed := rapid.Uint64().Draw(rt, "seed")
		if checkFused(rt, p, seed) == 0 {
			rt.Fatalf("nothing fused\n%s", p)
		}
	})
}

// The short-row kernel on up to four axes: bias, periodic, per-row and
// strided leaves over rows of 1..12 elements.
func TestFusedShortRowsManyAxes(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		shape := rapid.SliceOfN(rapid.IntRange(1, 9), 1, 3).Draw(rt, "outer")
		shape = append(shape, rapid.IntRange(1, 12).Draw(rt, "n"))
		checkFused(rt, elementwiseDAGShaped(seed, tensor.Float64, shape), seed)
	})
}

// A region whose root only a softmax or log_softmax reads runs the row op
// itself, block by block (no softmax value is left in the fused program),
// with the bits of the unfused kernels, for rows short and long (past the
// block kernel's 128 and the fused block's 1,024), float32 and float64, on
// one worker and in parallel.
func TestFusedSoftmaxRoot(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		a := rapid.IntRange(1, 6).Draw(rt, "a")
		b := rapid.IntRange(1, 5).Draw(rt, "b")
		d := rapid.SampledFrom([]int{2, 3, 7, 8, 16, 33, 42, 127, 128, 129, 300, 600, 1100, 2100}).Draw(rt, "d")
		op := rapid.SampledFrom([]string{"softmax", "log_softmax"}).Draw(rt, "op")
		mask := rapid.SampledFrom([]string{fmt.Sprintf("%d,%d", b, d), fmt.Sprintf("%d", d), fmt.Sprintf("%d,%d,1", a, b)}).Draw(rt, "mask")
		// x as given, or a permuted view of a [b,a,d] input
		permuted := rapid.Bool().Draw(rt, "permuted")
		x := fmt.Sprintf(`%%0 = input "x" : f32[%d,%d,%d]`, a, b, d)
		if permuted {
			x = fmt.Sprintf("%%7 = input \"xt\" : f32[%d,%d,%d]\n%%0 = permute [1,0,2] %%7 : f32[%d,%d,%d]", b, a, d, a, b, d)
		}
		src := x + fmt.Sprintf(`
%%1 = input "mask" : f32[%[4]s]
%%2 = scale 0.25 %%0 : f32[%[1]d,%[2]d,%[3]d]
%%3 = add %%2 %%1 : f32[%[1]d,%[2]d,%[3]d]
%%4 = tanh %%3 : f32[%[1]d,%[2]d,%[3]d]
%%5 = %[5]s %%4 : f32[%[1]d,%[2]d,%[3]d]
output "y" %%5
`, a, b, d, mask, op)
		p, err := ir.Parse("softmax.ir", []byte(src), nil)
		if err != nil {
			rt.Fatalf("%v\n%s", err, src)
		}
		q, kernels := fuseProgram(p, tensor.Float32)
		for _, v := range q.Values {
			if v.Op == ir.OpSoftmax || v.Op == ir.OpLogSoftmax {
				rt.Fatalf("the %s was not fused\n%s", v.Op, q)
			}
		}
		if len(kernels) != 1 {
			rt.Fatalf("%d regions, want 1\n%s", len(kernels), q)
		}
		checkFused(rt, p, rapid.Uint64().Draw(rt, "seed"))
	})
}
