package tensor

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// naiveEinsum is an independent reference: it walks every assignment of
// values to the distinct labels and adds the product of the inputs (read
// with At) into the output element those values address. Repeated input
// labels read diagonals and repeated output labels write diagonals by
// construction.
func naiveEinsum(t *testing.T, ins []*Tensor, inL [][]int, outL []int, size map[int]int) []float64 {
	var labels []int
	seen := map[int]bool{}
	for _, ls := range append(append([][]int{}, inL...), outL) {
		for _, l := range ls {
			if !seen[l] {
				seen[l] = true
				labels = append(labels, l)
			}
		}
	}
	outShape := make([]int, len(outL))
	for i, l := range outL {
		outShape[i] = size[l]
	}
	n, _ := NumElements(outShape)
	out := make([]float64, n)
	outStr := ContiguousStrides(outShape)
	val := map[int]int{}
	var rec func(i int)
	rec = func(i int) {
		if i == len(labels) {
			p := 1.0
			for k, x := range ins {
				idx := make([]int, len(inL[k]))
				for j, l := range inL[k] {
					idx[j] = val[l]
				}
				p *= at(t, x, idx...)
			}
			o := 0
			for j, l := range outL {
				o += val[l] * outStr[j]
			}
			out[o] += p
			return
		}
		for v := 0; v < size[labels[i]]; v++ {
			val[labels[i]] = v
			rec(i + 1)
		}
	}
	rec(0)
	return out
}

func TestEinsumMatchesNaive(t *testing.T) { einsumMatchesNaive(t) }

// TestEinsumPairwiseMatchesNaive forces every einsum of three or more
// inputs through the pairwise contraction.
func TestEinsumPairwiseMatchesNaive(t *testing.T) {
	defer func(old int) { pairwiseFrom = old }(pairwiseFrom)
	pairwiseFrom = 0
	einsumMatchesNaive(t)
}

func einsumMatchesNaive(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		nLabels := rapid.IntRange(1, 4).Draw(rt, "nLabels")
		size := map[int]int{}
		for l := 0; l < nLabels; l++ {
			size[l] = rapid.IntRange(0, 3).Draw(rt, "size")
		}
		label := rapid.IntRange(0, nLabels-1)
		nIn := rapid.IntRange(0, 5).Draw(rt, "nIn")
		var ins []*Tensor
		var inL [][]int
		for k := 0; k < nIn; k++ {
			ls := rapid.SliceOfN(label, 0, 4).Draw(rt, "inLabels")
			shape := make([]int, len(ls))
			for i, l := range ls {
				shape[i] = size[l]
			}
			dt := rapid.SampledFrom([]DType{Float64, Float32}).Draw(rt, "dtype")
			x, err := RandN(dt, shape, uint64(k+1))
			if err != nil {
				rt.Fatal(err)
			}
			// sometimes feed a reversed-axes view to exercise strides
			if len(shape) > 1 && rapid.Bool().Draw(rt, "permute") {
				perm := make([]int, len(shape))
				for i := range perm {
					perm[i] = len(shape) - 1 - i
				}
				raw, _ := RandN(dt, permuted(shape, perm), uint64(k+1))
				x, err = raw.Permute(perm)
				if err != nil {
					rt.Fatal(err)
				}
			}
			ins = append(ins, x)
			inL = append(inL, ls)
		}
		outL := rapid.SliceOfN(label, 0, 3).Draw(rt, "outLabels")
		got, err := Einsum(ins, inL, outL, size)
		if err != nil {
			rt.Fatalf("einsum %v -> %v: %v", inL, outL, err)
		}
		want := naiveEinsum(t, ins, inL, outL, size)
		vals := got.Float64s()
		if len(vals) != len(want) {
			rt.Fatalf("%d values, want %d", len(vals), len(want))
		}
		tol := 1e-9
		if got.DType() == Float32 {
			tol = 1e-4
		}
		for i := range vals {
			if math.Abs(vals[i]-want[i]) > tol*(1+math.Abs(want[i])) {
				rt.Fatalf("%v -> %v: element %d = %v, want %v", inL, outL, i, vals[i], want[i])
			}
		}
	})
}

// permuted returns the shape whose Permute(perm) is shape.
func permuted(shape, perm []int) []int {
	out := make([]int, len(shape))
	for i, p := range perm {
		out[p] = shape[i]
	}
	return out
}
