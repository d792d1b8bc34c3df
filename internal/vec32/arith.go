package vec32

// The fused kernel's cheap elementwise ops, float32 throughout (one IEEE
// operation per element, so any order of lanes gives the same bits).

// Add is dst[i] = a[i] + b[i].
func Add(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	n := 0
	if useAVX2 {
		if n = len(dst) &^ 7; n > 0 {
			addAVX2(dst[:n], a[:n], b[:n])
		}
	}
	addGo(dst[n:], a[n:], b[n:])
}

// Mul is dst[i] = a[i] * b[i].
func Mul(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	n := 0
	if useAVX2 {
		if n = len(dst) &^ 7; n > 0 {
			mulAVX2(dst[:n], a[:n], b[:n])
		}
	}
	mulGo(dst[n:], a[n:], b[n:])
}

// AddTo is dst[i] += a[i].
func AddTo(dst, a []float32) { split(dst, a, addToAVX2, addToGo) }

// Scale is dst[i] = a[i] * f.
func Scale(dst, a []float32, f float32) {
	a = a[:len(dst)]
	n := 0
	if useAVX2 {
		if n = len(dst) &^ 7; n > 0 {
			scaleAVX2(dst[:n], a[:n], f)
		}
	}
	scaleGo(dst[n:], a[n:], f)
}

// Relu is dst[i] = max(a[i], 0): NaN stays NaN, -0 becomes +0.
func Relu(dst, a []float32) { split(dst, a, reluAVX2, reluGo) }

// Neg is dst[i] = -a[i] (the sign bit flipped, NaN and ±0 included).
func Neg(dst, a []float32) { split(dst, a, negAVX2, negGo) }
