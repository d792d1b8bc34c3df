package passes

import (
	"fmt"
	"sort"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// Interval is a value's or buffer's lifetime in positions of p.Values:
// defined at Start, last read at End (len(p.Values) for outputs).
type Interval struct{ Start, End int }

// Buffer is one allocation of the plan.
type Buffer struct {
	ID    int
	Bytes int64
}

// MemoryPlan is the result of memory planning for one program.
type MemoryPlan struct {
	// ElemSize is the bytes per float element the plan assumes (0: each
	// value's declared dtype).
	ElemSize int
	// BufferOf maps each value id to its buffer, or -1 for values the
	// caller owns (inputs, constants, and views of them).
	BufferOf map[int]int
	// Views maps view value ids (reshape of a contiguous value, permute,
	// broadcast, slice, select) to the value whose buffer they share.
	Views map[int]int
	// Live is every value's lifetime.
	Live map[int]Interval
	// Buffers are the allocations, reused across values whose lifetimes do
	// not overlap (a dead buffer of sufficient size is taken, smallest first).
	Buffers []Buffer
	// PeakBytes estimates runtime.Stats.PeakBytes of the reference runtime
	// (see the runtime package doc): the maximum over steps of the logical
	// bytes of values live at that step, an op's operands and result
	// together, each value freed after its last use.
	PeakBytes int64
	// BufferBytes is the sum of Buffers: what a runtime allocating per this
	// plan needs for computed values (inputs and constants excluded).
	BufferBytes int64
	// NaiveBytes is the sum of all computed values' sizes (a scalar fill
	// counts one element, as tensor.Full stores one): the memory without
	// any reuse or freeing.
	NaiveBytes int64
}

// PlanMemory plans p with each value at its declared dtype.
func PlanMemory(p *ir.Program) (*MemoryPlan, error) { return planMemory(p, 0) }

// PlanMemoryFor plans p as runtime.Run(p, _, dt) executes it: float
// values take dt's element size.
func PlanMemoryFor(p *ir.Program, dt tensor.DType) (*MemoryPlan, error) {
	if !dt.IsFloat() {
		return nil, fmt.Errorf("memory plan: run dtype must be a float dtype, got %v", dt)
	}
	return planMemory(p, dt.Size())
}

// memplan records the plan for the final program in the Report; the
// program itself is unchanged.
func memplan(p *ir.Program, ctx *Context) (*ir.Program, error) {
	p, err := prune(p) // plan only what runs (a no-op after deadcode)
	if err != nil {
		return nil, err
	}
	mp, err := PlanMemory(p)
	if err != nil {
		return nil, err
	}
	if ctx != nil {
		ctx.memory = mp
		ctx.Notef("memory: peak %d bytes, %d buffers totalling %d bytes (%d without reuse)", mp.PeakBytes, len(mp.Buffers), mp.BufferBytes, mp.NaiveBytes)
	}
	return p, nil
}

func planMemory(p *ir.Program, elemSize int) (*MemoryPlan, error) {
	if err := p.CheckOrder(); err != nil {
		return nil, fmt.Errorf("memory plan: %w", err)
	}
	bytesOf := func(v *ir.Value) int64 {
		if elemSize > 0 && v.Type.DType.IsFloat() {
			return v.Type.NumElements() * int64(elemSize)
		}
		return v.Type.Bytes()
	}
	last := p.LastUse()
	mp := &MemoryPlan{ElemSize: elemSize, BufferOf: map[int]int{}, Views: map[int]int{}, Live: map[int]Interval{}}

	// Peak bytes: the reference runtime's accounting, step by step.
	var held int64
	freed := map[int]bool{}
	for i, v := range p.Values {
		mp.Live[v.ID] = Interval{Start: i, End: last[v.ID]}
		held += bytesOf(v)
		mp.PeakBytes = max(mp.PeakBytes, held)
		for _, o := range append(append([]int(nil), v.Operands...), v.ID) {
			if last[o] == i && !freed[o] {
				freed[o] = true
				held -= bytesOf(p.Value(o))
			}
		}
	}

	// Buffer roots: a view shares its source's buffer, so the buffer lives
	// until the last use of anything sharing it.
	root := map[int]int{} // value id -> id of the value owning its storage
	contiguous := map[int]bool{}
	external := map[int]bool{} // storage the caller owns
	end := map[int]int{}       // root id -> last position its buffer is read
	for _, v := range p.Values {
		root[v.ID] = v.ID
		contiguous[v.ID] = true
		switch v.Op {
		case ir.OpInput, ir.OpConst:
			external[v.ID] = true
		case ir.OpPermute, ir.OpBroadcast, ir.OpSlice, ir.OpSelect:
			src := v.Operands[0]
			root[v.ID] = root[src]
			mp.Views[v.ID] = src
			contiguous[v.ID] = isIdentityView(p, v)
		case ir.OpReshape:
			src := v.Operands[0]
			if contiguous[src] { // a reshape of contiguous data is free; otherwise it copies
				root[v.ID] = root[src]
				mp.Views[v.ID] = src
			}
		}
		r := root[v.ID]
		end[r] = max(end[r], last[v.ID])
	}

	// Linear scan: free buffers whose owner's readers are all done, then
	// give each owning value the smallest free buffer that fits.
	type freeBuf struct {
		id    int
		bytes int64
	}
	var free []freeBuf
	type active struct{ buf, end int }
	var live []active
	for i, v := range p.Values {
		keep := live[:0]
		for _, a := range live {
			if a.end < i {
				free = append(free, freeBuf{a.buf, mp.Buffers[a.buf].Bytes})
			} else {
				keep = append(keep, a)
			}
		}
		live = keep
		r := root[v.ID]
		switch {
		case external[r]:
			mp.BufferOf[v.ID] = -1
			continue
		case r != v.ID:
			mp.BufferOf[v.ID] = mp.BufferOf[r]
			continue
		}
		need := bytesOf(v)
		if v.Op == ir.OpScalar {
			// A fill stores one element and broadcasts it (tensor.Full).
			need = bytesOf(&ir.Value{Type: ir.Type{DType: v.Type.DType}})
		}
		mp.NaiveBytes += need
		sort.Slice(free, func(a, b int) bool {
			if free[a].bytes != free[b].bytes {
				return free[a].bytes < free[b].bytes
			}
			return free[a].id < free[b].id
		})
		buf := -1
		for k, f := range free {
			if f.bytes >= need {
				buf = f.id
				free = append(free[:k], free[k+1:]...)
				break
			}
		}
		if buf < 0 {
			buf = len(mp.Buffers)
			mp.Buffers = append(mp.Buffers, Buffer{ID: buf, Bytes: need})
			mp.BufferBytes += need
		}
		mp.BufferOf[v.ID] = buf
		live = append(live, active{buf: buf, end: end[v.ID]})
	}
	return mp, nil
}

// isIdentityView reports whether a view op leaves the layout contiguous.
func isIdentityView(p *ir.Program, v *ir.Value) bool {
	src := p.Value(v.Operands[0])
	switch v.Op {
	case ir.OpPermute:
		for i, a := range v.Attrs.Ints("perm") {
			if a != i {
				return false
			}
		}
		return true
	case ir.OpSlice, ir.OpBroadcast:
		return src.Type.NumElements() == v.Type.NumElements() && len(src.Type.Shape) == len(v.Type.Shape)
	}
	return false
}
