package runtime

import (
	"context"
	"testing"

	"github.com/circopt/circopt/blas"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// A concat of computed pieces along axis 0 is written in place: the pieces
// (an elementwise op, a fused region, a GEMM, one of them also read after
// the concat) write their rows of the concat's buffer, and every reader
// gets the reference's values. The executor's peak is the schedule's.
func TestArenaConcatInPlace(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
		p := program(t, `%0 = input "x" : f64[12,5]
%1 = input "w" : f64[5,5]
%2 = slice [0,0] [4,5] %0 : f64[4,5]
%3 = exp %2 : f64[4,5]
%4 = slice [4,0] [8,5] %0 : f64[4,5]
%5 = neg %4 : f64[4,5]
%6 = tanh %5 : f64[4,5]
%7 = slice [8,0] [12,5] %0 : f64[4,5]
%8 = einsum "ab,bc->ac" %7 %1 : f64[4,5]
%9 = concat 0 %3 %6 %8 : f64[12,5]
%10 = scale 2 %6 : f64[4,5]
%11 = einsum "ab->a" %9 : f64[12]
%12 = neg %9 : f64[12,5]
output "c" %9
output "d" %10
output "s" %11
output "n" %12
`)
		sch, err := fusedSchedule(p, dt, 0, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		concats := 0
		for id := range sch.arenaConcat {
			if sch.prog.Value(id).Op == "concat" {
				concats++
			}
		}
		if concats != 1 || len(sch.arena) != 3 {
			t.Fatalf("%s: %d in-place concats with %d pieces, want 1 with 3", dt, concats, len(sch.arena))
		}
		in := randInputs(p, 3)
		compareRuns(t, p, in, dt, Fast{})
		_, st, err := Fast{Workers: 1}.Run(p, in, dt)
		if err != nil {
			t.Fatal(err)
		}
		if st.PeakBytes != st.PredictedPeakBytes {
			t.Errorf("%s: peak %d, predicted %d", dt, st.PeakBytes, st.PredictedPeakBytes)
		}
	}
}

// A piece a kernel lays out permuted (a GEMM block read as a [b,h,s,d]
// view), or a piece that is an output, keeps the concat a copy.
func TestArenaConcatNeedsOwnRows(t *testing.T) {
	for _, src := range []string{`%0 = input "x" : f32[6,3,4]
%1 = input "w" : f32[2,5,4]
%2 = einsum "abc,dec->adbe" %0 %1 : f32[6,2,3,5]
%3 = exp %2 : f32[6,2,3,5]
%4 = concat 0 %2 %3 : f32[12,2,3,5]
output "c" %4
`, `%0 = input "x" : f32[6,3]
%1 = exp %0 : f32[6,3]
%2 = neg %0 : f32[6,3]
%3 = concat 0 %1 %2 : f32[12,3]
output "c" %3
output "e" %1
`} {
		p := program(t, src)
		sch, err := fusedSchedule(p, tensor.Float32, 0, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(sch.arenaConcat) != 0 {
			t.Errorf("an in-place concat:\n%s", src)
		}
		compareRuns(t, p, randInputs(p, 4), tensor.Float32, Fast{})
	}
}

// A piece its kernel left permuted in its own rows is put in C order
// through a copy (the rows cannot be rewritten in place).
func TestPlacePiecePermutedInItsRows(t *testing.T) {
	r := &fastRun{x: newExecState(context.Background(), blas.Backend{}), dt: tensor.Float64}
	arena := r.x.alloc(tensor.Float64, 12)
	rows := &storage{dt: tensor.Float64, n: 6, f64: arena.f64[6:12], refs: 1}
	block := newArr(tensor.Float64, []int{3, 2}, rows) // a [3,2] block ...
	for i := range 6 {
		rows.f64[i] = float64(i)
	}
	res := block.permuted([]int{1, 0}) // ... read as [2,3]
	v := &ir.Value{Op: ir.OpEinsum, Type: ir.Type{DType: tensor.Float64, Shape: []int{2, 3}}}
	out, spare := r.placePiece(v, res, rows, arena)
	if spare == nil || spare == rows || out.st != arena || arena.refs != 2 {
		t.Fatalf("spare %v, arena held %v with %d refs", spare, out.st == arena, arena.refs)
	}
	want := []float64{0, 2, 4, 1, 3, 5}
	for i, w := range want {
		if arena.f64[6+i] != w {
			t.Fatalf("rows %v, want %v", arena.f64[6:], want)
		}
	}
}
