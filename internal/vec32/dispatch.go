package vec32

// The dispatchers: the vector kernel on the first len(dst)&^7 elements
// when the CPU has AVX2 (useAVX2), the Go kernel on the rest (all of them
// otherwise); split512 puts an AVX-512 kernel in front. Operands are cut to len(dst) first, so a short one panics in
// Go, never in assembly.

func split(dst, a []float32, vec, gen func(dst, a []float32)) {
	a = a[:len(dst)]
	n := 0
	if useAVX2 {
		if n = len(dst) &^ 7; n > 0 {
			vec(dst[:n], a[:n])
		}
	}
	gen(dst[n:], a[n:])
}

// split512 is split with an AVX-512 kernel first, on the first
// len(dst)&^15 elements when the CPU has AVX-512; the AVX2 one takes a
// remaining 8.
func split512(dst, a []float32, vec512, vec, gen func(dst, a []float32)) {
	a = a[:len(dst)]
	n := 0
	if useAVX512 {
		if n = len(dst) &^ 15; n > 0 {
			vec512(dst[:n], a[:n])
		}
	}
	split(dst[n:], a[n:], vec, gen)
}

// splitArg is split for kernels with a scalar argument f.
func splitArg[F float32 | float64](dst, a []float32, f F, vec, gen func(dst, a []float32, f F)) {
	a = a[:len(dst)]
	n := 0
	if useAVX2 {
		if n = len(dst) &^ 7; n > 0 {
			vec(dst[:n], a[:n], f)
		}
	}
	gen(dst[n:], a[n:], f)
}

// split2 is split for two-operand kernels.
func split2(dst, a, b []float32, vec, gen func(dst, a, b []float32)) {
	a, b = a[:len(dst)], b[:len(dst)]
	n := 0
	if useAVX2 {
		if n = len(dst) &^ 7; n > 0 {
			vec(dst[:n], a[:n], b[:n])
		}
	}
	gen(dst[n:], a[n:], b[n:])
}
