package order

import (
	"math/rand/v2"
	"testing"
)

// benchProblem is a fixed seeded random einsum with n operands.
func benchProblem(n int) Problem {
	return randomProblem(rand.New(rand.NewPCG(uint64(n), 99)), n)
}

func benchPlan(b *testing.B, n int, want string) {
	p := benchProblem(n)
	got, err := Plan(p)
	if err != nil || got.Method != want {
		b.Fatalf("%s %v", got.Method, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Plan(p)
	}
}

// BenchmarkPlan8 is the largest exact (DP) case Plan solves.
func BenchmarkPlan8(b *testing.B) { benchPlan(b, 8, "dp") }

// BenchmarkPlan12 is greedy plus windowed DP refinement.
func BenchmarkPlan12(b *testing.B) { benchPlan(b, 12, "greedy") }

// BenchmarkPlan40 shows how the greedy path scales.
func BenchmarkPlan40(b *testing.B) { benchPlan(b, 40, "greedy") }

// BenchmarkDP12 is what exact planning would cost at 12 operands.
func BenchmarkDP12(b *testing.B) {
	p := benchProblem(12)
	for b.Loop() {
		DP(p)
	}
}

func BenchmarkExhaustive8(b *testing.B) {
	p := benchProblem(8)
	for b.Loop() {
		Exhaustive(p)
	}
}

// BenchmarkDP10 is exact planning at 10 operands, the einsum pass's
// threshold (passes.fusionDPOperands).
func BenchmarkDP10(b *testing.B) {
	p := benchProblem(10)
	for b.Loop() {
		DP(p)
	}
}

// BenchmarkPlan10 is what Plan (greedy beyond DPThreshold) costs there.
func BenchmarkPlan10(b *testing.B) {
	p := benchProblem(10)
	for b.Loop() {
		Plan(p)
	}
}
