package runtime

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// Schedule is an execution priority order for the fast executor with the
// peak memory a sequential run in that order needs.
type Schedule struct {
	// Order lists the ids of the values the outputs depend on, each after
	// its operands.
	Order []int
	// PeakBytes is the predicted peak of live storage (the quantity
	// Stats.PeakBytes measures): inputs and constants at their size,
	// results in the run dtype, views free, each value released after its
	// last reader. GEMM and reduction scratch is not included.
	PeakBytes int64
	// Reordered is set when program order did not fit MaxMemory and a
	// memory-aware order was chosen instead.
	Reordered bool

	// ahead[i] is the largest predicted live total at position i or
	// later: what a value run ahead of position i must leave room for.
	ahead []int64
	// anyLayout[id]: no reader of value id needs C order (layout.go)
	anyLayout map[int]bool
	// flops[id] is ir.FLOPsOf for each value in Order, computed once per
	// cached schedule so runs do not re-derive it for their stats (nil in
	// schedules that did not come from the executor's cache).
	flops map[int]int64
	// prog is the program Order and PeakBytes refer to: the one asked for,
	// or its fused form (fuse.go) with fused's kernels by root id.
	prog  *ir.Program
	fused map[int]*fusedKernel
	// arena places the pieces of in-place concats (arena.go), by piece id;
	// arenaConcat marks those concats.
	arena       map[int]arenaSlot
	arenaConcat map[int]bool
	// index is the scheduler's read-only maps (fast.go), built once
	index atomic.Pointer[runIndex]
}

// ErrOverMemory is what every refusal of a plan over its memory limit
// wraps (errors.Is).
var ErrOverMemory = errors.New("over the memory limit")

// OverMemoryError is a refusal: the estimate Need exceeds Limit.
type OverMemoryError struct {
	What        string // what needs it ("the plan" when empty)
	Need, Limit int64
}

func (e *OverMemoryError) Error() string {
	what := e.What
	if what == "" {
		what = "the plan"
	}
	return fmt.Sprintf("%s needs about %d bytes at peak, more than the limit of %d", what, e.Need, e.Limit)
}

func (e *OverMemoryError) Unwrap() error { return ErrOverMemory }

// PredictPeak is the peak bytes of running p with the fast executor in
// program order, one value at a time, in run dtype dt (elementwise regions
// fused, as the executor runs them: their intermediates take no memory).
func PredictPeak(p *ir.Program, dt tensor.DType) (int64, error) {
	s, err := PlanSchedule(p, dt, 0)
	if err != nil {
		return 0, err
	}
	return s.PeakBytes, nil
}

// PlanSchedule orders p's live values for execution. Program order is used
// when it fits maxMemory (0: no limit); otherwise a greedy memory-aware
// topological order (at each step the ready value that adds the fewest net
// bytes) is tried, and when that does not fit either the plan is refused
// with an error saying how much it needs.
func PlanSchedule(p *ir.Program, dt tensor.DType, maxMemory int64) (*Schedule, error) {
	if p == nil {
		return nil, fmt.Errorf("schedule: nil program")
	}
	if !dt.IsFloat() {
		return nil, fmt.Errorf("schedule: run dtype must be float32 or float64, got %v", dt)
	}
	return fusedSchedule(p, dt, maxMemory, nil, true)
}

// fusedSchedule is planSchedule on p's fused form (fuse) or on p.
func fusedSchedule(p *ir.Program, dt tensor.DType, maxMemory int64, prio []int, fuse bool) (*Schedule, error) {
	q, kernels := p, map[int]*fusedKernel(nil)
	if fuse {
		q, kernels = fuseProgram(p, dt)
	}
	any := anyLayout(q)
	pieces, concats := arenaConcats(q, dt)
	for id := range pieces {
		any[id] = false // a piece is written in C order into its rows
	}
	s, err := planSchedule(q, dt, maxMemory, prio, kernels, any, pieces, concats)
	if err != nil {
		return nil, err
	}
	s.prog, s.fused, s.anyLayout, s.arena, s.arenaConcat = q, kernels, any, pieces, concats
	return s, nil
}

func planSchedule(p *ir.Program, dt tensor.DType, maxMemory int64, prio []int, fused map[int]*fusedKernel, any map[int]bool, pieces map[int]arenaSlot, concats map[int]bool) (*Schedule, error) {
	live := p.Live()
	var ids []int
	if len(prio) > 0 {
		// Live values prio does not list (an order from the fused program
		// run unfused lists no fused-away value) are placed right before
		// their first listed reader, else at the end in program order.
		listed, placed := map[int]bool{}, map[int]bool{}
		for _, id := range prio {
			listed[id] = live[id]
		}
		var place func(id int)
		place = func(id int) {
			if placed[id] {
				return
			}
			placed[id] = true
			for _, o := range p.Value(id).Operands {
				if !listed[o] {
					place(o)
				}
			}
			ids = append(ids, id)
		}
		for _, id := range prio {
			if live[id] {
				place(id)
			}
		}
		for _, v := range p.Values {
			if live[v.ID] {
				place(v.ID)
			}
		}
		if err := checkTopological(p, ids); err != nil {
			return nil, err
		}
	} else {
		for _, v := range p.Values {
			if live[v.ID] {
				ids = append(ids, v.ID)
			}
		}
	}
	sim := newSimulation(p, dt, ids)
	sim.fused, sim.anyLayout = fused, any
	if len(pieces) > 0 {
		dropArenas(pieces, concats, sim.layouts(ids))
	}
	sim.arena, sim.arenaConcat = pieces, concats
	peak, ahead := sim.profile(ids)
	s := &Schedule{Order: ids, PeakBytes: peak, ahead: ahead}
	if maxMemory <= 0 || peak <= maxMemory {
		return s, nil
	}
	g := sim.greedy(ids)
	gsim := newSimulation(p, dt, ids)
	gsim.fused, gsim.anyLayout, gsim.arena, gsim.arenaConcat = fused, any, pieces, concats
	gp, gahead := gsim.profile(g)
	if gp < peak {
		s = &Schedule{Order: g, PeakBytes: gp, Reordered: true, ahead: gahead}
	}
	if s.PeakBytes > maxMemory {
		return nil, &OverMemoryError{Need: s.PeakBytes, Limit: maxMemory}
	}
	return s, nil
}

func checkTopological(p *ir.Program, ids []int) error {
	done := map[int]bool{}
	for _, id := range ids {
		v := p.Value(id)
		for _, o := range v.Operands {
			if !done[o] {
				return fmt.Errorf("schedule: %v comes before its operand %%%d", v, o)
			}
		}
		done[id] = true
	}
	return nil
}

// simulation replays the fast executor's memory accounting on data-less
// arrays laid out as the executor lays them out (a GEMM's permuted block,
// an elementwise result in its operands' order), so views and reshapes are
// classified exactly as at run time.
type simulation struct {
	p         *ir.Program
	dt        tensor.DType
	fused     map[int]*fusedKernel
	anyLayout map[int]bool
	ids       []int
	uses      map[int]int // operand slots + outputs reading each value
	users     map[int][]int
	// in-place concats (arena.go): the first piece counts the concat's
	// bytes, the others none; the concat is a view of that piece's buffer
	arena       map[int]arenaSlot
	arenaConcat map[int]bool
}

type simStorage struct {
	bytes int64
	refs  int
}

func newSimulation(p *ir.Program, dt tensor.DType, ids []int) *simulation {
	s := &simulation{p: p, dt: dt, ids: ids, uses: map[int]int{}, users: map[int][]int{}}
	for _, id := range ids {
		v := p.Value(id)
		for _, o := range slices.Compact(slices.Sorted(slices.Values(v.Operands))) {
			s.users[o] = append(s.users[o], id)
		}
		for _, o := range v.Operands {
			s.uses[o]++
		}
	}
	for _, o := range p.Outputs {
		s.uses[o.ID] += 1 << 30
	}
	return s
}

// shapeOnly is a data-less array carrying shape and strides.
func shapeOnly(shape []int) *arr {
	return &arr{shape: slices.Clone(shape), strides: contiguousStrides(shape)}
}

// step computes what running v does to memory: the array it produces, the
// storage it allocates (nil for views) and the storage it shares.
func (s *simulation) step(v *ir.Value, env map[int]*arr, st map[int]*simStorage) (*arr, *simStorage) {
	bytes := valueBytes(v, s.dt)
	switch v.Op {
	case ir.OpInput, ir.OpConst:
		return shapeOnly(v.Shape()), &simStorage{bytes: bytes}
	case ir.OpScalar, ir.OpLastDimSize:
		one := shapeOnly(nil)
		return one.broadcastTo(v.Shape()), &simStorage{bytes: int64(valueDType(v, s.dt).Size())}
	}
	if sl, ok := s.arena[v.ID]; ok {
		c := s.p.Value(sl.concat)
		for _, o := range c.Operands {
			if env[o] != nil {
				return s.laidOut(v, env), nil // the arena is taken: a view of it
			}
		}
		return s.laidOut(v, env), &simStorage{bytes: valueBytes(c, s.dt)}
	}
	if s.arenaConcat[v.ID] {
		return shapeOnly(v.Shape()), nil
	}
	var a *arr
	if len(v.Operands) > 0 {
		a = env[v.Operands[0]]
	}
	switch v.Op {
	case ir.OpPermute:
		return a.permuted(v.Attrs.Ints("perm")), nil
	case ir.OpBroadcast:
		return a.broadcastTo(v.Shape()), nil
	case ir.OpSlice:
		res := a
		starts, stops := v.Attrs.Ints("starts"), v.Attrs.Ints("stops")
		for ax := range starts {
			if starts[ax] != 0 || stops[ax] != a.shape[ax] {
				res = sliceView(res, ax, starts[ax], stops[ax])
			}
		}
		return res, nil
	case ir.OpSelect:
		i := v.Attrs.Int("index")
		if i < 0 {
			i += a.shape[v.Attrs.Int("axis")]
		}
		return selectView(a, v.Attrs.Int("axis"), i), nil
	case ir.OpReshape:
		if r := a.reshapeView(v.Shape()); r != nil {
			return r, nil
		}
	}
	return s.laidOut(v, env), &simStorage{bytes: bytes}
}

// laidOut is v's data-less result as compute lays it out.
func (s *simulation) laidOut(v *ir.Value, env map[int]*arr) *arr {
	out := shapeOnly(v.Shape())
	if !valueDType(v, s.dt).IsFloat() {
		return out
	}
	args := make([]*arr, len(v.Operands))
	for i, o := range v.Operands {
		args[i] = env[o]
	}
	switch {
	case v.Op == opFused && s.fused[v.ID] != nil:
		if s.anyLayout[v.ID] {
			if order := s.fused[v.ID].regionLayout(args); order != nil {
				return denseIn(out, order)
			}
		}
	case elementwise(v.Op):
		if s.anyLayout[v.ID] {
			if order := elementwiseLayout(v, args); order != nil {
				return denseIn(out, order)
			}
		}
	case v.Op == ir.OpEinsum && len(v.Operands) == 2:
		c, ok := classifyEinsum(v.Attrs.String("spec"))
		if !ok || len(c.k) == 0 || len(c.m)+len(c.n) == 0 {
			return out
		}
		a, b := *args[0], *args[1]
		a.dt, b.dt, out.dt = s.dt, s.dt, s.dt
		pl := planContract(c, &a, &b, out)
		if pl.nothing || pl.zero {
			return out
		}
		return contractResult(c, pl, out)
	}
	return out
}

// profile replays order and returns the peak and, per position, the
// largest live total at that step or any later one (the headroom a
// run-ahead must leave).
func (s *simulation) profile(order []int) (int64, []int64) {
	steps := make([]int64, len(order))
	env := map[int]*arr{}
	root := map[int]*simStorage{}
	remaining := map[int]int{}
	for k, n := range s.uses {
		remaining[k] = n
	}
	var live, peak int64
	for i, id := range order {
		v := s.p.Value(id)
		a, st := s.step(v, env, root)
		steps[i] = live
		if st == nil {
			st = s.viewRoot(v, root)
			st.refs++
		} else {
			st.refs = 1
			live += st.bytes
			steps[i] = live + s.scratch(v, env, a)
			peak = max(peak, steps[i])
		}
		env[id], root[id] = a, st
		for _, o := range v.Operands {
			remaining[o]--
			if remaining[o] == 0 {
				if r := root[o]; r != nil {
					r.refs--
					if r.refs == 0 {
						live -= r.bytes
					}
				}
			}
		}
		if remaining[id] == 0 {
			st.refs--
			if st.refs == 0 {
				live -= st.bytes
			}
		}
	}
	for i := len(steps) - 2; i >= 0; i-- {
		steps[i] = max(steps[i], steps[i+1])
	}
	return peak, steps
}

// viewRoot is the storage a view v shares: its operand's, or for an
// in-place concat the arena (the piece that counted its bytes).
func (s *simulation) viewRoot(v *ir.Value, root map[int]*simStorage) *simStorage {
	c := v
	if sl, ok := s.arena[v.ID]; ok {
		c = s.p.Value(sl.concat)
	}
	if c != v || s.arenaConcat[v.ID] {
		for _, o := range c.Operands { // the piece that took the arena
			if st := root[o]; st != nil && o != v.ID {
				return st
			}
		}
	}
	return root[v.Operands[0]]
}

// layouts replays ids for the arrays alone: each value laid out as the
// executor lays it out.
func (s *simulation) layouts(ids []int) map[int]*arr {
	env := map[int]*arr{}
	for _, id := range ids {
		v := s.p.Value(id)
		a, _ := s.step(v, env, nil)
		env[id] = a
	}
	return env
}

// greedy builds a memory-aware topological order: among ready values, the
// one with the smallest allocation minus what it frees, ties by program
// order. Views and bindings (cheap, usually freeing) go first.
func (s *simulation) greedy(ids []int) []int {
	pos := map[int]int{}
	for i, id := range ids {
		pos[id] = i
	}
	pending := map[int]int{}
	for _, id := range ids {
		pending[id] = len(slices.Compact(slices.Sorted(slices.Values(s.p.Value(id).Operands))))
	}
	remaining := map[int]int{}
	for k, n := range s.uses {
		remaining[k] = n
	}
	var ready []int
	for _, id := range ids {
		if pending[id] == 0 {
			ready = append(ready, id)
		}
	}
	env := map[int]*arr{}
	root := map[int]*simStorage{}
	var order []int
	for len(ready) > 0 {
		best, bestScore := -1, int64(0)
		for i, id := range ready {
			v := s.p.Value(id)
			_, st := s.step(v, env, root)
			score := int64(0)
			if st != nil {
				score = st.bytes
			}
			for _, o := range slices.Compact(slices.Sorted(slices.Values(v.Operands))) {
				n := 0
				for _, x := range v.Operands {
					if x == o {
						n++
					}
				}
				if remaining[o] == n && root[o] != nil && root[o].refs == 1 {
					score -= root[o].bytes
				}
			}
			if best < 0 || score < bestScore || score == bestScore && pos[id] < pos[ready[best]] {
				best, bestScore = i, score
			}
		}
		id := ready[best]
		ready = slices.Delete(ready, best, best+1)
		v := s.p.Value(id)
		a, st := s.step(v, env, root)
		if st == nil {
			st = s.viewRoot(v, root)
			st.refs++
		} else {
			st.refs = 1
		}
		env[id], root[id] = a, st
		for _, o := range v.Operands {
			remaining[o]--
			if remaining[o] == 0 && root[o] != nil {
				root[o].refs--
			}
		}
		order = append(order, id)
		for _, u := range s.users[id] {
			pending[u]--
			if pending[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	return order
}

// scratch is the temporary memory v's kernel takes while it runs: GEMM
// operand copies and permuted results (from a dry run of the contraction
// layout), and the float64 accumulator of a float32 sum.
func (s *simulation) scratch(v *ir.Value, env map[int]*arr, out *arr) int64 {
	switch {
	case v.Op == ir.OpEinsum && len(v.Operands) == 2 && v.Type.DType.IsFloat():
		c, ok := classifyEinsum(v.Attrs.String("spec"))
		if !ok || len(c.k) == 0 || len(c.m)+len(c.n) == 0 { // products and dots run in place (productInto, dotInto)
			return 0
		}
		a, b := *env[v.Operands[0]], *env[v.Operands[1]]
		if shortMatvec(c, &a, &b) {
			return 0
		}
		a.dt, b.dt = s.dt, s.dt
		o := *out
		o.dt = s.dt
		return contractScratch(c, &a, &b, &o)
	case v.Op == ir.OpSum && s.dt == tensor.Float32:
		return v.Type.NumElements() * 8
	case v.Op == ir.OpEinsum && s.dt == tensor.Float32:
		if _, ok := summedAxes(v); ok { // runs as a sum, accumulating in float64
			return v.Type.NumElements() * 8
		}
		if u, ok := planUnaryEinsum(v); ok && len(u.sum) > 0 { // the same sum (unaryeinsum.go)
			return v.Type.NumElements() * 8
		}
	}
	return 0
}
