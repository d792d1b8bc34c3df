package runtime

import (
	"fmt"
	"math"
	"slices"

	"github.com/circopt/circopt/internal/rowloop"
	"github.com/circopt/circopt/internal/vec32"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/ir/interp"
	"github.com/circopt/circopt/tensor"
)

// The fast executor's kernels. Each writes v's value into out, a fresh
// dense buffer of v's shape in the run dtype (possibly dirty: it was
// reused; in C order, or for elementwise kernels possibly a permuted order,
// layout.go), reading its operands through their strides without copying them.
// Large kernels split their rows across GOMAXPROCS goroutines (parFor) at
// boundaries that depend only on the sizes, so results are deterministic.
// Anything without a fast kernel here runs the reference kernel (EvalValue).

type fastKernel func(x *execState, v *ir.Value, args []*arr, out *arr) error

var fastKernels map[ir.Op]fastKernel

func init() {
	fastKernels = map[ir.Op]fastKernel{
		ir.OpAdd:        kAddN,
		ir.OpMul:        kBinaryOp,
		ir.OpPow:        kBinaryOp,
		ir.OpScale:      kUnaryOp,
		ir.OpSum:        kSumAxes,
		ir.OpSoftmax:    kLastAxis,
		ir.OpLogSoftmax: kLastAxis,
		ir.OpReduceMax:  kLastAxis,
		ir.OpReduceMin:  kLastAxis,
		ir.OpGather:     kGatherFast,
		ir.OpConcat:     kConcatFast,
		ir.OpScatter:    kScatterFast,
	}
	for _, op := range ir.UnaryOps {
		fastKernels[op] = kUnaryOp
	}
}

// unaryCostOf weights parallel splitting: transcendental functions are
// worth splitting at smaller sizes.
func unaryCostOf(op ir.Op) int {
	switch op {
	case ir.OpRelu, ir.OpNeg, ir.OpAbs, ir.OpScale, ir.OpStep:
		return 1
	}
	return 8
}

func kUnaryOp(_ *execState, v *ir.Value, args []*arr, out *arr) error {
	a := args[0]
	f, _ := interp.UnaryFunc(v.Op)
	factor := v.Attrs.Float("factor")
	l := rowloop.New(out.shape, out.strides, a.strides)
	cost := unaryCostOf(v.Op)
	if out.dt == tensor.Float32 {
		unaryT(v.Op, f, float32(factor), l, out.f32, a.f32, a.off, cost)
	} else {
		unaryT(v.Op, f, factor, l, out.f64, a.f64, a.off, cost)
	}
	return nil
}

func unaryT[T float](op ir.Op, f func(float64) float64, factor T, l *rowloop.Loop, o, a []T, aoff, cost int) {
	n, sa := l.RowLen(), l.Stride(1)
	parFor(l.Rows(), n*cost, func(lo, hi int) {
		l.Each(lo, hi, []int{0, aoff}, func(p []int) {
			po, pa := p[0], p[1]
			dst := o[po : po+n]
			if d32, ok := any(dst).([]float32); ok && sa == 1 && unary32s(op, float32(factor), d32, any(a[pa:pa+n]).([]float32)) {
				return // vec32's kernel (mathf32.go)
			}
			switch op {
			case ir.OpRelu:
				// max is branch-free (a data-dependent branch mispredicts on
				// mixed signs) and keeps relu's edge cases: NaN stays NaN
				// and -0 becomes +0.
				for i := range dst {
					dst[i] = max(a[pa+i*sa], 0)
				}
			case ir.OpNeg:
				for i := range dst {
					dst[i] = -a[pa+i*sa]
				}
			case ir.OpScale:
				for i := range dst {
					dst[i] = a[pa+i*sa] * factor
				}
			case ir.OpAbs:
				for i := range dst {
					dst[i] = T(math.Abs(float64(a[pa+i*sa])))
				}
			default:
				if d32, ok := any(dst).([]float32); ok {
					if f32 := fastUnary32(op); f32 != nil { // as fused regions compute it
						a32 := any(a).([]float32)
						for i := range d32 {
							d32[i] = f32(a32[pa+i*sa])
						}
						return
					}
				}
				for i := range dst {
					dst[i] = T(f(float64(a[pa+i*sa])))
				}
			}
		})
	})
}

func kBinaryOp(_ *execState, v *ir.Value, args []*arr, out *arr) error {
	a, b := args[0].broadcastTo(out.shape), args[1].broadcastTo(out.shape)
	l := rowloop.New(out.shape, out.strides, a.strides, b.strides)
	if out.dt == tensor.Float32 {
		binaryT(v.Op, l, out.f32, a.f32, a.off, b.f32, b.off)
	} else {
		binaryT(v.Op, l, out.f64, a.f64, a.off, b.f64, b.off)
	}
	return nil
}

func binaryT[T float](op ir.Op, l *rowloop.Loop, o, a []T, aoff int, b []T, boff int) {
	n, sa, sb := l.RowLen(), l.Stride(1), l.Stride(2)
	cost := 1
	if op == ir.OpPow {
		cost = 8
	}
	parFor(l.Rows(), n*cost, func(lo, hi int) {
		l.Each(lo, hi, []int{0, aoff, boff}, func(p []int) {
			po, pa, pb := p[0], p[1], p[2]
			dst := o[po : po+n]
			switch op {
			case ir.OpAdd:
				if sa == 1 && sb == 1 {
					x, y := a[pa:pa+n], b[pb:pb+n]
					if d32, ok := any(dst).([]float32); ok {
						vec32.Add(d32, any(x).([]float32), any(y).([]float32))
						return
					}
					for i := range dst {
						dst[i] = x[i] + y[i]
					}
					return
				}
				for i := range dst {
					dst[i] = a[pa+i*sa] + b[pb+i*sb]
				}
			case ir.OpMul:
				if sa == 1 && sb == 1 {
					x, y := a[pa:pa+n], b[pb:pb+n]
					if d32, ok := any(dst).([]float32); ok {
						vec32.Mul(d32, any(x).([]float32), any(y).([]float32))
						return
					}
					for i := range dst {
						dst[i] = x[i] * y[i]
					}
					return
				}
				for i := range dst {
					dst[i] = a[pa+i*sa] * b[pb+i*sb]
				}
			default: // pow
				for i := range dst {
					dst[i] = T(math.Pow(float64(a[pa+i*sa]), float64(b[pb+i*sb])))
				}
			}
		})
	})
}

// accumulateT adds a (broadcast to o's shape) into o.
func accumulateT[T float](l *rowloop.Loop, o, a []T, aoff int) {
	n, sa := l.RowLen(), l.Stride(1)
	parFor(l.Rows(), n, func(lo, hi int) {
		l.Each(lo, hi, []int{0, aoff}, func(p []int) {
			po, pa := p[0], p[1]
			dst := o[po : po+n]
			if sa == 1 {
				x := a[pa : pa+n]
				if d32, ok := any(dst).([]float32); ok {
					vec32.AddTo(d32, any(x).([]float32))
					return
				}
				for i := range dst {
					dst[i] += x[i]
				}
				return
			}
			for i := range dst {
				dst[i] += a[pa+i*sa]
			}
		})
	})
}

// kAddN sums n operands: the first two in one pass, the rest accumulated.
func kAddN(x *execState, v *ir.Value, args []*arr, out *arr) error {
	if len(args) == 1 {
		copyInto(out, args[0].broadcastTo(out.shape))
		return nil
	}
	a, b := args[0].broadcastTo(out.shape), args[1].broadcastTo(out.shape)
	l := rowloop.New(out.shape, out.strides, a.strides, b.strides)
	if out.dt == tensor.Float32 {
		binaryT(ir.OpAdd, l, out.f32, a.f32, a.off, b.f32, b.off)
	} else {
		binaryT(ir.OpAdd, l, out.f64, a.f64, a.off, b.f64, b.off)
	}
	for _, c := range args[2:] {
		cb := c.broadcastTo(out.shape)
		l := rowloop.New(out.shape, out.strides, cb.strides)
		if out.dt == tensor.Float32 {
			accumulateT(l, out.f32, cb.f32, cb.off)
		} else {
			accumulateT(l, out.f64, cb.f64, cb.off)
		}
	}
	return nil
}

// kSumAxes sums over the attribute's axes. It walks the input in its own
// memory order with the accumulator's stride 0 along summed axes, in
// float64 as the reference does, splitting across goroutines along an
// outer kept axis (whose accumulator slices are disjoint).
func kSumAxes(x *execState, v *ir.Value, args []*arr, out *arr) error {
	sumAxes(x, args[0], v.Attrs.Ints("axes"), out)
	return nil
}

// sumAxes is kSumAxes on a's axes.
func sumAxes(x *execState, a *arr, axes []int, out *arr) {
	r := len(a.shape)
	accStr := make([]int, r)
	ostr := contiguousStrides(out.shape)
	j := 0
	for ax := 0; ax < r; ax++ {
		if slices.Contains(axes, ax) {
			continue
		}
		accStr[ax] = ostr[j]
		j++
	}
	// Loop order: input strides descending so rows run along memory.
	perm := make([]int, r)
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(p, q int) int {
		sp, sq := a.strides[p], a.strides[q]
		if a.shape[p] == 1 {
			sp = 0
		}
		if a.shape[q] == 1 {
			sq = 0
		}
		return sq - sp
	})
	shape := make([]int, r)
	ps, pa := make([]int, r), make([]int, r)
	for i, p := range perm {
		shape[i], ps[i], pa[i] = a.shape[p], accStr[p], a.strides[p]
	}
	var acc []float64
	var accSt *storage
	if out.dt == tensor.Float64 {
		acc = out.f64[:out.size()]
	} else {
		accSt = x.scratch(tensor.Float64, out.size())
		acc = accSt.f64
	}
	clear(acc)
	l := rowloop.New(shape, ps, pa)
	run := func(lo, hi int) {
		if out.dt == tensor.Float32 {
			sumRows(l, lo, hi, acc, a.f32, a.off)
		} else {
			sumRows(l, lo, hi, acc, a.f64, a.off)
		}
	}
	if outer := l.Outer(); len(outer) > 0 && l.OuterStride(0, 0) != 0 && outer[0] > 1 {
		per := l.Rows() / outer[0]
		parFor(outer[0], per*l.RowLen(), func(lo, hi int) { run(lo*per, hi*per) })
	} else {
		run(0, l.Rows())
	}
	if accSt != nil {
		o := out.f32[:out.size()]
		for i, s := range acc {
			o[i] = float32(s)
		}
		x.release(accSt)
	}
}

func sumRows[T float](l *rowloop.Loop, lo, hi int, acc []float64, a []T, aoff int) {
	n, sc, sa := l.RowLen(), l.Stride(0), l.Stride(1)
	if sc == 0 && sa == 1 && len(l.Outer()) == 1 {
		lo = sumRows4(l, lo, hi, acc, a, aoff)
	}
	l.Each(lo, hi, []int{0, aoff}, func(p []int) {
		pc, pa := p[0], p[1]
		if sc == 0 {
			s := 0.0
			for i := 0; i < n; i++ {
				s += float64(a[pa+i*sa])
			}
			acc[pc] += s
			return
		}
		for i := 0; i < n; i++ {
			acc[pc+i*sc] += float64(a[pa+i*sa])
		}
	})
}

// sumRows4 is sumRows for contiguous rows at one stride (a layer norm's
// mean over [batch·seq, d]), four rows at a time: each row is still summed
// in order, into its own chain, so four chains hide the add latency that
// bounds short rows. It returns the first row it left.
func sumRows4[T float](l *rowloop.Loop, lo, hi int, acc []float64, a []T, aoff int) int {
	n, oc, oa := l.RowLen(), l.OuterStride(0, 0), l.OuterStride(1, 0)
	for ; lo+4 <= hi; lo += 4 {
		pa, pc := aoff+lo*oa, lo*oc
		a0, a1, a2, a3 := a[pa:pa+n], a[pa+oa:pa+oa+n], a[pa+2*oa:pa+2*oa+n], a[pa+3*oa:pa+3*oa+n]
		var s0, s1, s2, s3 float64
		for i := range a0 {
			s0 += float64(a0[i])
			s1 += float64(a1[i])
			s2 += float64(a2[i])
			s3 += float64(a3[i])
		}
		acc[pc] += s0
		acc[pc+oc] += s1
		acc[pc+2*oc] += s2
		acc[pc+3*oc] += s3
	}
	return lo
}

// kLastAxis runs softmax, log_softmax, reduce_max and reduce_min over the
// last axis, one row per goroutine chunk.
func kLastAxis(_ *execState, v *ir.Value, args []*arr, out *arr) error {
	a := args[0]
	r := len(a.shape)
	d := a.shape[r-1]
	if d == 0 {
		return errNoFastKernel
	}
	outer := numel(a.shape[:r-1])
	// outer row offsets through a loop over the leading axes.
	l := rowloop.New(append(slices.Clone(a.shape[:r-1]), 1), append(slices.Clone(a.strides[:r-1]), 1))
	offs := make([]int, 0, outer)
	n, s := l.RowLen(), l.Stride(0)
	l.Each(0, l.Rows(), []int{a.off}, func(p []int) {
		for i := 0; i < n; i++ {
			offs = append(offs, p[0]+i*s)
		}
	})
	if len(offs) != outer {
		return fmt.Errorf("internal: %d rows for %d", len(offs), outer)
	}
	sd := a.strides[r-1]
	if out.dt == tensor.Float32 {
		lastAxisT(v.Op, offs, d, sd, a.f32, out.f32)
	} else {
		lastAxisT(v.Op, offs, d, sd, a.f64, out.f64)
	}
	return nil
}

func lastAxisT[T float](op ir.Op, offs []int, d, sd int, a, o []T) {
	if a32, ok := any(a).([]float32); ok && sd == 1 && d <= vec32.RowsMaxD && vec32.RowsFast() && (op == ir.OpSoftmax || op == ir.OpLogSoftmax) {
		softmaxRows32(op, offs, d, a32, any(o).([]float32))
		return
	}
	parFor(len(offs), d*8, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			p := offs[row]
			switch op {
			case ir.OpReduceMax, ir.OpReduceMin:
				m := a[p]
				for i := 1; i < d; i++ {
					x := a[p+i*sd]
					if x != x || (op == ir.OpReduceMax && x > m) || (op == ir.OpReduceMin && x < m) {
						m = x
					}
					if m != m {
						break
					}
				}
				o[row] = m
			default:
				softmaxRowT(op, a, p, d, sd, o[row*d:row*d+d])
			}
		}
	})
}

// softmaxRowT writes softmax (op OpSoftmax) or log_softmax of one row — d
// elements of a from p at stride sd — into dst: float32 through
// softmaxRow32, float64 with math.Exp and math.Log.
func softmaxRowT[T float](op ir.Op, a []T, p, d, sd int, dst []T) {
	if a32, ok := any(a).([]float32); ok { // float32 exp (softmax32.go)
		softmaxRow32(op, a32, p, d, sd, any(dst).([]float32))
		return
	}
	m := math.Inf(-1)
	for i := 0; i < d; i++ {
		m = max(m, float64(a[p+i*sd]))
	}
	s := 0.0
	for i := range dst {
		e := math.Exp(float64(a[p+i*sd]) - m)
		s += e
		if op == ir.OpSoftmax {
			dst[i] = T(e)
		}
	}
	if op == ir.OpSoftmax {
		inv := 1 / s
		for i := range dst {
			dst[i] = T(float64(dst[i]) * inv)
		}
	} else {
		ls := m + math.Log(s)
		for i := range dst {
			dst[i] = T(float64(a[p+i*sd]) - ls)
		}
	}
}

// selectView fixes axis at i.
func selectView(a *arr, axis, i int) *arr {
	shape := slices.Delete(slices.Clone(a.shape), axis, axis+1)
	strides := slices.Delete(slices.Clone(a.strides), axis, axis+1)
	return a.view(shape, strides, a.off+i*a.strides[axis])
}

// sliceView restricts axis to [lo,hi).
func sliceView(a *arr, axis, lo, hi int) *arr {
	shape := slices.Clone(a.shape)
	shape[axis] = hi - lo
	off := a.off
	if hi > lo {
		off += lo * a.strides[axis]
	}
	return a.view(shape, slices.Clone(a.strides), off)
}

func kGatherFast(_ *execState, v *ir.Value, args []*arr, out *arr) error {
	a, ix := args[0], args[1]
	axis := v.Attrs.Int("axis")
	if ix.dt != tensor.Int64 {
		return fmt.Errorf("gather index has dtype %v, want int64", ix.dt)
	}
	d := int64(a.shape[axis])
	n := ix.shape[0]
	idx := make([]int, n)
	for j := 0; j < n; j++ {
		i := ix.i64[ix.off+j*ix.strides[0]]
		if i < 0 {
			i += d
		}
		if i < 0 || i >= d {
			return fmt.Errorf("gather: index %d (position %d) out of range for axis %d of size %d", ix.i64[ix.off+j*ix.strides[0]], j, axis, d)
		}
		idx[j] = int(i)
	}
	block := a.size() / max(1, a.shape[axis])
	if a.isContiguous() && out.isContiguous() {
		// rows are runs of memory: copy them, no views (a scrub gathers
		// 10,000 one-element rows)
		switch a.dt {
		case tensor.Float32:
			gatherRuns(a.f32[a.off:], out.f32[out.off:], a.shape, axis, idx)
		case tensor.Float64:
			gatherRuns(a.f64[a.off:], out.f64[out.off:], a.shape, axis, idx)
		default:
			gatherRuns(a.i64[a.off:], out.i64[out.off:], a.shape, axis, idx)
		}
		return nil
	}
	if out.isContiguous() {
		switch a.dt {
		case tensor.Float32:
			gatherStrided(a.f32, out.f32[out.off:], a, axis, idx)
		case tensor.Float64:
			gatherStrided(a.f64, out.f64[out.off:], a, axis, idx)
		default:
			gatherStrided(a.i64, out.i64[out.off:], a, axis, idx)
		}
		return nil
	}
	parFor(n, block, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			copyInto(selectView(out, axis, j), selectView(a, axis, idx[j]))
		}
	})
	return nil
}

// gatherStrided is a gather from a strided view (a slice of a broadcast,
// a permuted value) into a C-ordered out: the offsets of the axes before
// and after axis are listed once, so each element is one load.
func gatherStrided[T elem](src, out []T, a *arr, axis int, idx []int) {
	offsets := func(shape, strides []int) []int {
		offs := []int{0}
		for d := len(shape) - 1; d >= 0; d-- {
			next := make([]int, 0, len(offs)*shape[d])
			for i := range shape[d] {
				for _, o := range offs {
					next = append(next, i*strides[d]+o)
				}
			}
			offs = next
		}
		return offs
	}
	pre := offsets(a.shape[:axis], a.strides[:axis])
	post := offsets(a.shape[axis+1:], a.strides[axis+1:])
	n, inner, st := len(idx), len(post), a.strides[axis]
	parFor(len(pre)*n, inner, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			base := a.off + pre[r/n] + idx[r%n]*st
			dst := out[r*inner : (r+1)*inner]
			for k, o := range post {
				dst[k] = src[base+o]
			}
		}
	})
}

// gatherRuns is a gather along axis between C-ordered arrays: out holds,
// for each position of the axes before axis, the inner runs at idx.
func gatherRuns[T elem](a, out []T, shape []int, axis int, idx []int) {
	outer, inner := numel(shape[:axis]), numel(shape[axis+1:])
	d, n := shape[axis], len(idx)
	parFor(outer*n, inner, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			o, j := r/n, r%n
			src := (o*d + idx[j]) * inner
			copy(out[r*inner:(r+1)*inner], a[src:src+inner])
		}
	})
}

func kConcatFast(_ *execState, v *ir.Value, args []*arr, out *arr) error {
	axis := v.Attrs.Int("axis")
	at := 0
	for _, a := range args {
		d := a.shape[axis]
		copyInto(sliceView(out, axis, at, at+d), a)
		at += d
	}
	return nil
}

func kScatterFast(_ *execState, v *ir.Value, args []*arr, out *arr) error {
	starts := v.Attrs.Ints("starts")
	a := args[0]
	zeroFill(out)
	dst := out
	for ax, s := range starts {
		dst = sliceView(dst, ax, s, s+a.shape[ax])
	}
	copyInto(dst, a)
	return nil
}

// errNoFastKernel sends a value to the reference kernel.
var errNoFastKernel = fmt.Errorf("no fast kernel")
