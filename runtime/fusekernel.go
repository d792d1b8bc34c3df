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

// run computes the region into out (contiguous, the run dtype) from the
// fused value's operands.
func (k *fusedKernel) run(args []*arr, out *arr) {
	strides := make([][]int, 1+len(k.leaves))
	base := make([]int, 1+len(k.leaves))
	strides[0], base[0] = out.strides, out.off
	for i, lf := range k.leaves {
		a := args[lf.operand]
		st := make([]int, len(k.shape))
		for j, ax := range lf.axes {
			if ax >= 0 && a.shape[ax] == k.shape[j] {
				st[j] = a.strides[ax]
			}
		}
		strides[i+1], base[i+1] = st, a.off
	}
	l := rowloop.New(k.shape, strides...)
	if out.dt == tensor.Float32 {
		leaves := make([][]float32, len(k.leaves))
		for i, lf := range k.leaves {
			leaves[i] = args[lf.operand].f32
		}
		fusedRunT(k, l, base, out.f32, leaves, &blockPool32)
	} else {
		leaves := make([][]float64, len(k.leaves))
		for i, lf := range k.leaves {
			leaves[i] = args[lf.operand].f64
		}
		fusedRunT(k, l, base, out.f64, leaves, &blockPool64)
	}
}

func fusedRunT[T float](k *fusedKernel, l *rowloop.Loop, base []int, o []T, leaves [][]T, pool *sync.Pool) {
	n, rows := l.RowLen(), l.Rows()
	if rows == 0 || n == 0 {
		return
	}
	bs := min(n, fuseBlock)
	per := (n + bs - 1) / bs
	nl := len(k.leaves)
	cost := 0
	for _, op := range k.ops {
		cost += unaryCostOf(op.op)
	}
	parFor(rows*per, bs*cost, func(lo, hi int) {
		need := (nl + k.nregs) * bs
		bp, _ := pool.Get().(*[]T)
		if bp == nil || cap(*bp) < need {
			b := make([]T, need)
			bp = &b
		}
		defer pool.Put(bp)
		buf := (*bp)[:need]
		slots := make([][]T, nl+k.nregs)
		offs := make([]int, len(base))
		so := l.Stride(0)
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
			po := offs[0] + i0*so
			for i := range k.ops {
				op := &k.ops[i]
				dst := o[po : po+m]
				if op.dst >= 0 {
					dst = slots[nl+op.dst]
				}
				applyFused(op, dst, slots)
			}
		}
	})
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
