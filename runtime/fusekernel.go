package runtime

import (
	"math"
	"sync"

	"github.com/circopt/circopt/internal/rowloop"
	"github.com/circopt/circopt/internal/vec32"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// The fused-region kernel: it walks the result in blocks of fuseBlock
// elements of one row (rowloop over the result and every leaf), loads each
// leaf's block (a subslice when the leaf is contiguous along the row, else
// a strided copy into a block buffer), and runs the region's ops one after
// the other on block-sized registers, the root writing straight into the
// result. A block's working set (leaves plus registers) stays in cache, so
// the region costs one pass over its leaves and result instead of one pass
// per value. Blocks are split across goroutines with parFor; every element
// is computed the same way whatever the split, so results are deterministic
// and equal to the unfused kernels' (same operation order, same float32
// functions).

// fuseBlock is the block length: 1024 elements keep a region's registers
// within L1/L2 for regions of a few dozen values. The block buffers
// ((leaves + registers) × fuseBlock elements per goroutine, pooled) are
// the kernel's only scratch; the memory schedule does not count them.
const fuseBlock = 1024

var blockPool32, blockPool64 sync.Pool

// run computes the region into out (the run dtype; dense, in C order or
// in the order regionLayout chose) from the fused value's operands.
func (k *fusedKernel) run(args []*arr, out *arr) {
	strides := make([][]int, 1+len(k.leaves))
	base := make([]int, 1+len(k.leaves))
	strides[0], base[0] = out.strides, out.off
	for i, lf := range k.leaves {
		strides[i+1], base[i+1] = k.leafStrides(lf, args), args[lf.operand].off
	}
	shape := k.shape
	if order := strideOrder(out.strides, shape); order != nil {
		// a result stored in a leaf's order (outLayout) is walked in it
		shape = permuteInts(shape, order)
		for i := range strides {
			strides[i] = permuteInts(strides[i], order)
		}
	}
	l := rowloop.New(shape, strides...)
	if l.RowLen() < fuseBlock/2 {
		// Short rows (a bias broadcast over [..., 28], a mean over [..., 56]):
		// blocks of whole rows, so the per-block cost is paid per 1,024
		// elements and not per row.
		likeOut := make([]bool, len(k.leaves))
		for i := range k.leaves {
			likeOut[i] = sameLayout(shape, strides[i+1], strides[0])
		}
		if out.dt == tensor.Float32 {
			fusedRowsT(k, l, base, out.f32, leafData(k, args, func(a *arr) []float32 { return a.f32 }), likeOut, &blockPool32)
		} else {
			fusedRowsT(k, l, base, out.f64, leafData(k, args, func(a *arr) []float64 { return a.f64 }), likeOut, &blockPool64)
		}
		return
	}
	if out.dt == tensor.Float32 {
		fusedRunT(k, l, base, out.f32, leafData(k, args, func(a *arr) []float32 { return a.f32 }), &blockPool32)
	} else {
		fusedRunT(k, l, base, out.f64, leafData(k, args, func(a *arr) []float64 { return a.f64 }), &blockPool64)
	}
}

// leafStrides are leaf lf's strides at the region's shape (0 along
// broadcast axes).
func (k *fusedKernel) leafStrides(lf fusedLeaf, args []*arr) []int {
	a := args[lf.operand]
	st := make([]int, len(k.shape))
	for j, ax := range lf.axes {
		if ax >= 0 && a.shape[ax] == k.shape[j] {
			st[j] = a.strides[ax]
		}
	}
	return st
}

// leafData is each leaf's backing slice.
func leafData[T float](k *fusedKernel, args []*arr, data func(*arr) []T) [][]T {
	leaves := make([][]T, len(k.leaves))
	for i, lf := range k.leaves {
		leaves[i] = data(args[lf.operand])
	}
	return leaves
}

// sameLayout reports whether strides a and b agree on every axis of shape
// longer than 1: then consecutive rows of a lie as b's do.
func sameLayout(shape, a, b []int) bool {
	for j, d := range shape {
		if d > 1 && a[j] != b[j] {
			return false
		}
	}
	return true
}

func fusedRunT[T float](k *fusedKernel, l *rowloop.Loop, base []int, o []T, leaves [][]T, pool *sync.Pool) {
	n, rows := l.RowLen(), l.Rows()
	if rows == 0 || n == 0 {
		return
	}
	bs := min(n, fuseBlock)
	if d := k.rowLen(); d > 0 {
		bs = max(d, bs/d*d) // whole softmax rows (n is a multiple of d)
	}
	per := (n + bs - 1) / bs
	nl := len(k.leaves)
	cost := k.cost()
	parFor(rows*per, bs*cost, func(lo, hi int) {
		bp, buf := blockBuffers[T](pool, (nl+k.nregs+k.tmpRegs())*bs)
		defer pool.Put(bp)
		slots := make([][]T, nl+k.nregs)
		offs := make([]int, len(base))
		so := l.Stride(0)
		tmp := buf[(nl+k.nregs)*bs:]
		for u := lo; u < hi; u++ {
			row, c := u/per, u%per
			l.Offsets(row, base, offs)
			i0 := c * bs
			m := min(bs, n-i0)
			for li, d := range leaves {
				s := l.Stride(li + 1)
				p := offs[li+1] + i0*s
				if s == 1 {
					slots[li] = d[p : p+m]
					continue
				}
				b := buf[li*bs : li*bs+m]
				for i := range b {
					b[i] = d[p+i*s]
				}
				slots[li] = b
			}
			for r := range k.nregs {
				slots[nl+r] = buf[(nl+r)*bs : (nl+r)*bs+m]
			}
			applyBlock(k, o[offs[0]+i0*so:], tmp, m, slots)
		}
	})
}

// tmpRegs is the block buffers applyBlock needs beyond leaves and
// registers: one for the region's result before its rowOp.
func (k *fusedKernel) tmpRegs() int {
	if k.rowOp == "" {
		return 0
	}
	return 1
}

// rowLen is the length of the rows rowOp runs over (the last axis), or 0
// without a rowOp.
func (k *fusedKernel) rowLen() int {
	if k.rowOp == "" {
		return 0
	}
	return k.shape[len(k.shape)-1]
}

// applyBlock runs the region on one block of m elements into o[:m]; with
// a rowOp, into tmp first, then the row op from tmp into o, row by row of
// rowLen (blocks hold whole rows).
func applyBlock[T float](k *fusedKernel, o, tmp []T, m int, slots [][]T) {
	if k.rowOp == "" {
		applyRegion(k, o, m, slots)
		return
	}
	t := tmp[:m]
	applyRegion(k, t, m, slots)
	d := k.rowLen()
	if o32, ok := any(o).([]float32); ok {
		softmaxBlock32(k.rowOp, o32[:m], any(t).([]float32), d, k.rowOffs)
		return
	}
	for r := 0; r < m; r += d {
		softmaxRowT(k.rowOp, t, r, d, 1, o[r:r+d])
	}
}

// cost is the per-element cost of the region's ops, for parFor.
func (k *fusedKernel) cost() int {
	c := 0
	for _, op := range k.ops {
		c += unaryCostOf(op.op)
	}
	return c
}

// blockBuffers takes a pooled buffer of at least need elements.
func blockBuffers[T float](pool *sync.Pool, need int) (*[]T, []T) {
	bp, _ := pool.Get().(*[]T)
	if bp == nil || cap(*bp) < need {
		b := make([]T, need)
		bp = &b
	}
	return bp, (*bp)[:need]
}

// applyRegion runs k's ops on one block of m elements whose leaves and
// registers are in slots, the root writing o[:m].
func applyRegion[T float](k *fusedKernel, o []T, m int, slots [][]T) {
	nl := len(k.leaves)
	for i := range k.ops {
		op := &k.ops[i]
		dst := o[:m]
		if op.dst >= 0 {
			dst = slots[nl+op.dst]
		}
		applyFused(op, dst, slots)
	}
}

// fusedRowsT is fusedRunT for rows shorter than half a block: each block
// is per whole rows (about fuseBlock elements). out is contiguous in the
// walk's order, so a block's result is one run of it; so is a leaf laid
// out like out (likeOut), read in place. A leaf that repeats every P rows
// (it does not move along the outer axes before some suffix of them whose
// sizes multiply to P: a bias, P = 1, or a [seq, seq] mask over [batch,
// head, seq, seq], P = seq) is tiled into its block buffer once per
// goroutine, blocks being a multiple of every such P rows; any other leaf
// is copied row by row (a broadcast row filled). The ops then run once over
// the block, each element computed as fusedRunT computes it.
func fusedRowsT[T float](k *fusedKernel, l *rowloop.Loop, base []int, o []T, leaves [][]T, likeOut []bool, pool *sync.Pool) {
	n, rows := l.RowLen(), l.Rows()
	if rows == 0 || n == 0 {
		return
	}
	per := fuseBlock / n
	nl := len(k.leaves)
	cost := k.cost()
	// each leaf: read in place, tiled once, or copied per row
	const inPlace, tiled, perRow = 0, 1, 2
	how := make([]int, nl)
	var rowLeaves []int
	period := 1 // rows after which every tiled leaf repeats
	for li := range nl {
		p := leafPeriod(l, li+1)
		switch {
		case likeOut[li]:
			how[li] = inPlace
		case p > 0 && lcm(period, p) <= per:
			how[li] = tiled
			period = lcm(period, p)
		default:
			how[li] = perRow
			rowLeaves = append(rowLeaves, li)
		}
	}
	per -= per % period
	bs := per * n
	units := (rows + per - 1) / per
	parFor(units, bs*cost, func(lo, hi int) {
		bp, buf := blockBuffers[T](pool, (nl+k.nregs+k.tmpRegs())*bs)
		defer pool.Put(bp)
		slots := make([][]T, nl+k.nregs)
		offs := make([]int, len(base))
		tile := min(period, rows)
		tmp := buf[(nl+k.nregs)*bs:]
		for li, d := range leaves {
			if how[li] == tiled {
				b := buf[li*bs : (li+1)*bs]
				r := 0
				l.Each(0, tile, base, func(p []int) {
					copyRow(b[r*n:(r+1)*n], d, p[li+1], l.Stride(li+1))
					r++
				})
				for r := tile; r < per; r += tile {
					copy(b[r*n:min(r+tile, per)*n], b[:tile*n])
				}
			}
		}
		r := 0
		fill := func(p []int) {
			for _, li := range rowLeaves {
				dst := buf[li*bs+r*n : li*bs+(r+1)*n]
				if s := l.Stride(li + 1); s == 0 {
					fill(dst, leaves[li][p[li+1]]) // one value per row (a mean)
				} else {
					copyRow(dst, leaves[li], p[li+1], s)
				}
			}
			r++
		}
		for u := lo; u < hi; u++ {
			r0, r1 := u*per, min((u+1)*per, rows)
			m := (r1 - r0) * n
			l.Offsets(r0, base, offs)
			if len(rowLeaves) > 0 {
				r = 0
				l.Each(r0, r1, base, fill)
			}
			for li, d := range leaves {
				if how[li] == inPlace {
					slots[li] = d[offs[li+1] : offs[li+1]+m]
				} else {
					slots[li] = buf[li*bs : li*bs+m]
				}
			}
			for r := range k.nregs {
				slots[nl+r] = buf[(nl+r)*bs : (nl+r)*bs+m]
			}
			applyBlock(k, o[offs[0]:], tmp, m, slots)
		}
	})
}

// leafPeriod is the number of rows after which operand k of l repeats: the
// product of the outer axes from the first one it moves along to the
// innermost (1 when it moves along none), or 0 when that exceeds a block.
func leafPeriod(l *rowloop.Loop, k int) int {
	outer := l.Outer()
	p := 1
	for i := len(outer) - 1; i >= 0; i-- {
		moves := false
		for j := range i + 1 {
			if l.OuterStride(k, j) != 0 {
				moves = true
				break
			}
		}
		if !moves {
			break
		}
		p *= outer[i]
		if p > fuseBlock {
			return 0
		}
	}
	return p
}

func lcm(a, b int) int {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}

// copyRow copies the n = len(dst) elements of a row of d starting at q
// with stride s (0: one element broadcast).
func copyRow[T float](dst, d []T, q, s int) {
	switch s {
	case 1:
		copy(dst, d[q:q+len(dst)])
	case 0:
		fill(dst, d[q])
	default:
		for i := range dst {
			dst[i] = d[q+i*s]
		}
	}
}

// fill sets every element of dst to v, eight stores per step (a plain loop
// runs at a third of the speed on rows of 56).
func fill[T float](dst []T, v T) {
	i := 0
	for ; i+8 <= len(dst); i += 8 {
		c := dst[i : i+8 : i+8]
		c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7] = v, v, v, v, v, v, v, v
	}
	for ; i < len(dst); i++ {
		dst[i] = v
	}
}

// applyFused computes one op of a block into dst (never one of its
// arguments).
func applyFused[T float](op *fusedOp, dst []T, slots [][]T) {
	if d32, ok := any(dst).([]float32); ok && applyFused32(op, d32, any(slots).([][]float32)) {
		return
	}
	a := slots[op.args[0]][:len(dst)]
	switch op.op {
	case ir.OpAdd:
		if len(op.args) == 1 {
			copy(dst, a)
			return
		}
		b := slots[op.args[1]][:len(dst)]
		for i := range dst {
			dst[i] = a[i] + b[i]
		}
		for _, s := range op.args[2:] {
			c := slots[s][:len(dst)]
			for i := range dst {
				dst[i] += c[i]
			}
		}
	case ir.OpMul:
		b := slots[op.args[1]][:len(dst)]
		for i := range dst {
			dst[i] = a[i] * b[i]
		}
	case ir.OpPow:
		b := slots[op.args[1]][:len(dst)]
		for i := range dst {
			dst[i] = T(math.Pow(float64(a[i]), float64(b[i])))
		}
	case ir.OpScale:
		f := T(op.factor)
		for i := range dst {
			dst[i] = a[i] * f
		}
	case ir.OpRelu:
		for i := range dst {
			dst[i] = max(a[i], 0)
		}
	case ir.OpNeg:
		for i := range dst {
			dst[i] = -a[i]
		}
	default:
		for i := range dst {
			dst[i] = T(op.fn(float64(a[i])))
		}
	}
}

// applyFused32 is applyFused's float32 form for the ops vec32 has
// kernels for (the same float32 operations, so the same bits), reporting
// false for the others (pow, copies, float64-math functions).
func applyFused32(op *fusedOp, dst []float32, slots [][]float32) bool {
	a := slots[op.args[0]][:len(dst)]
	switch op.op {
	case ir.OpAdd:
		if len(op.args) == 1 {
			return false
		}
		vec32.Add(dst, a, slots[op.args[1]])
		for _, s := range op.args[2:] {
			vec32.AddTo(dst, slots[s])
		}
		return true
	case ir.OpMul:
		vec32.Mul(dst, a, slots[op.args[1]])
		return true
	}
	return unary32s(op.op, float32(op.factor), dst, a)
}
