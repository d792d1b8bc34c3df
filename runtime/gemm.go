package runtime

import (
	"slices"
	"sort"
	"sync"

	"gonum.org/v1/gonum/blas"

	cblas "github.com/circopt/circopt/blas"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// A binary contraction out[lo] = Σ a[la]·b[lb] is one (batched) GEMM once
// its labels are classified:
//
//	batch  in a, b and out   one GEMM per batch index (a loop, parallel when small)
//	M      in a and out      rows of a and of the result
//	N      in b and out      columns of b and of the result
//	K      in a and b only   the summed dimension
//
// Each group must collapse to one matrix dimension (its labels adjacent in
// memory, in one order). M and N keep the output's label order so the GEMM
// writes straight into the result; K's order is free and chosen to match an
// operand's layout. An operand whose groups do not collapse is copied once
// (its single permute) into a [batch, rows, cols] scratch; when both
// operands would be read transposed, the smaller is copied instead, because
// gonum's Gemm is several times slower with two transposed operands. Labels
// in M that are contiguous with each other (a leading batch-like axis of a
// activation times a weight) fold into one GEMM's rows for free.

// gemmGroup is one label group collapsed in one array.
type gemmGroup struct {
	size   int // product of the labels' sizes
	stride int // stride of the innermost non-unit label (1 when none)
	ok     bool
}

// collapse reports whether the labels ls (in this order) of an array with
// the given axis labels and strides form one dimension.
func collapse(ls []int, labels, shape, strides []int) gemmGroup {
	g := gemmGroup{size: 1, stride: 1, ok: true}
	prevStride := -1
	for _, l := range ls {
		ax := slices.Index(labels, l)
		d, s := shape[ax], strides[ax]
		g.size *= d
		if d == 1 {
			continue
		}
		if prevStride >= 0 && prevStride != s*d {
			g.ok = false
		}
		prevStride = s
		g.stride = s
	}
	return g
}

// matLayout says how a logical r×c matrix with row stride s0 and column
// stride s1 reads as BLAS input: row-major with leading dimension ld, or as
// the transpose of a row-major c×r matrix (trans). ok is false when neither
// works (the operand must be copied).
func matLayout(r, c, s0, s1 int, preferTrans bool) (trans bool, ld int, ok bool) {
	// Row-major: unit column stride (or one column), rows ld apart.
	ldN, okN := s0, false
	if s1 == 1 || c <= 1 {
		if r <= 1 {
			ldN = max(1, c)
		}
		okN = ldN >= max(1, c)
	}
	// Transposed: unit row stride (or one row), columns ld apart.
	ldT, okT := s1, false
	if s0 == 1 || r <= 1 {
		if c <= 1 {
			ldT = max(1, r)
		}
		okT = ldT >= max(1, r)
	}
	// A vector reads either way: take the layout the caller prefers.
	switch {
	case okT && (preferTrans || !okN):
		return true, ldT, true
	case okN:
		return false, ldN, true
	}
	return false, 0, false
}

// gemmOperand is one side of the GEMM: a logical rows×cols matrix per batch
// index, stored row-major (ld) or transposed, at off plus batch offsets.
type gemmOperand struct {
	a          *arr
	rows, cols int
	trans      bool
	ld         int
	bstr       []int // stride of each batch label
	copied     bool
}

func (o *gemmOperand) blasTrans() blas.Transpose {
	if o.trans {
		return blas.Trans
	}
	return blas.NoTrans
}

// stored is the stored matrix's shape and the backing extent it spans.
func (o *gemmOperand) stored() (r, c, extent int) {
	r, c = o.rows, o.cols
	if o.trans {
		r, c = c, r
	}
	return r, c, (r-1)*o.ld + c
}

// viewOperand tries to read a's rows×cols groups in place (transposed, if
// both readings work and preferTrans).
func viewOperand(a *arr, labels, batch, rowLs, colLs []int, preferTrans bool) (gemmOperand, bool) {
	rg := collapse(rowLs, labels, a.shape, a.strides)
	cg := collapse(colLs, labels, a.shape, a.strides)
	op := gemmOperand{a: a, rows: rg.size, cols: cg.size}
	for _, l := range batch {
		st := 0 // a loop label the operand does not have: reused per index
		if ax := slices.Index(labels, l); ax >= 0 {
			st = a.strides[ax]
		}
		op.bstr = append(op.bstr, st)
	}
	if !rg.ok || !cg.ok {
		return op, false
	}
	var ok bool
	op.trans, op.ld, ok = matLayout(rg.size, cg.size, rg.stride, cg.stride, preferTrans)
	return op, ok
}

// copyOperand lays a out as a contiguous [batch..., rows..., cols...] array
// in scratch and reads it row-major, or as [batch..., cols..., rows...]
// read transposed when colMajor.
// With x nil (a dry run) nothing is allocated or copied.
func copyOperand(x *execState, a *arr, labels, batch, rowLs, colLs []int, colMajor bool) (gemmOperand, *storage) {
	own := slices.DeleteFunc(slices.Clone(batch), func(l int) bool { return !slices.Contains(labels, l) })
	order := slices.Concat(own, rowLs, colLs)
	if colMajor {
		order = slices.Concat(own, colLs, rowLs)
	}
	perm := make([]int, len(order))
	for i, l := range order {
		perm[i] = slices.Index(labels, l)
	}
	src := a.permuted(perm)
	var st *storage
	dst := shapeOnly(src.shape)
	dst.dt = a.dt
	if x != nil {
		st = x.scratch(a.dt, src.size())
		dst = newArr(a.dt, src.shape, st)
		copyInto(dst, src)
	}
	op, _ := viewOperand(dst, order, batch, rowLs, colLs, colMajor)
	op.copied = true
	return op, st
}

// contraction is a classified binary einsum.
type contraction struct {
	batch, m, n, k []int
	la, lb, lo     []int
}

// classify splits the labels; ok is false for einsums that are not plain
// contractions (repeated labels, labels summed out of one operand alone,
// labels only in the output): those take the reference kernel.
func classify(la, lb, lo []int) (*contraction, bool) {
	for _, ls := range [][]int{la, lb, lo} {
		for i, l := range ls {
			if slices.Contains(ls[i+1:], l) {
				return nil, false
			}
		}
	}
	c := &contraction{la: la, lb: lb, lo: lo}
	for _, l := range lo {
		inA, inB := slices.Contains(la, l), slices.Contains(lb, l)
		switch {
		case inA && inB:
			c.batch = append(c.batch, l)
		case inA:
			c.m = append(c.m, l)
		case inB:
			c.n = append(c.n, l)
		default:
			return nil, false
		}
	}
	for _, l := range la {
		if !slices.Contains(lo, l) {
			if !slices.Contains(lb, l) {
				return nil, false
			}
			c.k = append(c.k, l)
		}
	}
	for _, l := range lb {
		if !slices.Contains(lo, l) && !slices.Contains(la, l) {
			return nil, false
		}
	}
	return c, true
}

// contractionCache memoizes classifyEinsum by spec: a plan run in a loop
// (and the schedule's dry runs) would otherwise parse every spec on every
// run. Entries are immutable; the cache stops growing at contractionCacheMax
// distinct specs (later ones are classified every time).
var contractionCache struct {
	sync.Mutex
	m map[string]cachedContraction
}

type cachedContraction struct {
	c  *contraction
	ok bool
}

const contractionCacheMax = 4096

// classifyEinsum parses a binary einsum spec and classifies it (classify);
// ok is false for specs that are not plain contractions or do not parse.
// The result is shared: callers must not modify it.
func classifyEinsum(spec string) (*contraction, bool) {
	contractionCache.Lock()
	e, hit := contractionCache.m[spec]
	contractionCache.Unlock()
	if hit {
		return e.c, e.ok
	}
	if sp, err := ir.ParseEinsum(spec, 2); err == nil {
		e.c, e.ok = classify(sp.In[0], sp.In[1], sp.Out)
	}
	contractionCache.Lock()
	if contractionCache.m == nil {
		contractionCache.m = map[string]cachedContraction{}
	}
	if len(contractionCache.m) < contractionCacheMax {
		contractionCache.m[spec] = e
	}
	contractionCache.Unlock()
	return e.c, e.ok
}

// kOrders are the K label orders worth trying: each operand's memory order.
func kOrders(k []int, arrs []*arr, labels [][]int) [][]int {
	var out [][]int
	for i, a := range arrs {
		ord := slices.Clone(k)
		sort.SliceStable(ord, func(x, y int) bool {
			return a.strides[slices.Index(labels[i], ord[x])] > a.strides[slices.Index(labels[i], ord[y])]
		})
		if !slices.ContainsFunc(out, func(o []int) bool { return slices.Equal(o, ord) }) {
			out = append(out, ord)
		}
	}
	return out
}

// gemmPlan is how one binary contraction runs as GEMMs: which labels loop,
// where the result is written, which operands are copied first and the
// scratch that takes. Planning reads only shapes and strides, so the same
// plan serves the kernel (contract) and the memory estimate (contractScratch).
type gemmPlan struct {
	size            map[int]int // label -> extent
	cm, cn, batch   []int       // the GEMM's M and N labels and its loop labels
	M, N, K, NB     int
	swap, direct    bool  // swap: computed as Cᵀ = Bᵀ·Aᵀ; direct: written straight into out
	tLabels, tShape []int // the GEMM block's labels and shape when not direct
	bestK           []int // K label order
	oa, ob          gemmOperand
	copyA, copyB    bool // operands laid out in scratch first
	nothing, zero   bool // empty result; K empty (the result is zeros)
	scratchBytes    int64
	copyElems       int // elements of operands copied
}

// planContract lays out out = einsum(la,lb->lo)(a, b). out is contiguous
// in the run dtype; a and b may be data-less (shapeOnly) arrays.
func planContract(c *contraction, a, b, out *arr) *gemmPlan {
	pl := &gemmPlan{size: map[int]int{}}
	for i, l := range c.la {
		pl.size[l] = a.shape[i]
	}
	for i, l := range c.lb {
		pl.size[l] = b.shape[i]
	}
	prod := func(ls []int) int {
		p := 1
		for _, l := range ls {
			p *= pl.size[l]
		}
		return p
	}
	M, N, K, NB := prod(c.m), prod(c.n), prod(c.k), prod(c.batch)
	pl.K = K
	if M*N*NB == 0 {
		pl.nothing = true
		return pl
	}
	if K == 0 {
		pl.zero = true
		return pl
	}
	// Where the result goes: straight into out when its M and N groups
	// collapse there with one of them innermost. Failing that, either
	// leading M or N labels become loop labels (one GEMM per index, like
	// batch labels, the operand without the label reading it with stride
	// 0), or the GEMM writes a [batch, M, N] block in out's storage and
	// the result is a permuted view of it (contract); layoutCost picks the
	// cheaper. Looping a projection over examples (x[b,s,k]·W[h,d,k] ->
	// [b,h,s,d]) gives thousands of 8×16×64 GEMMs, each paying a call and
	// its packing; one big GEMM takes half their time.
	var best *gemmPlan
	bestCost := 0.0
	consider := func(cm, cn, batch []int, swap, direct bool) {
		cand := layoutContract(c, a, b, out, pl.size, cm, cn, batch, swap, direct)
		cost := cand.layoutCost(forcedLayout)
		if best == nil || cost < bestCost {
			best, bestCost = cand, cost
		}
	}
	if swap, ok := outLayout(c.m, c.n, c.lo, out); ok {
		consider(c.m, c.n, c.batch, swap, true)
		return best
	}
	for i := 0; i <= len(c.m); i++ {
		for j := 0; j <= len(c.n); j++ {
			if i+j == 0 {
				continue
			}
			if swap, ok := outLayout(c.m[i:], c.n[j:], c.lo, out); ok {
				consider(c.m[i:], c.n[j:], slices.Concat(c.batch, c.m[:i], c.n[:j]), swap, true)
			}
		}
	}
	consider(c.m, c.n, c.batch, false, false)
	return best
}

// layoutContract plans the operands of one choice of GEMM labels and
// result placement (planContract): cm and cn the GEMM's M and N labels,
// batch its loop labels, swap and direct as in gemmPlan.
func layoutContract(c *contraction, a, b, out *arr, size map[int]int, cm, cn, batch []int, swap, direct bool) *gemmPlan {
	pl := &gemmPlan{size: size, cm: cm, cn: cn, batch: batch, swap: swap, direct: direct, tLabels: c.lo}
	prod := func(ls []int) int {
		p := 1
		for _, l := range ls {
			p *= size[l]
		}
		return p
	}
	elt := int64(out.dt.Size())
	pl.M, pl.N, pl.K, pl.NB = prod(pl.cm), prod(pl.cn), prod(c.k), prod(pl.batch)
	if !pl.direct {
		pl.tLabels = slices.Concat(pl.batch, pl.cm, pl.cn)
		pl.tShape = make([]int, len(pl.tLabels))
		for i, l := range pl.tLabels {
			pl.tShape[i] = size[l]
		}
	}

	// Operands: try each K order, keep the one that copies least.
	var okA, okB bool
	bestCost := -1
	for _, ko := range kOrders(c.k, []*arr{a, b}, [][]int{c.la, c.lb}) {
		// gonum sees the operands transposed once more when swap.
		ta, va := viewOperand(a, c.la, pl.batch, pl.cm, ko, pl.swap)
		tb, vb := viewOperand(b, c.lb, pl.batch, ko, pl.cn, pl.swap)
		cost := 0
		if !va {
			cost += a.size()
		}
		if !vb {
			cost += b.size()
		}
		if va && vb && ta.trans != pl.swap && tb.trans != pl.swap {
			cost += min(a.size(), b.size())
		}
		if bestCost < 0 || cost < bestCost {
			bestCost, pl.bestK, pl.oa, pl.ob, okA, okB = cost, ko, ta, tb, va, vb
		}
	}
	// Copies are laid out so that, as gonum finally sees them (transposed
	// again when the result is computed as Cᵀ = Bᵀ·Aᵀ), they are row-major.
	if !okA {
		pl.oa, _ = copyOperand(nil, a, c.la, pl.batch, pl.cm, pl.bestK, pl.swap)
	}
	if !okB {
		pl.ob, _ = copyOperand(nil, b, c.lb, pl.batch, pl.bestK, pl.cn, pl.swap)
	}
	if pl.oa.trans != pl.swap && pl.ob.trans != pl.swap {
		if a.size() <= b.size() {
			pl.oa, _ = copyOperand(nil, a, c.la, pl.batch, pl.cm, pl.bestK, pl.swap)
		} else {
			pl.ob, _ = copyOperand(nil, b, c.lb, pl.batch, pl.bestK, pl.cn, pl.swap)
		}
	}
	pl.copyA, pl.copyB = pl.oa.copied, pl.ob.copied
	for _, o := range []*gemmOperand{&pl.oa, &pl.ob} {
		if o.copied {
			pl.scratchBytes += int64(o.a.size()) * elt
			pl.copyElems += o.a.size()
		}
	}
	return pl
}

// contractScratch is the scratch bytes contract takes for these operands
// (the schedule's memory estimate).
func contractScratch(c *contraction, a, b, out *arr) int64 {
	return planContract(c, a, b, out).scratchBytes
}

// contract computes einsum(la,lb->lo)(a, b) with GEMMs on x's BLAS into
// out's storage and returns the result: out itself, or, when the GEMM
// writes its [batch, M, N] block in an order that out's label order does
// not collapse in (a plan that is not direct), a permuted view of that
// block in out's storage, which readers take through its strides (an
// attention's q·kᵀ reads a [b,s,h,d] block viewed as [b,h,s,d] in place),
// instead of a permuting copy. out is a fresh contiguous array of the run
// dtype. It stops early, with the context's error, when x's run is
// canceled.
func contract(x *execState, c *contraction, a, b, out *arr) (*arr, error) {
	if a.dt == out.dt && b.dt == out.dt {
		switch {
		case len(c.k) == 0:
			productInto(c, a, b, out)
			return out, nil
		case len(c.m) == 0 && len(c.n) == 0, shortMatvec(c, a, b):
			dotInto(c, a, b, out)
			return out, nil
		}
	}
	pl := planContract(c, a, b, out)
	switch {
	case pl.nothing:
		return out, nil
	case pl.zero:
		zeroFill(out)
		return out, nil
	}
	target := out
	var scratch []*storage
	defer func() {
		for _, st := range scratch {
			x.release(st)
		}
	}()
	if !pl.direct {
		target = newArr(out.dt, pl.tShape, out.st)
	}
	oa, ob := pl.oa, pl.ob
	if pl.copyA {
		var st *storage
		oa, st = copyOperand(x, a, c.la, pl.batch, pl.cm, pl.bestK, pl.swap)
		scratch = append(scratch, st)
	}
	if pl.copyB {
		var st *storage
		ob, st = copyOperand(x, b, c.lb, pl.batch, pl.bestK, pl.cn, pl.swap)
		scratch = append(scratch, st)
	}
	if err := runGemms(x, pl, &oa, &ob, target); err != nil {
		return nil, err
	}
	return contractResult(c, pl, target), nil
}

// contractResult is the result of plan pl written to target: target itself
// when the plan is direct, else target (the GEMM's block) viewed in the
// result's label order.
func contractResult(c *contraction, pl *gemmPlan, target *arr) *arr {
	if pl.direct {
		return target
	}
	if !slices.Equal(target.shape, pl.tShape) {
		target = target.view(slices.Clone(pl.tShape), contiguousStrides(pl.tShape), 0)
	}
	perm := make([]int, len(c.lo))
	for i, l := range c.lo {
		perm[i] = slices.Index(pl.tLabels, l)
	}
	return target.permuted(perm)
}

// runGemms runs one GEMM per loop index into target.
func runGemms(x *execState, pl *gemmPlan, oa, ob *gemmOperand, target *arr) error {
	cbstr := make([]int, len(pl.batch))
	for i, l := range pl.batch {
		cbstr[i] = target.strides[slices.Index(pl.tLabels, l)]
	}
	M, N, K := pl.M, pl.N, pl.K
	var ldc int
	if pl.swap {
		ldc = collapse(pl.cn, pl.tLabels, target.shape, target.strides).stride
		if N <= 1 {
			ldc = max(1, M)
		}
	} else {
		ldc = collapse(pl.cm, pl.tLabels, target.shape, target.strides).stride
		if M <= 1 {
			ldc = max(1, N)
		}
	}
	bsz := make([]int, len(pl.batch))
	for i, l := range pl.batch {
		bsz[i] = pl.size[l]
	}
	// offsets is where loop index bi's operands and result start.
	offsets := func(bi int, idx []int) (ao, bo, co int) {
		r := bi
		for i := len(bsz) - 1; i >= 0; i-- {
			idx[i] = r % bsz[i]
			r /= bsz[i]
		}
		ao, bo, co = oa.a.off, ob.a.off, target.off
		for i := range idx {
			ao += idx[i] * oa.bstr[i]
			bo += idx[i] * ob.bstr[i]
			co += idx[i] * cbstr[i]
		}
		return ao, bo, co
	}
	small := pl.smallLoop()
	if small && batchable(x, target.dt) {
		// One batched call per chunk, in pieces of at most batchFLOPs.
		per := max(1, batchFLOPs/(2*M*N*max(K, 1)))
		parFor(pl.NB, 2*M*N*K/64, func(lo, hi int) {
			idx := make([]int, len(bsz))
			offs := make([]int, 3*min(per, hi-lo))
			for p0 := lo; p0 < hi && !x.canceled(); p0 += per {
				n := min(per, hi-p0)
				aOffs, bOffs, cOffs := offs[:n], offs[n:2*n], offs[2*n:3*n]
				for i := range n {
					aOffs[i], bOffs[i], cOffs[i] = offsets(p0+i, idx)
				}
				if pl.swap {
					gemmBatch(x, transposed(*ob), bOffs, transposed(*oa), aOffs, target, cOffs, N, M, ldc)
				} else {
					gemmBatch(x, oa, aOffs, ob, bOffs, target, cOffs, M, N, ldc)
				}
			}
		})
		if x.canceled() {
			return x.ctx.Err()
		}
		return nil
	}
	run := func(lo, hi int) {
		idx := make([]int, len(bsz))
		for bi := lo; bi < hi && !x.canceled(); bi++ {
			ao, bo, co := offsets(bi, idx)
			if pl.swap {
				// Cᵀ = Bᵀ·Aᵀ: b read as N×K, a as K×M.
				l, r := transposed(*ob), transposed(*oa)
				gemmRows(x, l, bo, r, ao, target, co, N, M, K, ldc)
			} else {
				gemmRows(x, oa, ao, ob, bo, target, co, M, N, K, ldc)
			}
		}
	}
	// Small GEMMs run side by side; large ones use the BLAS's own parallelism.
	if small {
		parFor(pl.NB, 2*M*N*K/64, run)
	} else {
		run(0, pl.NB)
	}
	if x.canceled() {
		return x.ctx.Err()
	}
	return nil
}

// smallLoop reports whether the plan is a loop of small GEMMs, which run
// side by side (parFor) and, on a BLAS that has one, as batched calls;
// larger ones run one at a time on the BLAS's own parallelism.
func (pl *gemmPlan) smallLoop() bool { return pl.NB > 1 && pl.M*pl.N*pl.K < 96*96*96 }

// Batching choices that tests force (forcedBatch).
const (
	batchAuto = iota // batched calls where the BLAS has them
	batchOff         // one GEMM call per loop index
)

// forcedBatch is batchAuto except in tests, which compare both paths.
var forcedBatch = batchAuto

// batchFLOPs bounds the work of one batched call, so that a canceled run
// stops within a few milliseconds (a loop of small GEMMs on one goroutine
// is one chunk).
const batchFLOPs = 1 << 26

// batchable reports whether x's BLAS for dt runs batches of GEMMs in one
// call (blas.BatchedFloat32, BatchedFloat64).
func batchable(x *execState, dt tensor.DType) bool {
	if forcedBatch == batchOff {
		return false
	}
	if dt == tensor.Float64 {
		_, ok := x.blas.F64.(cblas.BatchedFloat64)
		return ok
	}
	_, ok := x.blas.F32.(cblas.BatchedFloat32)
	return ok
}

// batchHook, when set (tests), sees the entry count of every batched call.
var batchHook func(entries int)

// gemmBatch runs, for each i, C[rows×cols] (row stride ldc, at coffs[i] in
// target) = L·R with L at loffs[i] and R at roffs[i], in one batched call
// on x's BLAS (batchable): bit for bit gemmCall's results, entry by entry.
func gemmBatch(x *execState, l *gemmOperand, loffs []int, r *gemmOperand, roffs []int, target *arr, coffs []int, rows, cols, ldc int) {
	if batchHook != nil {
		batchHook(len(coffs))
	}
	if gemmHook != nil {
		for range coffs {
			gemmHook(l.trans, r.trans)
		}
	}
	k := l.cols
	if target.dt == tensor.Float64 {
		x.blas.F64.(cblas.BatchedFloat64).DgemmBatched(l.blasTrans(), r.blasTrans(), rows, cols, k, 1,
			l.a.f64, l.ld, loffs, r.a.f64, r.ld, roffs, 0, target.f64, ldc, coffs)
		return
	}
	x.blas.F32.(cblas.BatchedFloat32).SgemmBatched(l.blasTrans(), r.blasTrans(), rows, cols, k, 1,
		l.a.f32, l.ld, loffs, r.a.f32, r.ld, roffs, 0, target.f32, ldc, coffs)
}

// gemmBlockFLOPs bounds the work of one GEMM call, so that a canceled run
// stops within tens of milliseconds even inside one large product.
var gemmBlockFLOPs = 1 << 32

// gemmRows runs C = L·R (rows×cols, inner dimension k) as GEMMs over blocks,
// checking for cancellation between blocks. Every block repacks the operand
// it does not split, so the split is along whichever side keeps that copy
// small: rows when L is the bigger operand, columns when R is (an
// unembedding's 768×50257 R would otherwise be repacked for every row block).
func gemmRows(x *execState, l *gemmOperand, loff int, r *gemmOperand, roff int, target *arr, coff, rows, cols, k, ldc int) {
	total := 2 * rows * cols * max(k, 1)
	if total <= gemmBlockFLOPs {
		gemmCall(x, l, loff, r, roff, target, coff, rows, cols, ldc)
		return
	}
	if cols > rows {
		block := max(256, gemmBlockFLOPs/(2*rows*max(k, 1)))
		step := 1 // a row-major R's next column, or a row of its stored transpose
		if r.trans {
			step = r.ld
		}
		for lo := 0; lo < cols && !x.canceled(); lo += block {
			n := min(block, cols-lo)
			sub := *r
			sub.cols = n
			gemmCall(x, l, loff, &sub, roff+lo*step, target, coff+lo, rows, n, ldc)
		}
		return
	}
	block := max(256, gemmBlockFLOPs/(2*cols*max(k, 1)))
	for lo := 0; lo < rows && !x.canceled(); lo += block {
		n := min(block, rows-lo)
		sub := *l
		sub.rows = n
		step := l.ld // a row-major row, or a column of the stored transpose
		if l.trans {
			step = 1
		}
		gemmCall(x, &sub, loff+lo*step, r, roff, target, coff+lo*ldc, n, cols, ldc)
	}
}

// Layout choices that tests force (forcedLayout); the default compares
// costs.
const (
	layoutByCost = iota
	layoutPreferLoop
	layoutPreferBlock
)

// forcedLayout is layoutByCost except in tests, which force each path.
var forcedLayout = layoutByCost

// The cost model of one GEMM call, in nanoseconds: a fixed cost per call,
// packing per operand element, the C tile per result element, and the
// multiply-adds at the kernel's rate. Fitted by hand to blas/simd's
// AVX-512 float32 kernels on one thread (an 8×16×64 call about 450 ns,
// 8×8×16 about 110, large products about 170 GFLOP/s; BenchmarkSmallGemm
// and BenchmarkScrubShapes there); BenchmarkGemmLayouts checks the choices
// it makes. Only its comparisons matter, between layouts of one
// contraction. A loop of small GEMMs (smallLoop) runs as batched calls on
// simd, which pay the call's set-up once per batch: its entries cost
// gemmBatchedCallNs fixed instead of gemmCallNs (BenchmarkBatched in
// blas/simd, one thread: 8×8×16 entries 142 -> 90 ns, 8×16×8 96 -> 60;
// BenchmarkAttentionProducts here, output included: 186 -> 123 ns). Other
// backends loop and pay gemmCallNs; the plan does not depend on the backend
// (the schedule's memory estimate plans without one), so there the model
// favours loops by that difference, which decides only close calls.
const (
	gemmCallNs        = 100
	gemmBatchedCallNs = 45
	gemmPackNs        = 0.15
	gemmResultNs      = 0.1
	gemmMaddPerNs     = 80
	// copyNs is the cost per element of a permuting copy of an operand.
	copyNs = 1.0
)

// layoutCost estimates the time of the plan: its GEMM calls and its
// copies. A forced preference makes the preferred kind of layout win.
func (pl *gemmPlan) layoutCost(force int) float64 {
	m, n, k := float64(pl.M), float64(pl.N), float64(pl.K)
	fixed := gemmCallNs
	if pl.smallLoop() {
		fixed = gemmBatchedCallNs
	}
	call := float64(fixed) + gemmPackNs*(m*k+k*n) + gemmResultNs*m*n + m*n*k/gemmMaddPerNs
	cost := float64(pl.NB)*call + copyNs*float64(pl.copyElems)
	switch {
	case force == layoutPreferLoop && !pl.direct, force == layoutPreferBlock && pl.direct:
		cost += 1e30
	}
	return cost
}

// outLayout reports whether the result can be written in place: the M and
// N groups each collapse in out and one of them is innermost (swap: N
// rows, the result computed as Cᵀ = Bᵀ·Aᵀ).
func outLayout(m, n, lo []int, out *arr) (swap, ok bool) {
	mg := collapse(m, lo, out.shape, out.strides)
	ng := collapse(n, lo, out.shape, out.strides)
	if !mg.ok || !ng.ok {
		return false, false
	}
	M, N := mg.size, ng.size
	switch {
	case ng.stride == 1 || N == 1:
		ldc := mg.stride
		if M <= 1 {
			ldc = max(1, N)
		}
		return false, ldc >= max(1, N)
	case mg.stride == 1 || M == 1:
		ldc := ng.stride
		if N <= 1 {
			ldc = max(1, M)
		}
		return true, ldc >= max(1, M)
	}
	return false, false
}

// transposed is the same stored matrix read as its transpose.
func transposed(o gemmOperand) *gemmOperand {
	t := o
	t.rows, t.cols = o.cols, o.rows
	t.trans = !o.trans
	return &t
}

// gemmHook, when set (tests), sees every GEMM's transpose flags.
var gemmHook func(transA, transB bool)

// gemmCall runs C[rows×cols] (row stride ldc, at coff in target) = L·R.
// It calls x's BLAS directly (as blas32.Gemm would call gonum's global).
func gemmCall(x *execState, l *gemmOperand, loff int, r *gemmOperand, roff int, target *arr, coff, rows, cols, ldc int) {
	if gemmHook != nil {
		gemmHook(l.trans, r.trans)
	}
	_, _, ln := l.stored()
	_, _, rn := r.stored()
	cn := (rows-1)*ldc + cols
	k := l.cols
	if target.dt == tensor.Float64 {
		x.blas.F64.Dgemm(l.blasTrans(), r.blasTrans(), rows, cols, k, 1,
			l.a.f64[loff:loff+ln], l.ld, r.a.f64[roff:roff+rn], r.ld,
			0, target.f64[coff:coff+cn], ldc)
		return
	}
	x.blas.F32.Sgemm(l.blasTrans(), r.blasTrans(), rows, cols, k, 1,
		l.a.f32[loff:loff+ln], l.ld, r.a.f32[roff:roff+rn], r.ld,
		0, target.f32[coff:coff+cn], ldc)
}
