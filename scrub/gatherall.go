package scrub

import (
	"fmt"
	"sync"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/internal/gang"
	"github.com/circopt/circopt/tensor"
)

// A scrub's pooled gathers run together: every (input, vector) the batch
// uses is cut into parts of about gatherPart elements, and all the parts
// of all the gathers form one split loop, so two cores share a dozen small
// gathers instead of taking turns on each. A gather no circuit reads
// (unread) is only checked: it gets no buffer and no binding.

// pendingGather is a vector use named but not yet gathered.
type pendingGather struct {
	name, input string
	idx         []int
}

// gatherPart is the fewest elements one part of a gather copies.
const gatherPart = 1 << 13

// gatherAll gathers g.todo into pooled float32 buffers and binds them,
// except those named in skip, whose indices are only checked. An index
// out of range is the error of the first such gather in use order, at its
// first bad position.
func (g *gatherer) gatherAll(skip map[string]bool) error {
	type target struct {
		pendingGather
		vals     []float32
		out      []float32
		row      int
		columnar bool
		skip     bool
		bad      int // first position out of range (len(idx) when none)
	}
	targets := make([]target, len(g.todo))
	type part struct{ t, lo, hi int }
	var parts []part
	for i, p := range g.todo {
		arr, err := g.data.Array(p.input)
		if err != nil {
			return err
		}
		vals, err := g.data.values32(p.input)
		if err != nil {
			return err
		}
		row := arr.Size() / g.data.n
		targets[i] = target{pendingGather: p, vals: vals, row: row, skip: skip[p.name], bad: len(p.idx)}
		if !targets[i].skip {
			if targets[i].out, targets[i].columnar, err = g.bindPooled(p, arr, row); err != nil {
				return err
			}
		}
		n := len(p.idx)
		k := max(1, min(n, n*row/gatherPart))
		for j := range k {
			parts = append(parts, part{i, n * j / k, n * (j + 1) / k})
		}
	}
	var mu sync.Mutex
	gang.For(len(parts), func(k int) {
		pt := parts[k]
		t := &targets[pt.t]
		var bad int
		switch {
		case t.skip:
			bad = checkRows(t.idx, len(t.vals)/t.row, pt.lo, pt.hi)
		case t.columnar:
			bad = gatherColumnsPart(t.out, t.vals, t.idx, t.row, pt.lo, pt.hi)
		default:
			if bad = gatherRows(t.out[pt.lo*t.row:pt.hi*t.row], t.vals, t.idx[pt.lo:pt.hi], t.row); bad >= 0 {
				bad += pt.lo
			}
		}
		if bad >= 0 {
			mu.Lock()
			t.bad = min(t.bad, bad)
			mu.Unlock()
		}
	})
	g.todo = g.todo[:0]
	for _, t := range targets {
		if t.bad < len(t.idx) {
			return fmt.Errorf("%s: example %d out of range [0,%d)", t.input, t.idx[t.bad], g.data.n)
		}
	}
	return nil
}

// unread are the gathered Symbols no circuit reads (a slot whose datum
// feeds nothing the root depends on): their indices are checked, their
// rows not copied.
func unread(roots []circuit.Circuit, binds map[string]*tensor.Tensor) map[string]bool {
	read := map[string]bool{}
	circuit.Walk(roots, func(c circuit.Circuit) {
		if sym, ok := c.(*circuit.Symbol); ok {
			read[sym.Name()] = true
		}
	})
	out := map[string]bool{}
	for name := range binds {
		if !read[name] {
			out[name] = true
		}
	}
	return out
}

// checkRows is a skipped gather's part: rows [lo, hi) of idx checked
// against the m rows there are. It returns the first position out of
// range or -1.
func checkRows(idx []int, m, lo, hi int) int {
	for k, i := range idx[lo:hi] {
		if uint(i) >= uint(m) {
			return lo + k
		}
	}
	return -1
}

// bindPooled takes a pooled buffer for p's rows and binds it as p's
// tensor, [n, ...]: laid out column by column (columnar) for a columnar
// rank-2 input.
func (g *gatherer) bindPooled(p pendingGather, arr *tensor.Tensor, row int) (buf []float32, columnar bool, err error) {
	buf = getF32(len(p.idx) * row)
	g.bufs = append(g.bufs, buf)
	columnar = g.columnar[p.input] && arr.Rank() == 2
	t, err := gatheredTensor(buf, len(p.idx), row, arr, columnar)
	if err == nil {
		g.binds[p.name] = t
	}
	return buf, columnar, err
}
