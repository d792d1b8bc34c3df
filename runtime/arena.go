package runtime

import (
	"slices"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// In-place concats. A concat along axis 0 of computed values (a chunked
// region's pieces, passes/chunk.go) is an arena: its buffer is taken when
// the first piece starts, each piece's kernel writes straight into its
// rows, and the concat itself copies nothing. A piece's other readers read
// it there; the buffer lives until the concat and every piece are done. Without it, the
// pieces of a scrub's 94 MB union values were written once and copied once
// more, the copy streaming the whole value through memory.
//
// The schedule decides which concats are arenas (arenaConcats), the same
// for the executor and the memory simulation: the first piece to run
// counts the concat's bytes, and the other pieces and the concat are views
// of it (each holds a reference). A piece must come out in C order at offset 0 of the
// buffer it is given: its readers' layout freedom is off (anyLayout), and
// pieces whose kernels lay them out otherwise (a GEMM block read as a
// permuted view) keep their concat an ordinary copy (arenaLayoutsOK).

// arenaSlot places a piece in its concat: rows from off (elements) on.
type arenaSlot struct {
	concat, off int
}

// arenaConcats finds the concats of q that can be arenas in run dtype dt,
// by piece id, and the concat ids.
func arenaConcats(q *ir.Program, dt tensor.DType) (map[int]arenaSlot, map[int]bool) {
	pieces, concats := map[int]arenaSlot{}, map[int]bool{}
	live := q.Live()
	for _, v := range q.Values {
		if !live[v.ID] || v.Op != ir.OpConcat || v.Attrs.Int("axis") != 0 || len(v.Operands) < 2 || valueDType(v, dt) != dt {
			continue
		}
		ok := true
		for i, o := range v.Operands {
			ov := q.Value(o)
			ok = ok && !slices.Contains(v.Operands[:i], o) && !q.IsOutput(o) && !isPiece(pieces, o) &&
				valueDType(ov, dt) == dt && writesOwnBuffer(ov)
		}
		if !ok {
			continue
		}
		concats[v.ID] = true
		off := 0
		for _, o := range v.Operands {
			pieces[o] = arenaSlot{concat: v.ID, off: off}
			off += int(q.Value(o).Type.NumElements())
		}
	}
	return pieces, concats
}

// isPiece reports whether id is already a piece of some concat (a value
// writes one buffer).
func isPiece(pieces map[int]arenaSlot, id int) bool {
	_, ok := pieces[id]
	return ok
}

// writesOwnBuffer reports ops whose fast kernels write their result into
// the buffer they are given (fused regions, elementwise ops, einsums,
// gathers), not into one of their own.
func writesOwnBuffer(v *ir.Value) bool {
	switch v.Op {
	case opFused, ir.OpEinsum, ir.OpGather:
		return true
	}
	return elementwise(v.Op)
}

// dropArenas removes the concats whose pieces, laid out as the executor
// lays them out (layouts), are not C order from offset 0.
func dropArenas(pieces map[int]arenaSlot, concats map[int]bool, layouts map[int]*arr) {
	for id, s := range pieces {
		a := layouts[id]
		if a == nil || a.off != 0 || !slices.Equal(a.strides, contiguousStrides(a.shape)) {
			delete(concats, s.concat)
		}
	}
	for id, s := range pieces {
		if !concats[s.concat] {
			delete(pieces, id)
		}
	}
}

// arenaPiece is the buffer a piece writes: its rows of the concat's arena,
// which the first piece to start takes (counted live once, in full).
func (r *fastRun) arenaPiece(v *ir.Value, s arenaSlot) *storage {
	a := r.arenas[s.concat]
	if a == nil {
		if r.arenas == nil {
			r.arenas = map[int]*storage{}
		}
		c := r.p.Value(s.concat)
		a = r.x.alloc(valueDType(c, r.dt), int(c.Type.NumElements()))
		r.arenas[s.concat] = a
	}
	n := int(v.Type.NumElements())
	piece := &storage{dt: a.dt, n: n, refs: 1} // no bytes of its own: the arena's count
	switch a.dt {
	case tensor.Float32:
		piece.f32 = a.f32[s.off : s.off+n]
	default:
		piece.f64 = a.f64[s.off : s.off+n]
	}
	return piece
}

// placePiece makes sure a piece's result res is its rows st of the arena
// in C order (a kernel that produced it elsewhere, or laid it out
// otherwise, is copied in) and returns the array on them, holding a
// reference to the arena, and what to release.
func (r *fastRun) placePiece(v *ir.Value, res *arr, st, arena *storage) (*arr, *storage) {
	out := newArr(res.dt, v.Shape(), st)
	var spare *storage
	if res.st != st || res.off != 0 || !slices.Equal(res.strides, out.strides) {
		src := res
		spare = res.st
		if res.st == st { // laid out in the same memory: through a copy
			tmp := r.x.alloc(res.dt, res.size())
			src = newArr(res.dt, v.Shape(), tmp)
			copyInto(src, res)
			spare = tmp
		}
		copyInto(out, src)
	}
	r.x.retain(arena)
	out.st = arena
	return out, spare
}
