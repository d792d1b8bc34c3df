package vec32

import "math"

// RowsMaxD is the longest row SoftmaxRows takes. The block path was
// measured faster than the per-row kernels up to rows of 256 (vec32's
// BenchmarkSoftmaxRows, in cache, one thread: 1.4-1.6× at 128, 1.1-1.5×
// at 256; and on day 3's [2000,32,256] log_softmax, out of cache, 15.0 ->
// 12.0 ms, softmax 15.0 -> 14.2 ms, medians of 5 alternating); the stack
// buffer is then 4 KiB.
const RowsMaxD = 256

// rowsBlock bounds the rows of one kernel call (its per-row max and sum
// buffers live on the stack).
const rowsBlock = 256

// RowsPerBlock is how many rows of d SoftmaxRows does per kernel call
// (about 1024 elements); callers splitting rows over goroutines split by
// whole blocks.
func RowsPerBlock(d int) int { return max(1, min(rowsBlock, 1024/d)) }

// RowsFast says SoftmaxRows has its vector kernel here (AVX-512);
// elsewhere it runs Go loops, slower than the per-row kernels.
func RowsFast() bool { return useAVX512 && hasAVX512VL }

// SoftmaxRows writes softmax (log false) or log_softmax of the rows
// a[offs[r]:offs[r]+d] into dst[r*d:(r+1)*d], 1 ≤ d ≤ RowsMaxD, with
// exactly the per-row kernels' bits (Max; ExpStore then MulF64 by 1/sum,
// or ExpSum then SubF64 of m + log sum), NaN as NaN: the same maximum
// (in a row holding a NaN, whose outputs are all NaN, any), each
// e = Exp64(max(float64(x) − m, −150)), the same four interleaved float64
// partial sums, the same last step. The AVX-512 kernel does a block of
// rows in one call (no per-row dispatch); log_softmax's m + log s and its
// subtraction then run here, math.Log having no vector form.
func SoftmaxRows(dst, a []float32, offs []int, d int, log bool) {
	if d < 1 || d > RowsMaxD {
		panic("vec32: SoftmaxRows row length out of range")
	}
	dst = dst[:len(offs)*d]
	for _, p := range offs {
		_ = a[p : p+d] // every row in range before the kernel reads it
	}
	if !RowsFast() {
		softmaxRowsGo(dst, a, offs, d, log)
		return
	}
	fullBytes, lastMask, fullMask, rem := rowsChunks(d)
	var ms, ss [rowsBlock]float64
	var t [2 * RowsMaxD]float64 // two rows' float32(e) (softmax)
	tp := &t
	if log {
		tp = nil
	}
	per := RowsPerBlock(d)
	for r0 := 0; r0 < len(offs); r0 += per {
		rows := offs[r0:min(r0+per, len(offs))]
		out := dst[r0*d : (r0+len(rows))*d]
		softmaxRowsAVX512(out, a, rows, ms[:], ss[:], tp, fullBytes, lastMask, fullMask, rem, d)
		if !log {
			continue
		}
		for r := range rows {
			ms[r] += math.Log(ss[r]) // m + log s, the row's offset
		}
		subRowsAVX512(out, a, rows, ms[:], fullBytes, lastMask, d)
	}
}

// rowsChunks is how the kernels walk a row of d in chunks of eight: the
// bytes of its whole chunks before the last (possibly whole) one, that
// chunk's elements and its elements in whole groups of four as lane masks,
// and where the last d%4 sit (0 nowhere, 1 the last chunk's low four, 2
// its high four).
func rowsChunks(d int) (fullBytes, lastMask, fullMask, rem int) {
	full := (d - 1) / 8
	last := d - 8*full
	if last%4 != 0 {
		rem = 1 + last/4
	}
	return 32 * full, 1<<last - 1, 1<<(last&^3) - 1, rem
}

// softmaxRowsGo is SoftmaxRows one row at a time in Go: the per-row
// kernels' Go forms, without their dispatch.
func softmaxRowsGo(dst, a []float32, offs []int, d int, log bool) {
	for r, p := range offs {
		x, o := a[p:p+d], dst[r*d:r*d+d]
		m := float64(maxGo(x, float32(math.Inf(-1))))
		if log {
			ls := m + math.Log(expSumGo(x, m, 0, [4]float64{}))
			subF64Go(o, x, ls)
			continue
		}
		s := expStoreGo(o, x, m, 0, [4]float64{})
		mulF64Go(o, o, 1/s)
	}
}
