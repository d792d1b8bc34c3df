package tensor

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestEinsumThirtySummedLabels: 30 operands of size 2, each with its own
// label, all summed. One loop would visit 2^30 points; pairwise it is a
// handful of tiny reductions.
func TestEinsumThirtySummedLabels(t *testing.T) {
	const n = 30
	ins := make([]*Tensor, n)
	inL := make([][]int, n)
	want := 1.0
	for k := range ins {
		x := float64(k%3) + 0.5
		ins[k] = mk(t)(FromFloat64([]int{2}, []float64{x, 1}))
		inL[k] = []int{k}
		want *= x + 1
	}
	start := time.Now()
	got, err := Einsum(ins, inL, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Float64s()[0]; math.Abs(v-want) > 1e-9*want {
		t.Errorf("got %v, want %v", v, want)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestEinsumRefusesHugeLoop: two operands whose joint index space is 2^32
// points are refused with one line naming the spec.
func TestEinsumRefusesHugeLoop(t *testing.T) {
	shape := make([]int, 16)
	a, b := make([]int, 16), make([]int, 16)
	for i := range shape {
		shape[i] = 2
		a[i], b[i] = i, 16+i
	}
	x := mk(t)(Zeros(Float64, shape))
	_, err := Einsum([]*Tensor{x, x}, [][]int{a, b}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "abcdefghijklmnop,qrstuvwxyzABCDEF->") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v, want a one-line index-space error", err)
	}
}
