package tensor

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/mat"
)

// denseOf copies a rank-2 tensor into a gonum matrix (element by element
// through At, independent of this package's kernels).
func denseOf(t *testing.T, x *Tensor) *mat.Dense {
	t.Helper()
	r, c := x.Dim(0), x.Dim(1)
	d := mat.NewDense(max(r, 1), max(c, 1), nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			d.Set(i, j, at(t, x, i, j))
		}
	}
	return d
}

func checkMatMul(t *testing.T, a, b, got *Tensor, tol float64) {
	t.Helper()
	m, n := a.Dim(0), b.Dim(1)
	if got.Rank() != 2 || got.Dim(0) != m || got.Dim(1) != n {
		t.Fatalf("shape %v, want [%d %d]", got.Shape(), m, n)
	}
	var want mat.Dense
	want.Mul(denseOf(t, a), denseOf(t, b))
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			if g, w := at(t, got, i, j), want.At(i, j); math.Abs(g-w) > tol*(1+math.Abs(w)) {
				t.Fatalf("[%d,%d] = %v, want %v", i, j, g, w)
			}
		}
	}
}

// operandForms returns the same logical m x k matrix as a contiguous tensor,
// a transposed view of a contiguous k x m tensor, a column slice (row stride
// larger than the width) and a non-BLAS layout (every other element).
func operandForms(t *testing.T, dt DType, m, k int, seed uint64) map[string]*Tensor {
	must := mk(t)
	base := must(RandN(dt, []int{m, k}, seed))
	tr := must(must(RandN(dt, []int{k, m}, seed+100)).Permute([]int{1, 0}))
	wide := must(must(RandN(dt, []int{m, k + 3}, seed+200)).Slice(1, 2, 2+k))
	sparse := must(must(RandN(dt, []int{m, 2 * k}, seed+300)).Reshape([]int{m, k, 2}))
	sparse = must(sparse.Select(2, 1))
	return map[string]*Tensor{"contig": base, "trans": tr, "wide": wide, "strided": sparse}
}

func TestMatMulAgainstGonum(t *testing.T) {
	dims := []int{1, 2, 3, 7, 13, 32}
	seed := uint64(1)
	for _, dt := range []DType{Float64, Float32} {
		tol := 1e-12
		if dt == Float32 {
			tol = 1e-4
		}
		for _, m := range dims {
			for _, k := range []int{1, 5, 17} {
				for _, n := range []int{1, 3, 11} {
					seed++
					as := operandForms(t, dt, m, k, seed)
					bs := operandForms(t, dt, k, n, seed+1000)
					for an, a := range as {
						for bn, b := range bs {
							got, err := MatMul(a, b)
							if err != nil {
								t.Fatal(err)
							}
							if got.DType() != dt {
								t.Fatalf("dtype %v", got.DType())
							}
							t.Run(fmt.Sprintf("%v/%dx%dx%d/%s-%s", dt, m, k, n, an, bn), func(t *testing.T) {
								checkMatMul(t, a, b, got, tol)
							})
						}
					}
				}
			}
		}
	}
}

func TestMatMulLayoutChoice(t *testing.T) {
	must := mk(t)
	// a transposed contiguous view goes to BLAS as Trans, no copy
	x := must(must(RandN(Float64, []int{4, 3}, 1)).Permute([]int{1, 0}))
	op := prepareOperand(x)
	if !op.trans || op.t != x || op.ld != 3 {
		t.Fatalf("transposed view: trans=%v copied=%v ld=%d", op.trans, op.t != x, op.ld)
	}
	// two transposed operands: only the smaller one is copied
	small := must(must(RandN(Float64, []int{2, 3}, 2)).Permute([]int{1, 0})) // [3,2]
	big := must(must(RandN(Float64, []int{5, 2}, 3)).Permute([]int{1, 0}))   // [2,5]
	oa, ob := pairOperands(small, big)
	if oa.trans || !ob.trans || ob.t != big {
		t.Fatalf("both transposed: a trans=%v, b trans=%v copied=%v", oa.trans, ob.trans, ob.t != big)
	}
	if oa.blasTrans() != blas.NoTrans {
		t.Fatal("copied operand should be NoTrans")
	}
	checkMatMul(t, small, big, must(MatMul(small, big)), 1e-12)
	// a broadcast (zero-stride) operand must be copied
	bc := must(must(RandN(Float64, []int{1, 3}, 4)).BroadcastTo([]int{4, 3}))
	if _, _, ok := matLayout(4, 3, bc.Strides()[0], bc.Strides()[1]); ok {
		t.Fatal("zero row stride accepted by BLAS layout")
	}
	checkMatMul(t, bc, must(RandN(Float64, []int{3, 2}, 5)), must(MatMul(bc, must(RandN(Float64, []int{3, 2}, 5)))), 1e-12)
}

func TestMatMulEdgeCases(t *testing.T) {
	must := mk(t)
	a := f64(t, []int{2, 2}, 1, 2, 3, 4)
	b := f64(t, []int{2, 2}, 5, 6, 7, 8)
	expect(t, must(MatMul(a, b)), Float64, []int{2, 2}, 19, 22, 43, 50)
	// mixed float dtypes compute in float64
	expect(t, must(MatMul(a.Cast(Float32), b)), Float64, []int{2, 2}, 19, 22, 43, 50)
	// zero inner dimension gives zeros; zero outer gives an empty result
	expect(t, must(MatMul(must(Zeros(Float32, []int{2, 0})), must(Zeros(Float32, []int{0, 3})))), Float32, []int{2, 3}, 0, 0, 0, 0, 0, 0)
	expect(t, must(MatMul(must(Zeros(Float64, []int{0, 2})), b)), Float64, []int{0, 2})
	_, err := MatMul(a, arange(t, 3, 2))
	wantErr(t, err, "inner mismatch")
	_, err = MatMul(arange(t, 2), a)
	wantErr(t, err, "rank 1")
	_, err = MatMul(a.Cast(Int64), b)
	wantErr(t, err, "int operand")
}

func TestBatchedMatMul(t *testing.T) {
	must := mk(t)
	for _, dt := range []DType{Float64, Float32} {
		tol := 1e-12
		if dt == Float32 {
			tol = 1e-4
		}
		a := must(RandN(dt, []int{3, 4, 5}, 1))
		b := must(RandN(dt, []int{3, 5, 2}, 2))
		bt := must(must(RandN(dt, []int{3, 2, 5}, 3)).Permute([]int{0, 2, 1})) // per-batch transposed
		b1 := must(RandN(dt, []int{1, 5, 2}, 4))                               // broadcast batch
		for name, bb := range map[string]*Tensor{"contig": b, "trans": bt, "bcast": b1} {
			got := must(BatchedMatMul(a, bb))
			if !equalInts(got.Shape(), []int{3, 4, 2}) {
				t.Fatalf("%s: shape %v", name, got.Shape())
			}
			for i := 0; i < 3; i++ {
				bi := must(bb.Select(0, min(i, bb.Dim(0)-1)))
				checkMatMul(t, must(a.Select(0, i)), bi, must(got.Select(0, i)), tol)
			}
		}
	}
	_, err := BatchedMatMul(arange(t, 2, 2, 3), arange(t, 3, 3, 2))
	wantErr(t, err, "batch mismatch")
	_, err = BatchedMatMul(arange(t, 2, 2, 3), arange(t, 2, 2, 2))
	wantErr(t, err, "inner mismatch")
	_, err = BatchedMatMul(arange(t, 2, 3), arange(t, 3, 2))
	wantErr(t, err, "rank 2")
}

func equalInts(a, b []int) bool { return sameShape(a, b) }

func BenchmarkMatMul512(b *testing.B) {
	x, _ := RandN(Float32, []int{512, 512}, 1)
	y, _ := RandN(Float32, []int{512, 512}, 2)
	for b.Loop() {
		if _, err := MatMul(x, y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(2*512*512*512*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
