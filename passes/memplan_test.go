package passes

import (
	"testing"

	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

func TestMemplanReusesBuffersAlongAChain(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[100]
%1 = exp %0 : f64[100]
%2 = tanh %1 : f64[100]
%3 = sin %2 : f64[100]
%4 = relu %3 : f64[100]
output "y" %4
`)
	mp, err := PlanMemory(p)
	if err != nil {
		t.Fatal(err)
	}
	// Each op reads its operand while writing its result, so two buffers
	// alternate: exp->B0, tanh->B1, sin->B0, relu->B1.
	if len(mp.Buffers) != 2 || mp.BufferBytes != 1600 || mp.NaiveBytes != 3200 {
		t.Fatalf("buffers %v (%d bytes, naive %d), want 2 of 800", mp.Buffers, mp.BufferBytes, mp.NaiveBytes)
	}
	if mp.BufferOf[1] != mp.BufferOf[3] || mp.BufferOf[2] != mp.BufferOf[4] || mp.BufferOf[1] == mp.BufferOf[2] {
		t.Fatalf("assignment %v", mp.BufferOf)
	}
	if mp.BufferOf[0] != -1 {
		t.Fatalf("the input is the caller's, got buffer %d", mp.BufferOf[0])
	}
	// Peak: one operand and one result at a time (the input is freed
	// after exp reads it) = 2·800, as the runtime measures.
	if mp.PeakBytes != 1600 {
		t.Fatalf("peak %d, want 1600", mp.PeakBytes)
	}
	in, _ := randomInputs(p, 1)
	_, st, err := runtime.Reference{}.Run(p, in, tensor.Float64)
	if err != nil || st.PeakBytes != 1600 {
		t.Fatalf("runtime peak %v (%v), want 1600", st, err)
	}
}

func TestMemplanViewsShareTheirSourceBuffer(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[4,6]
%1 = exp %0 : f64[4,6]
%2 = reshape %1 : f64[24]
%3 = permute [1,0] %1 : f64[6,4]
%4 = reshape %3 : f64[24]
%5 = add %2 %4 : f64[24]
output "y" %5
`)
	mp, err := PlanMemory(p)
	if err != nil {
		t.Fatal(err)
	}
	if mp.BufferOf[2] != mp.BufferOf[1] || mp.BufferOf[3] != mp.BufferOf[1] {
		t.Fatalf("reshape/permute of exp must share its buffer: %v", mp.BufferOf)
	}
	if mp.BufferOf[4] == mp.BufferOf[1] {
		t.Fatalf("a reshape of a permuted (non-contiguous) value copies: %v", mp.BufferOf)
	}
	// exp's buffer lives until its views' last reader, the add, so the add
	// cannot take it.
	if mp.BufferOf[5] == mp.BufferOf[1] {
		t.Fatalf("add reused a buffer its operands still read: %v", mp.BufferOf)
	}
}

// TestMemplanPeakMatchesRuntime checks the estimate against what the
// reference runtime measures, on hand-written and random programs, after
// the pipeline: never below, at most 1.25x above.
func TestMemplanPeakMatchesRuntime(t *testing.T) {
	for seed := range uint64(100) {
		p := randomProgram(seed)
		q, rep, err := Run(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		mp, err := PlanMemoryFor(q, tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		in, _ := randomInputs(q, seed)
		_, st, err := runtime.Reference{}.Run(q, in, tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		if mp.PeakBytes < st.PeakBytes || float64(mp.PeakBytes) > 1.25*float64(st.PeakBytes) {
			t.Fatalf("seed %d: estimate %d, measured %d\n%s", seed, mp.PeakBytes, st.PeakBytes, q)
		}
		// The programs are f64, so the Report's plan agrees too.
		if rep.Memory == nil || rep.Memory.PeakBytes != mp.PeakBytes {
			t.Fatalf("seed %d: report plan %+v, want peak %d", seed, rep.Memory, mp.PeakBytes)
		}
		if mp.BufferBytes > mp.NaiveBytes {
			t.Fatalf("seed %d: reuse made it worse: %d > %d", seed, mp.BufferBytes, mp.NaiveBytes)
		}
	}
}

func TestPlanMemoryForRejectsIntDType(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[2]
output "y" %0
`)
	if _, err := PlanMemoryFor(p, tensor.Int64); err == nil {
		t.Fatal("want an error for an int run dtype")
	}
}

func TestMemplanFillsTakeOneElement(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[1000]
%1 = scalar 2 : f64[1000]
%2 = mul %0 %1 : f64[1000]
output "y" %2
`)
	mp, err := PlanMemory(p)
	if err != nil {
		t.Fatal(err)
	}
	if mp.BufferBytes != 8+8000 {
		t.Fatalf("buffers %v: want one 8-byte fill and one 8000-byte result", mp.Buffers)
	}
	// The reference runtime counts the fill at its logical size.
	if mp.PeakBytes != 24000 {
		t.Fatalf("peak %d, want 24000", mp.PeakBytes)
	}
}
