package runtime

import (
	goruntime "runtime"
	"sync"

	"github.com/circopt/circopt/tensor"
)

// loop walks one shape for several operands at once (operand k with its own
// strides) in innermost rows, so kernels run plain indexed loops. Axes of
// size 1 are dropped and neighbouring axes contiguous with each other in
// every operand are merged, so contiguous operands become one long row.
type loop struct {
	dims  []int   // outer axis sizes after coalescing
	str   [][]int // str[k][i]: operand k's stride along outer axis i
	n     int     // row length
	inner []int   // inner[k]: operand k's stride along the row
	rows  int     // number of rows (0 when the shape is empty)
}

func newLoop(shape []int, strides ...[]int) *loop {
	l := &loop{str: make([][]int, len(strides)), inner: make([]int, len(strides))}
	var dims []int
	st := make([][]int, len(strides))
	for i, d := range shape {
		if d == 0 {
			l.rows, l.n = 0, 0
			return l
		}
		if d == 1 {
			continue
		}
		if m := len(dims); m > 0 {
			ok := true
			for k := range strides {
				if st[k][m-1] != strides[k][i]*d {
					ok = false
					break
				}
			}
			if ok {
				dims[m-1] *= d
				for k := range strides {
					st[k][m-1] = strides[k][i]
				}
				continue
			}
		}
		dims = append(dims, d)
		for k := range strides {
			st[k] = append(st[k], strides[k][i])
		}
	}
	if len(dims) == 0 {
		l.n, l.rows = 1, 1
		return l
	}
	m := len(dims) - 1
	l.n = dims[m]
	l.dims = dims[:m]
	for k := range strides {
		l.inner[k] = st[k][m]
		l.str[k] = st[k][:m]
	}
	l.rows = 1
	for _, d := range l.dims {
		l.rows *= d
	}
	return l
}

// each calls f for rows lo..hi-1 with offs[k] the offset of operand k's
// row start (base[k] added). offs is reused between calls.
func (l *loop) each(lo, hi int, base []int, f func(offs []int)) {
	if lo >= hi {
		return
	}
	nd := len(l.dims)
	idx := make([]int, nd)
	offs := make([]int, len(base))
	copy(offs, base)
	r := lo
	for i := nd - 1; i >= 0; i-- {
		idx[i] = r % l.dims[i]
		r /= l.dims[i]
		for k := range offs {
			offs[k] += idx[i] * l.str[k][i]
		}
	}
	for row := lo; ; {
		f(offs)
		row++
		if row >= hi {
			return
		}
		for i := nd - 1; i >= 0; i-- {
			idx[i]++
			for k := range offs {
				offs[k] += l.str[k][i]
			}
			if idx[i] < l.dims[i] {
				break
			}
			for k := range offs {
				offs[k] -= l.dims[i] * l.str[k][i]
			}
			idx[i] = 0
		}
	}
}

// parallelGrain is the number of elements below which splitting a kernel
// across goroutines costs more than it saves.
const parallelGrain = 1 << 15

// workers is the number of goroutines a kernel may use: GOMAXPROCS.
func workers() int { return max(1, goruntime.GOMAXPROCS(0)) }

// parFor runs f over [0,n) in contiguous chunks, in parallel when the total
// work (n items of cost elements each) is large enough. Chunk boundaries
// depend only on n and the worker count, so results are deterministic.
func parFor(n, cost int, f func(lo, hi int)) {
	w := workers()
	if n <= 1 || w == 1 || n*max(cost, 1) < 2*parallelGrain {
		f(0, n)
		return
	}
	chunks := min(w, n, n*max(cost, 1)/parallelGrain)
	if chunks <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	var pmu sync.Mutex
	var perr any
	for c := 0; c < chunks; c++ {
		lo, hi := n*c/chunks, n*(c+1)/chunks
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					pmu.Lock()
					perr = r
					pmu.Unlock()
				}
			}()
			f(lo, hi)
		}()
	}
	wg.Wait()
	if perr != nil {
		panic(perr) // re-raised on the calling goroutine, where the executor recovers it
	}
}

// copyInto copies src (any strides) into dst (same shape).
func copyInto(dst, src *arr) {
	if dst.dt != src.dt {
		castInto(dst, src)
		return
	}
	switch dst.dt {
	case tensor.Float32:
		copyT[float32](dst, src)
	case tensor.Float64:
		copyT[float64](dst, src)
	default:
		copyT[int64](dst, src)
	}
}

func copyT[T elem](dst, src *arr) {
	l := newLoop(dst.shape, dst.strides, src.strides)
	d, s := data[T](dst), data[T](src)
	n, id, is := l.n, l.inner[0], l.inner[1]
	parFor(l.rows, n, func(lo, hi int) {
		l.each(lo, hi, []int{dst.off, src.off}, func(o []int) {
			pd, ps := o[0], o[1]
			if id == 1 && is == 1 {
				copy(d[pd:pd+n], s[ps:ps+n])
				return
			}
			for i := 0; i < n; i++ {
				d[pd+i*id] = s[ps+i*is]
			}
		})
	})
}

// castInto converts between float dtypes element by element.
func castInto(dst, src *arr) {
	l := newLoop(dst.shape, dst.strides, src.strides)
	l.each(0, l.rows, []int{dst.off, src.off}, func(o []int) {
		for i := 0; i < l.n; i++ {
			setAt(dst, o[0]+i*l.inner[0], getAt(src, o[1]+i*l.inner[1]))
		}
	})
}

func getAt(a *arr, p int) float64 {
	switch a.dt {
	case tensor.Float32:
		return float64(a.f32[p])
	case tensor.Float64:
		return a.f64[p]
	default:
		return float64(a.i64[p])
	}
}

func setAt(a *arr, p int, v float64) {
	switch a.dt {
	case tensor.Float32:
		a.f32[p] = float32(v)
	case tensor.Float64:
		a.f64[p] = v
	default:
		a.i64[p] = int64(v)
	}
}
