package vec32

import (
	"encoding/binary"
	"math"
	"testing"
)

// floats reads data as little-endian float32s (any bit pattern: NaNs,
// denormals, infinities), the trailing len%4 bytes dropped.
func floats(data []byte) []float32 {
	out := make([]float32, len(data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out
}

func seedBytes(xs ...float32) []byte {
	b := make([]byte, 4*len(xs))
	for i, x := range xs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func addSeeds(f *testing.F, extra ...any) {
	inf := float32(math.Inf(1))
	for _, s := range [][]float32{
		{},
		{1, 2, 3, 4, 5, 6, 7, 8, 9},
		{0, float32(math.Copysign(0, -1)), float32(math.NaN()), inf, -inf, math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32,
			150, -150, 89, 88.72, -88.72, 0.01, -0.009, 10, 300, -5.5},
	} {
		f.Add(append([]any{seedBytes(s...)}, extra...)...)
	}
}

// FuzzUnary: every one-operand kernel (vector where the CPU has it, the
// Go kernels on the last len%8) against its element function, bit for
// bit, on the fuzzer's bit patterns, also at an odd offset.
func FuzzUnary(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		in := floats(data)
		for _, k := range unaries {
			for _, a := range [][]float32{in, in[min(len(in), 3):]} {
				dst := make([]float32, len(a))
				k.slice(dst, a)
				for i, x := range a {
					if w := k.elem(x); !same32(dst[i], w) {
						t.Fatalf("%s(%g = %#x) = %g, element function says %g", k.name, x, math.Float32bits(x), dst[i], w)
					}
				}
			}
		}
	})
}

// FuzzBinary: add, mul and addTo against float32 arithmetic, the second
// operand being the first reversed.
func FuzzBinary(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a := floats(data)
		b := make([]float32, len(a))
		for i := range a {
			b[i] = a[len(a)-1-i]
		}
		for _, k := range binaries {
			dst := make([]float32, len(a))
			k.slice(dst, a, b)
			for i := range a {
				if w := k.elem(a[i], b[i]); !same32(dst[i], w) {
					t.Fatalf("%s(%g, %g) = %g, want %g", k.name, a[i], b[i], dst[i], w)
				}
			}
		}
	})
}

// FuzzExpSum: Max against Go's max one at a time, ExpSum and ExpStore
// against their definition (expSumRef)
// with m the row's maximum or the fuzzer's m (skipped when some finite
// x-m leaves Exp64's range).
func FuzzExpSum(f *testing.F) {
	addSeeds(f, 0.0)
	f.Add(seedBytes(-3, 1, 2, 0.5, 7, 7, -100, 3, 2, 1), 7.0)
	f.Fuzz(func(t *testing.T, data []byte, m float64) {
		r := floats(data)
		if got, want := Max(r), maxRef(r); !same32(got, want) {
			t.Fatalf("Max = %g, want %g", got, want)
		}
		mx, mf := math.Inf(-1), math.Inf(-1) // the maximum (NaN if any is), the finite maximum
		for _, x := range r {
			mx = max(mx, float64(x))
			if x == x && !math.IsInf(float64(x), 0) {
				mf = max(mf, float64(x))
			}
		}
		for _, m := range []float64{mx, m} {
			if mf-m > 700 {
				continue
			}
			want := make([]float32, len(r))
			ws := expSumRef(want, r, m)
			if s := ExpSum(r, m); !same64(s, ws) {
				t.Fatalf("ExpSum(m=%g) = %g, want %g", m, s, ws)
			}
			got := make([]float32, len(r))
			if s := ExpStore(got, r, m); !same64(s, ws) {
				t.Fatalf("ExpStore(m=%g) = %g, want %g", m, s, ws)
			}
			for i := range got {
				if !same32(got[i], want[i]) {
					t.Fatalf("ExpStore(m=%g) [%d] = %g, want %g", m, i, got[i], want[i])
				}
			}
		}
	})
}

// FuzzSoftmaxRows: SoftmaxRows against the per-row kernels, bit for bit
// (NaN as NaN), on rows of the fuzzer's bit patterns: d from the fuzzer
// (1..RowsMaxD), rows back to back, also shifted by one element so the
// rows overlap in a; with the vector kernel where the CPU has it and in Go.
func FuzzSoftmaxRows(f *testing.F) {
	addSeeds(f, uint8(3))
	f.Add(seedBytes(-3, 1, 2, 0.5, 7, 7, -100, 3, 2, 1, float32(math.Inf(-1)), 0), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, dd uint8) {
		a := floats(data)
		d := 1 + int(dd)%RowsMaxD
		if len(a) < d {
			return
		}
		for _, step := range []int{d, 1} {
			var offs []int
			for p := 0; p+d <= len(a); p += step {
				offs = append(offs, p)
			}
			want := make([]float32, len(offs)*d)
			for _, log := range []bool{false, true} {
				for r, p := range offs {
					softmaxRowRef(want[r*d:r*d+d], a[p:p+d], log)
				}
				for _, vector := range []bool{true, false} {
					saved := useAVX512
					useAVX512 = saved && vector
					got := make([]float32, len(want))
					SoftmaxRows(got, a, offs, d, log)
					useAVX512 = saved
					for i := range got {
						if !same32(got[i], want[i]) {
							r := i / d
							t.Fatalf("d=%d log=%v vector=%v row %v: [%d] = %g, per-row kernels give %g", d, log, vector, a[offs[r]:offs[r]+d], i%d, got[i], want[i])
						}
					}
				}
			}
		}
	})
}
