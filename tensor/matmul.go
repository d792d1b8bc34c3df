package tensor

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// gemmOperand is one matrix operand as BLAS sees it: a row-major block of
// the backing slice with leading dimension ld, read transposed when trans.
// The logical matrix is rows x cols; the stored one is cols x rows when trans.
type gemmOperand struct {
	t          *Tensor
	trans      bool
	ld         int
	rows, cols int
	batch      int // stride between batch matrices (0 for a shared matrix)
}

// matLayout says how a logical r x c matrix with strides s0, s1 can be handed
// to BLAS without copying: row-major (trans=false) or as the transpose of a
// row-major matrix (trans=true). Strides of size-1 axes are irrelevant.
func matLayout(r, c, s0, s1 int) (trans bool, ld int, ok bool) {
	if s1 == 1 || c <= 1 {
		ld = s0
		if r <= 1 {
			ld = max(1, c)
		}
		if ld >= max(1, c) {
			return false, ld, true
		}
	}
	if s0 == 1 || r <= 1 {
		ld = s1
		if c <= 1 {
			ld = max(1, r)
		}
		if ld >= max(1, r) {
			return true, ld, true
		}
	}
	return false, 0, false
}

// prepareOperand classifies the trailing two axes of t (rank 2 or 3) and
// copies t to C order only when BLAS cannot read it as it is.
func prepareOperand(t *Tensor) gemmOperand {
	r := len(t.shape)
	rows, cols := t.shape[r-2], t.shape[r-1]
	trans, ld, ok := matLayout(rows, cols, t.strides[r-2], t.strides[r-1])
	if !ok {
		t = t.Contiguous()
		trans, ld = false, max(1, cols)
	}
	op := gemmOperand{t: t, trans: trans, ld: ld, rows: rows, cols: cols}
	if r == 3 && t.shape[0] > 1 {
		op.batch = t.strides[0]
	}
	return op
}

// untranspose turns a transposed operand into a row-major copy.
func untranspose(op gemmOperand) gemmOperand {
	t := op.t.Clone()
	r := len(t.shape)
	out := gemmOperand{t: t, ld: max(1, op.cols), rows: op.rows, cols: op.cols}
	if r == 3 && t.shape[0] > 1 {
		out.batch = t.strides[0]
	}
	return out
}

// pairOperands prepares both sides; gonum's Gemm is several times slower
// when both operands are transposed, so in that case the smaller one is
// copied to row-major instead.
func pairOperands(a, b *Tensor) (gemmOperand, gemmOperand) {
	oa, ob := prepareOperand(a), prepareOperand(b)
	if oa.trans && ob.trans {
		if oa.t.Size() <= ob.t.Size() {
			oa = untranspose(oa)
		} else {
			ob = untranspose(ob)
		}
	}
	return oa, ob
}

func (op gemmOperand) blasTrans() blas.Transpose {
	if op.trans {
		return blas.Trans
	}
	return blas.NoTrans
}

// extent is the number of backing elements the stored matrix spans.
func (op gemmOperand) extent() (srows, scols, n int) {
	srows, scols = op.rows, op.cols
	if op.trans {
		srows, scols = op.cols, op.rows
	}
	return srows, scols, (srows-1)*op.ld + scols
}

func gemm64(a gemmOperand, aoff int, b gemmOperand, boff int, c []float64, n int) {
	ar, ac, an := a.extent()
	br, bc, bn := b.extent()
	blas64.Gemm(a.blasTrans(), b.blasTrans(), 1,
		blas64.General{Rows: ar, Cols: ac, Stride: a.ld, Data: a.t.f64[aoff : aoff+an]},
		blas64.General{Rows: br, Cols: bc, Stride: b.ld, Data: b.t.f64[boff : boff+bn]},
		0, blas64.General{Rows: a.rows, Cols: n, Stride: n, Data: c})
}

func gemm32(a gemmOperand, aoff int, b gemmOperand, boff int, c []float32, n int) {
	ar, ac, an := a.extent()
	br, bc, bn := b.extent()
	blas32.Gemm(a.blasTrans(), b.blasTrans(), 1,
		blas32.General{Rows: ar, Cols: ac, Stride: a.ld, Data: a.t.f32[aoff : aoff+an]},
		blas32.General{Rows: br, Cols: bc, Stride: b.ld, Data: b.t.f32[boff : boff+bn]},
		0, blas32.General{Rows: a.rows, Cols: n, Stride: n, Data: c})
}

// matmulDType checks that both operands are float and returns the result
// dtype, casting the narrower operand.
func matmulDType(name string, a, b *Tensor) (*Tensor, *Tensor, DType, error) {
	if !a.dtype.IsFloat() || !b.dtype.IsFloat() {
		return nil, nil, 0, fmt.Errorf("%s: needs float operands, got %v and %v", name, a.dtype, b.dtype)
	}
	dt := WiderDType(a.dtype, b.dtype)
	if a.dtype != dt {
		a = a.Cast(dt)
	}
	if b.dtype != dt {
		b = b.Cast(dt)
	}
	return a, b, dt, nil
}

// MatMul multiplies rank-2 float matrices [M,K] x [K,N] with gonum's BLAS
// Gemm. A transposed view of a contiguous matrix is passed as Trans rather
// than copied; other strided operands are made contiguous first. Mixed
// float32/float64 operands compute in float64.
func MatMul(a, b *Tensor) (*Tensor, error) {
	if len(a.shape) != 2 || len(b.shape) != 2 {
		return nil, fmt.Errorf("MatMul: needs rank-2 operands, got shapes %v and %v", a.shape, b.shape)
	}
	if a.shape[1] != b.shape[0] {
		return nil, fmt.Errorf("MatMul: inner dimensions differ: %v x %v", a.shape, b.shape)
	}
	a, b, dt, err := matmulDType("MatMul", a, b)
	if err != nil {
		return nil, err
	}
	m, k, n := a.shape[0], a.shape[1], b.shape[1]
	out, err := Zeros(dt, []int{m, n})
	if err != nil {
		return nil, fmt.Errorf("MatMul: %w", err)
	}
	if m == 0 || n == 0 || k == 0 {
		return out, nil // BLAS rejects zero leading dimensions; the answer is zeros
	}
	oa, ob := pairOperands(a, b)
	if dt == Float64 {
		gemm64(oa, oa.t.offset, ob, ob.t.offset, out.f64, n)
	} else {
		gemm32(oa, oa.t.offset, ob, ob.t.offset, out.f32, n)
	}
	return out, nil
}

// BatchedMatMul multiplies [B,M,K] x [B,K,N] -> [B,M,N], one Gemm per batch.
// A batch size of 1 on either side broadcasts against the other.
func BatchedMatMul(a, b *Tensor) (*Tensor, error) {
	if len(a.shape) != 3 || len(b.shape) != 3 {
		return nil, fmt.Errorf("BatchedMatMul: needs rank-3 operands, got shapes %v and %v", a.shape, b.shape)
	}
	ba, bb := a.shape[0], b.shape[0]
	if ba != bb && ba != 1 && bb != 1 {
		return nil, fmt.Errorf("BatchedMatMul: batch sizes differ: %v x %v", a.shape, b.shape)
	}
	if a.shape[2] != b.shape[1] {
		return nil, fmt.Errorf("BatchedMatMul: inner dimensions differ: %v x %v", a.shape, b.shape)
	}
	a, b, dt, err := matmulDType("BatchedMatMul", a, b)
	if err != nil {
		return nil, err
	}
	nb := max(ba, bb)
	if ba == 0 || bb == 0 {
		nb = 0
	}
	m, k, n := a.shape[1], a.shape[2], b.shape[2]
	out, err := Zeros(dt, []int{nb, m, n})
	if err != nil {
		return nil, fmt.Errorf("BatchedMatMul: %w", err)
	}
	if nb == 0 || m == 0 || n == 0 || k == 0 {
		return out, nil
	}
	oa, ob := pairOperands(a, b)
	for i := 0; i < nb; i++ {
		ao, bo := oa.t.offset+i*oa.batch, ob.t.offset+i*ob.batch
		c := i * m * n
		if dt == Float64 {
			gemm64(oa, ao, ob, bo, out.f64[c:c+m*n], n)
		} else {
			gemm32(oa, ao, ob, bo, out.f32[c:c+m*n], n)
		}
	}
	return out, nil
}
