package runtime

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/circopt/circopt/blas"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/ir/interp"
	"github.com/circopt/circopt/tensor"
)

// Fast is the optimized executor and the default behind Run.
//
//   - Binary einsums run as (batched) GEMM on the BLAS field's backend
//     (else blas.ForRun's), called directly (see gemm.go for the layout
//     rules).
//   - Independent values run concurrently: a scheduler keeps up to Workers
//     values in flight, choosing among the ready ones in priority order (the
//     program order, or Order); values too small to be worth a goroutine
//     (small) run on the scheduling goroutine. Large elementwise, reduce,
//     gather and copy kernels additionally split their rows across
//     GOMAXPROCS goroutines (parFor).
//   - Views (permute, broadcast, slice, select, reshape of contiguous data)
//     never copy. A GEMM's result may be a permuted view of its block, and
//     an elementwise result is stored in its operands' order when they
//     agree on one (layout.go); a value an output or a reshape reads stays
//     in C order. Every value's storage is reference-counted and released
//     after its last reader finishes; released buffers are reused for later
//     values of the same element count, and by later runs, up to the
//     largest set of buffers one run took (FreeBuffers drops them).
//   - Memory: before running, the executor predicts the peak of a
//     sequential run in priority order (PredictPeak). With MaxMemory set it
//     reorders to fit (PlanSchedule) or refuses before running; while running
//     it starts a value only if the live bytes plus its result fit the budget
//     (MaxMemory, or 1.1× the prediction), unless nothing else is running.
//     Stats.PeakBytes is the measured peak of live storage: inputs,
//     constants, results and kernel scratch, each allocation counted once
//     however many views share it.
//   - Only values the outputs depend on run (dead values are skipped).
//   - Elementwise fusion: regions of elementwise values of one shape run
//     as one kernel streaming cache-sized blocks (fuse.go, fusekernel.go);
//     their intermediates are never materialized, and the schedule, the
//     peak prediction and Stats see one value (op "fused", the region's
//     root id, FLOPs summed) per region.
type Fast struct {
	// Workers bounds the values in flight at once (0: GOMAXPROCS).
	Workers int
	// MaxMemory bounds the predicted and scheduled peak bytes (0: none).
	MaxMemory int64
	// Order optionally gives the priority order as value ids (a Schedule's
	// Order); values not listed run right before their first listed
	// reader, or after the listed ones in program order.
	Order []int
	// BLAS is the backend GEMMs call directly (zero: blas.ForRun's).
	BLAS blas.Backend
	// NoFusion runs every elementwise value as its own kernel instead of
	// fusing regions of them (fuse.go); for comparisons. With an Order from
	// PlanSchedule (which fuses), the values it does not list run right
	// before their first listed reader.
	NoFusion bool
}

// Run implements Executor.
func (f Fast) Run(p *ir.Program, inputs map[string]*tensor.Tensor, dt tensor.DType) (map[string]*tensor.Tensor, *Stats, error) {
	return f.RunContext(context.Background(), p, inputs, dt)
}

// RunContext implements ContextExecutor: ctx is checked before each value
// starts and inside GEMMs between blocks of rows or columns.
func (f Fast) RunContext(ctx context.Context, p *ir.Program, inputs map[string]*tensor.Tensor, dt tensor.DType) (map[string]*tensor.Tensor, *Stats, error) {
	if p == nil {
		return nil, nil, fmt.Errorf("runtime: nil program")
	}
	if !dt.IsFloat() {
		return nil, nil, fmt.Errorf("runtime: run dtype must be float32 or float64, got %v", dt)
	}
	start := time.Now()
	b, err := backendFor(f.BLAS)
	if err != nil {
		return nil, nil, fmt.Errorf("runtime: %w", err)
	}
	sch, err := prepared(p, dt, f.MaxMemory, f.Order, !f.NoFusion)
	if err != nil {
		return nil, nil, err
	}
	budget := f.MaxMemory
	if budget <= 0 {
		budget = sch.PeakBytes + sch.PeakBytes/10
	}
	nw := f.Workers
	if nw <= 0 {
		nw = workers()
	}
	r := &fastRun{p: sch.prog, dt: dt, inputs: inputs, x: newExecState(ctx, b), sch: sch, budget: budget, workers: nw}
	out, stats, err := r.run()
	r.x.donate()
	if err != nil {
		return nil, nil, err
	}
	stats.Elapsed = time.Since(start)
	return out, stats, nil
}

// fastRun is one execution's scheduler state; only the scheduling goroutine
// touches it (workers get their operands at dispatch and report back on a
// channel).
type fastRun struct {
	p       *ir.Program
	dt      tensor.DType
	inputs  map[string]*tensor.Tensor
	x       *execState
	sch     *Schedule
	budget  int64
	workers int

	env       map[int]*arr
	remaining map[int]int // operand slots and outputs still to read each value
	pending   map[int]int // operands not yet computed
	prio      map[int]int // id -> priority rank
	users     map[int][]int
	stats     []ValueStat
	source    map[int]bool
	arenas    map[int]*storage // in-place concats' buffers, by concat id, once taken
}

// isSource reports values with no operands that bind or fill storage.
func isSource(v *ir.Value) bool {
	return v.Op == ir.OpInput || v.Op == ir.OpConst || v.Op == ir.OpScalar
}

// scratchOf estimates v's kernel scratch with the schedule's dry run on
// the operands as they are laid out now (sources not bound yet as they
// will be: inputs and constants contiguous, fills broadcast).
func (r *fastRun) scratchOf(v *ir.Value) int64 {
	if v.Op != ir.OpEinsum && v.Op != ir.OpSum {
		return 0
	}
	sim := &simulation{p: r.p, dt: r.dt}
	env := map[int]*arr{}
	for _, o := range v.Operands {
		if a, ok := r.env[o]; ok {
			env[o] = a
		} else {
			env[o], _ = sim.step(r.p.Value(o), nil, nil)
		}
	}
	return sim.scratch(v, env, shapeOnly(v.Shape()))
}

// sourceBytes is what materialising v's unbound source operands adds.
func (r *fastRun) sourceBytes(v *ir.Value) int64 {
	var n int64
	for i, o := range v.Operands {
		if r.source[o] && !slices.Contains(v.Operands[:i], o) {
			if _, ok := r.env[o]; !ok {
				ov := r.p.Value(o)
				if ov.Op == ir.OpScalar {
					n += int64(valueDType(ov, r.dt).Size())
				} else {
					n += valueBytes(ov, r.dt)
				}
			}
		}
	}
	return n
}

// cost is what starting v adds to the live bytes, now or (its kernel's
// scratch, a copying reshape's result) while it runs, and the scratch part.
// A value run alone skips the scratch dry run: no admission check reads it.
func (r *fastRun) cost(v *ir.Value, alone bool) (need, scratch int64) {
	need = r.sourceBytes(v)
	if inline(v) {
		return need, 0
	}
	if !alone {
		scratch = r.scratchOf(v)
	}
	switch sl, piece := r.sch.arena[v.ID]; {
	case !allocates(v): // a reshape allocates in its kernel, if it copies
		scratch += valueBytes(v, r.dt)
	case piece: // the first piece takes the whole arena (arena.go)
		if r.arenas[sl.concat] == nil {
			need += valueBytes(r.p.Value(sl.concat), r.dt)
		}
	case !r.sch.arenaConcat[v.ID]:
		need += valueBytes(v, r.dt)
	}
	return need + scratch, scratch
}

// materialize binds v's source operands that are not bound yet.
func (r *fastRun) materialize(v *ir.Value) error {
	for _, o := range v.Operands {
		if !r.source[o] {
			continue
		}
		if _, ok := r.env[o]; ok {
			continue
		}
		ov := r.p.Value(o)
		t0 := time.Now()
		a, err := r.runInline(ov)
		if err != nil {
			return err
		}
		r.env[o] = a
		r.stats = append(r.stats, ValueStat{ID: o, Op: ov.Op, Time: time.Since(t0), Bytes: int64(a.size()) * int64(a.dt.Size())})
	}
	return nil
}

type completion struct {
	v       *ir.Value
	res     *arr
	err     error
	dur     time.Duration
	extra   *storage // the preallocated buffer, when a kernel did not use it
	scratch int64    // the scratch estimate admitted with it
}

// dispatch is the state of one run's scheduling loop: what has started,
// what runs, and the memory admitted ahead of the frontier (the first value
// in priority order not yet started).
type dispatch struct {
	ids        []int // live values in priority order
	ready      *prioHeap
	started    map[int]bool
	front      int     // rank of the frontier
	aheadOf    []int64 // bytes admitted ahead of the frontier, by rank
	aheadBytes int64
	done       chan completion
	running    int
	inflight   int64 // scratch estimates of the kernels in flight
	finished   int
	err        error // the first error; nothing new starts after it
}

// run schedules every value: start what fits (startReady), wait for one
// kernel (collect), until all are done; after an error the kernels in
// flight finish before it is returned.
func (r *fastRun) run() (map[string]*tensor.Tensor, *Stats, error) {
	d := r.newDispatch()
	for d.finished < len(d.ids) {
		if d.err == nil && r.x.canceled() {
			d.err = fmt.Errorf("runtime: %w", r.x.ctx.Err())
		}
		r.startReady(d)
		if d.running == 0 {
			if d.err != nil {
				break
			}
			if d.finished < len(d.ids) && d.ready.Len() == 0 {
				return nil, nil, fmt.Errorf("runtime: internal: scheduler stalled with %d of %d values done", d.finished, len(d.ids))
			}
			continue
		}
		r.collect(d, <-d.done)
	}
	for ; d.running > 0; d.running-- { // after an error: let in-flight kernels finish
		<-d.done
	}
	if d.err != nil {
		return nil, nil, d.err
	}
	out, err := r.outputs()
	if err != nil {
		return nil, nil, err
	}
	return out, r.runStats(), nil
}

// newDispatch indexes the program and queues the values whose operands are
// all sources; sources count as started and finished (materialised on demand).
func (r *fastRun) newDispatch() *dispatch {
	ids := r.sch.Order
	r.index()
	d := &dispatch{ids: ids, ready: &prioHeap{prio: r.prio}, started: make(map[int]bool, len(ids)),
		aheadOf: make([]int64, len(ids)), done: make(chan completion, len(ids))}
	for _, id := range ids {
		if r.source[id] {
			d.finished++
			d.started[id] = true
			continue
		}
		if r.pending[id] == 0 {
			heap.Push(d.ready, id)
		}
	}
	return d
}

// startReady starts ready values in priority order while workers are free
// and their memory fits; a value that must run alone runs on this goroutine.
func (r *fastRun) startReady(d *dispatch) {
	for d.err == nil && d.ready.Len() > 0 && d.running < r.workers {
		id := d.ready.ids[0]
		v := r.p.Value(id)
		// A value with nothing running and nothing else ready runs on
		// this goroutine right away (below) and is then the frontier.
		alone := d.running == 0 && d.ready.Len() == 1
		need, scratch := r.cost(v, alone)
		if !r.admit(d, id, need) {
			return // wait for memory to come back
		}
		d.started[id] = true
		if err := r.materialize(v); err != nil {
			heap.Pop(d.ready)
			d.err = fmt.Errorf("runtime: %w", err)
			return
		}
		heap.Pop(d.ready)
		if inline(v) {
			t0 := time.Now()
			res, err := r.runInline(v)
			d.finished++
			if err != nil {
				d.err = fmt.Errorf("runtime: %w", err)
				return
			}
			r.finish(completion{v: v, res: res, dur: time.Since(t0)}, d.ready)
			continue
		}
		work := r.launch(d, v, scratch)
		if alone || r.small(v) {
			// Nothing could run beside it (a chain), or it is done sooner
			// than another goroutine would wake to run it: skip the
			// goroutine hand-off. Its kernels still split rows.
			work()
			return
		}
		go work()
	}
}

// Values at most this big run on the scheduling goroutine (small): their
// kernels take microseconds, less than waking an idle core for a goroutine
// (about 100 µs on the 2-vCPU VM this project is measured on), so handing
// them off slowed small plans on two cores below one (day 4a's scrub of
// 10,000 [10000]-element values: 0.42 against 0.28 ms).
const (
	smallValueElems = 1 << 14
	smallValueFLOPs = 1 << 18
)

// small reports a value cheap enough to run without a goroutine hand-off.
func (r *fastRun) small(v *ir.Value) bool {
	if v.Type.NumElements() > smallValueElems {
		return false
	}
	if k := r.sch.fused[v.ID]; k != nil && v.Op == opFused {
		return k.flops <= smallValueFLOPs
	}
	return ir.FLOPsOf(r.p, v) <= smallValueFLOPs
}

// admit decides whether value id, needing need bytes, may start now: the
// live bytes plus the in-flight kernels' scratch (they may not have
// allocated it yet) must fit the budget, and a value ahead of the frontier
// must also leave room for the predicted live totals from the frontier on.
// With nothing running, the value always starts (the schedule admitted it).
func (r *fastRun) admit(d *dispatch, id int, need int64) bool {
	for d.front < len(d.ids) && d.started[d.ids[d.front]] {
		d.front++
		d.aheadBytes -= d.aheadOf[d.front-1]
	}
	fits := r.liveBytes()+d.inflight+need <= r.budget
	isAhead := d.front < len(d.ids) && d.ids[d.front] != id
	if isAhead {
		fits = fits && r.sch.ahead[d.front]+d.aheadBytes+need <= r.budget
	}
	if d.running > 0 && !fits {
		return false
	}
	if isAhead {
		d.aheadOf[r.prio[id]] = need
		d.aheadBytes += need
	}
	return true
}

// launch prepares v's kernel (operands, output buffer) and returns the work
// that computes it and reports on d.done.
func (r *fastRun) launch(d *dispatch, v *ir.Value, scratch int64) func() {
	args := make([]*arr, len(v.Operands))
	for i, o := range v.Operands {
		args[i] = r.env[o]
	}
	var outSt, arena *storage
	sl, piece := r.sch.arena[v.ID]
	switch {
	case !allocates(v):
	case piece:
		outSt = r.arenaPiece(v, sl)
		arena = r.arenas[sl.concat]
	case r.sch.arenaConcat[v.ID]:
		outSt = r.arenas[v.ID] // its pieces are written in it
	default:
		outSt = r.x.alloc(valueDType(v, r.dt), int(v.Type.NumElements()))
	}
	d.running++
	d.inflight += scratch
	return func() {
		t0 := time.Now()
		res, extra, err := r.compute(v, args, outSt)
		if piece && err == nil {
			res, extra = r.placePiece(v, res, outSt, arena)
		}
		d.done <- completion{v: v, res: res, err: err, dur: time.Since(t0), extra: extra, scratch: scratch}
	}
}

// collect accounts for one finished kernel: its scratch and spare buffer
// come back, and its result releases its users (unless the run failed).
func (r *fastRun) collect(d *dispatch, c completion) {
	d.running--
	d.inflight -= c.scratch
	d.finished++
	if c.extra != nil {
		r.x.release(c.extra)
	}
	if c.err != nil {
		if d.err == nil {
			d.err = fmt.Errorf("runtime: %v: %w", c.v, c.err)
		}
		return
	}
	if d.err == nil {
		r.finish(c, d.ready)
	}
}

// index sets the scheduler's maps: priority ranks, users of each value and
// which values are sources, shared read-only by every run of the schedule,
// and this run's own counts of readers left and operands pending per value.
func (r *fastRun) index() {
	ix := r.sch.runIndex()
	r.prio, r.users, r.source = ix.prio, ix.users, ix.source
	r.env = make(map[int]*arr, len(r.sch.Order))
	r.remaining = maps.Clone(ix.remaining)
	r.pending = maps.Clone(ix.pending)
}

// runIndex is what a run's scheduler derives from the schedule alone.
type runIndex struct {
	prio               map[int]int // id -> priority rank
	users              map[int][]int
	source             map[int]bool
	remaining, pending map[int]int // at the start of a run
}

// runIndex is s's runIndex, built by the first run that asks for it.
func (s *Schedule) runIndex() *runIndex {
	if ix := s.index.Load(); ix != nil {
		return ix
	}
	p := s.prog
	ids := s.Order
	ix := &runIndex{prio: make(map[int]int, len(ids)), users: make(map[int][]int, len(ids)),
		source: make(map[int]bool, len(ids)), remaining: make(map[int]int, len(ids)), pending: make(map[int]int, len(ids))}
	for i, id := range ids {
		ix.prio[id] = i
	}
	// Sources (inputs, constants, fills) are materialised lazily, right
	// before their first reader starts, so they occupy memory no earlier
	// than a sequential run would hold them; they never gate readiness.
	for _, id := range ids {
		ix.source[id] = isSource(p.Value(id))
	}
	for _, id := range ids {
		v := p.Value(id)
		seen := map[int]bool{}
		for _, o := range v.Operands {
			ix.remaining[o]++
			if !seen[o] && !ix.source[o] {
				seen[o] = true
				ix.pending[id]++
				ix.users[o] = append(ix.users[o], id)
			}
		}
	}
	for _, o := range p.Outputs {
		ix.remaining[o.ID] += 1 << 30 // outputs are never released
	}
	s.index.Store(ix)
	return ix
}

// outputs returns the outputs as contiguous tensors.
func (r *fastRun) outputs() (map[string]*tensor.Tensor, error) {
	p := r.p
	out := make(map[string]*tensor.Tensor, len(p.Outputs))
	for _, o := range p.Outputs {
		if r.source[o.ID] { // an input or constant returned as it is
			if err := r.materialize(&ir.Value{Operands: []int{o.ID}}); err != nil {
				return nil, fmt.Errorf("runtime: %w", err)
			}
		}
		a, ok := r.env[o.ID]
		if !ok {
			return nil, fmt.Errorf("runtime: output %q: value %%%d was not computed", o.Name, o.ID)
		}
		t, err := a.toTensor()
		if err != nil {
			return nil, fmt.Errorf("runtime: output %q: %w", o.Name, err)
		}
		out[o.Name] = t
	}
	return out, nil
}

// runStats gathers the per-value stats and the memory counts.
func (r *fastRun) runStats() *Stats {
	p := r.p
	stats := &Stats{Values: r.stats}
	slices.SortFunc(stats.Values, func(a, b ValueStat) int { return p.Position(a.ID) - p.Position(b.ID) })
	for _, s := range stats.Values {
		stats.TotalFLOPs += s.FLOPs
	}
	r.x.mu.Lock()
	stats.PeakBytes = r.x.peak
	stats.AllocatedBytes = r.x.allocated
	stats.ReusedBytes = r.x.reused
	r.x.mu.Unlock()
	stats.PredictedPeakBytes = r.sch.PeakBytes
	stats.Workers = r.workers
	return stats
}

func (r *fastRun) liveBytes() int64 {
	r.x.mu.Lock()
	defer r.x.mu.Unlock()
	return r.x.live
}

// finish records a computed value, releases operands read for the last
// time and readies the users whose operands are all there.
func (r *fastRun) finish(c completion, ready *prioHeap) {
	v := c.v
	r.env[v.ID] = c.res
	fl, ok := r.sch.flops[v.ID]
	if !ok {
		fl = ir.FLOPsOf(r.p, v)
	}
	r.stats = append(r.stats, ValueStat{ID: v.ID, Op: v.Op, Time: c.dur, FLOPs: fl, Bytes: int64(c.res.size()) * int64(c.res.dt.Size())})
	for _, o := range v.Operands {
		r.remaining[o]--
		if r.remaining[o] == 0 {
			r.x.release(r.env[o].st)
			delete(r.env, o)
		}
	}
	if r.remaining[v.ID] == 0 { // unused and not an output (cannot happen for live values)
		r.x.release(c.res.st)
		delete(r.env, v.ID)
	}
	for _, u := range r.users[v.ID] {
		r.pending[u]--
		if r.pending[u] == 0 {
			heap.Push(ready, u)
		}
	}
}

// inline reports ops cheap enough to run on the scheduling goroutine:
// bindings, fills and views.
func inline(v *ir.Value) bool {
	switch v.Op {
	case ir.OpInput, ir.OpConst, ir.OpScalar, ir.OpLastDimSize, ir.OpPermute, ir.OpBroadcast, ir.OpSlice, ir.OpSelect:
		return true
	}
	return false
}

// allocates reports ops whose result gets a fresh executor buffer.
func allocates(v *ir.Value) bool { return !inline(v) && v.Op != ir.OpReshape }

// valueBytes is v's result size in the run dtype.
func valueBytes(v *ir.Value, dt tensor.DType) int64 {
	return v.Type.NumElements() * int64(valueDType(v, dt).Size())
}

func (r *fastRun) runInline(v *ir.Value) (*arr, error) {
	args := make([]*arr, len(v.Operands))
	for i, o := range v.Operands {
		args[i] = r.env[o]
	}
	switch v.Op {
	case ir.OpInput:
		t, err := bindInput(v, r.inputs, r.dt)
		if err != nil {
			return nil, err
		}
		a := fromTensor(t)
		a.st = r.x.external(t.Bytes(), false)
		return a, nil
	case ir.OpConst:
		c := r.p.Consts[v.Attrs.String("hash")]
		if c == nil {
			return nil, fmt.Errorf("%v: constant is not in the constant table", v)
		}
		if want := valueDType(v, r.dt); c.DType() != want {
			c = c.Cast(want)
		}
		a := fromTensor(c)
		a.st = r.x.external(c.Bytes(), false)
		return a, nil
	case ir.OpScalar, ir.OpLastDimSize:
		val := v.Attrs.Float("value")
		if v.Op == ir.OpLastDimSize {
			val = float64(args[0].shape[len(args[0].shape)-1])
		}
		dt := valueDType(v, r.dt)
		st := r.x.alloc(dt, 1)
		one := newArr(dt, nil, st)
		setAt(one, 0, val)
		return one.broadcastTo(v.Shape()), nil
	}
	a := args[0]
	var res *arr
	switch v.Op {
	case ir.OpPermute:
		res = a.permuted(v.Attrs.Ints("perm"))
	case ir.OpBroadcast:
		res = a.broadcastTo(v.Shape())
	case ir.OpSlice:
		res = a
		starts, stops := v.Attrs.Ints("starts"), v.Attrs.Ints("stops")
		for ax := range starts {
			if starts[ax] != 0 || stops[ax] != a.shape[ax] {
				res = sliceView(res, ax, starts[ax], stops[ax])
			}
		}
	case ir.OpSelect:
		axis, i := v.Attrs.Int("axis"), v.Attrs.Int("index")
		if i < 0 {
			i += a.shape[axis]
		}
		res = selectView(a, axis, i)
	}
	r.x.retain(a.st)
	return res, nil
}

// compute runs a non-inline value on a worker goroutine. outSt is the
// preallocated result buffer (nil for reshape); extra returns it when the
// kernel produced its result elsewhere.
func (r *fastRun) compute(v *ir.Value, args []*arr, outSt *storage) (res *arr, extra *storage, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, extra, err = nil, outSt, fmt.Errorf("kernel panic: %v", p)
		}
	}()
	dt := valueDType(v, r.dt)
	if r.sch.arenaConcat[v.ID] {
		return newArr(dt, v.Shape(), outSt), nil, nil // the pieces wrote it
	}
	if k := r.sch.fused[v.ID]; k != nil && v.Op == opFused {
		out := newArr(dt, v.Shape(), outSt)
		if r.sch.anyLayout[v.ID] {
			if order := k.regionLayout(args); order != nil {
				out = denseIn(out, order)
			}
		}
		k.run(args, out)
		return out, nil, nil
	}
	if v.Op == ir.OpReshape {
		if view := args[0].reshapeView(v.Shape()); view != nil {
			r.x.retain(args[0].st)
			return view, nil, nil
		}
		// Not contiguous: copy in C order once, then view at the new shape.
		st := r.x.alloc(dt, int(v.Type.NumElements()))
		tmp := newArr(dt, args[0].shape, st)
		copyInto(tmp, args[0])
		return tmp.view(slices.Clone(v.Shape()), contiguousStrides(v.Shape()), 0), nil, nil
	}
	out := newArr(dt, v.Shape(), outSt)
	if dt.IsFloat() {
		if v.Op == ir.OpEinsum && len(args) == 2 {
			if c, ok := classifyEinsum(v.Attrs.String("spec")); ok {
				res, err := contract(r.x, c, args[0], args[1], out)
				if err != nil {
					return nil, outSt, err
				}
				return res, nil, nil
			}
		} else if axes, ok := summedAxes(v); ok && args[0].dt == dt {
			sumAxes(r.x, args[0], axes, out)
			return out, nil, nil
		} else if u, ok := planUnaryEinsum(v); ok && args[0].dt == dt {
			runUnaryEinsum(r.x, u, args[0], out)
			return out, nil, nil
		} else if k, ok := fastKernels[v.Op]; ok {
			if r.sch.anyLayout[v.ID] && elementwise(v.Op) {
				if order := elementwiseLayout(v, args); order != nil {
					return r.computePermuted(k, v, args, denseIn(out, order), order)
				}
			}
			err := k(r.x, v, args, out)
			if err == nil {
				return out, nil, nil
			}
			if !errors.Is(err, errNoFastKernel) {
				return nil, outSt, err
			}
		}
	} else if v.Op == ir.OpGather || v.Op == ir.OpConcat || v.Op == ir.OpScatter {
		if err := fastKernels[v.Op](r.x, v, args, out); err != nil {
			return nil, outSt, err
		}
		return out, nil, nil
	}
	// The reference kernel, on tensors wrapping the operands.
	if referenceHook != nil {
		referenceHook(v)
	}
	ts := make([]*tensor.Tensor, len(args))
	for i, a := range args {
		t, err := a.toTensor()
		if err != nil {
			return nil, outSt, err
		}
		ts[i] = t
	}
	t, err := interp.EvalValue(r.p, v, ts, r.dt)
	if err != nil {
		return nil, outSt, err
	}
	a := fromTensor(t)
	a.st = r.x.external(t.Bytes(), false)
	return a, outSt, nil
}

// computePermuted runs elementwise kernel k into out, stored in order
// (elementwiseLayout), on views of out and the operands permuted to that
// order, so the kernel walks every array along its long runs.
func (r *fastRun) computePermuted(k fastKernel, v *ir.Value, args []*arr, out *arr, order []int) (*arr, *storage, error) {
	pv := &ir.Value{ID: v.ID, Op: v.Op, Attrs: v.Attrs, Type: ir.Type{DType: v.Type.DType, Shape: permuteInts(v.Shape(), order)}}
	pargs := make([]*arr, len(args))
	for i, a := range args {
		pargs[i] = a.broadcastTo(v.Shape()).permuted(order)
	}
	if err := k(r.x, pv, pargs, out.permuted(order)); err != nil {
		return nil, out.st, err
	}
	return out, nil, nil
}

// prioHeap orders ready value ids by priority rank.
type prioHeap struct {
	ids  []int
	prio map[int]int
}

func (h *prioHeap) Len() int           { return len(h.ids) }
func (h *prioHeap) Less(i, j int) bool { return h.prio[h.ids[i]] < h.prio[h.ids[j]] }
func (h *prioHeap) Swap(i, j int)      { h.ids[i], h.ids[j] = h.ids[j], h.ids[i] }
func (h *prioHeap) Push(x any)         { h.ids = append(h.ids, x.(int)) }
func (h *prioHeap) Pop() any {
	x := h.ids[len(h.ids)-1]
	h.ids = h.ids[:len(h.ids)-1]
	return x
}

// prepCache remembers, per program (programs are immutable), the verifier's
// verdict and schedules, so running a plan in a loop pays for them once.
var prepCache = struct {
	sync.Mutex
	m map[prepKey]prepEntry
}{m: map[prepKey]prepEntry{}}

type prepKey struct {
	p     *ir.Program
	dt    tensor.DType
	limit int64
	order string
	fuse  bool
}

type prepEntry struct {
	sch *Schedule
	err error
}

const prepCacheMax = 256

func prepared(p *ir.Program, dt tensor.DType, limit int64, order []int, fuse bool) (*Schedule, error) {
	k := prepKey{p: p, dt: dt, limit: limit, fuse: fuse}
	if len(order) > 0 {
		k.order = fmt.Sprint(order)
	}
	prepCache.Lock()
	e, ok := prepCache.m[k]
	prepCache.Unlock()
	if ok {
		return e.sch, e.err
	}
	e.err = verifyForRun(p)
	if e.err == nil {
		if e.sch, e.err = fusedSchedule(p, dt, limit, order, fuse); e.err != nil {
			e.err = fmt.Errorf("runtime: %w", e.err)
		} else {
			q := e.sch.prog
			e.sch.flops = make(map[int]int64, len(e.sch.Order))
			for _, id := range e.sch.Order {
				if k := e.sch.fused[id]; k != nil {
					e.sch.flops[id] = k.flops
				} else {
					e.sch.flops[id] = ir.FLOPsOf(q, q.Value(id))
				}
			}
		}
	}
	prepCache.Lock()
	if len(prepCache.m) >= prepCacheMax {
		clear(prepCache.m) // a crude bound; entries are cheap to recompute
	}
	prepCache.m[k] = e
	prepCache.Unlock()
	return e.sch, e.err
}

// verifyForRun refuses ill-formed programs (kernels trust their operands);
// dead values are allowed.
func verifyForRun(p *ir.Program) error {
	for _, e := range ir.Verify(p) {
		if ve, ok := e.(*ir.VerifyError); ok && ve.Dead {
			continue
		}
		return fmt.Errorf("runtime: invalid program: %w", e)
	}
	return nil
}
