package runtime

import (
	goruntime "runtime"

	"github.com/circopt/circopt/internal/gang"
	"github.com/circopt/circopt/internal/rowloop"
	"github.com/circopt/circopt/tensor"
)

// Kernels walk their operands with rowloop.Loop (coalesced axes,
// innermost rows) and split its row range across goroutines with parFor.

// parallelGrain is the number of elements below which splitting a kernel
// across goroutines costs more than it saves.
const parallelGrain = 1 << 12

// workers is the number of goroutines a kernel may use: GOMAXPROCS.
func workers() int { return max(1, goruntime.GOMAXPROCS(0)) }

// chunksPerWorker is how many chunks parFor cuts per goroutine: chunks are
// handed out on demand, so a goroutine that starts late (waking an idle
// vCPU can take 100 µs) or shares its core takes fewer of them.
const chunksPerWorker = 4

// parFor runs f over [0,n) in contiguous chunks, in parallel when the total
// work (n items of cost elements each) is large enough: on the caller and
// gang's helpers, which take chunks from one counter, so a split never
// waits for a helper that has yet to wake. Chunk boundaries depend only on
// n and the worker count, so results are deterministic.
func parFor(n, cost int, f func(lo, hi int)) {
	w := workers()
	if n <= 1 || w == 1 || n*max(cost, 1) < 2*parallelGrain {
		f(0, n)
		return
	}
	chunks := min(w*chunksPerWorker, n, n*max(cost, 1)/parallelGrain)
	if chunks <= 1 {
		f(0, n)
		return
	}
	gang.For(chunks, func(c int) {
		lo, hi := rowloop.SplitRange(0, n, chunks, c)
		f(lo, hi)
	})
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
	l := rowloop.New(dst.shape, dst.strides, src.strides)
	d, s := data[T](dst), data[T](src)
	n, id, is := l.RowLen(), l.Stride(0), l.Stride(1)
	parFor(l.Rows(), n, func(lo, hi int) {
		l.Each(lo, hi, []int{dst.off, src.off}, func(o []int) {
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
	l := rowloop.New(dst.shape, dst.strides, src.strides)
	n, id, is := l.RowLen(), l.Stride(0), l.Stride(1)
	l.Each(0, l.Rows(), []int{dst.off, src.off}, func(o []int) {
		for i := 0; i < n; i++ {
			setAt(dst, o[0]+i*id, getAt(src, o[1]+i*is))
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
