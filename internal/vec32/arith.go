package vec32

// The fused kernel's cheap elementwise ops, float32 throughout (one IEEE
// operation per element, so any order of lanes gives the same bits).

// Add is dst[i] = a[i] + b[i].
func Add(dst, a, b []float32) { split2(dst, a, b, addAVX2, addGo) }

// Mul is dst[i] = a[i] * b[i].
func Mul(dst, a, b []float32) { split2(dst, a, b, mulAVX2, mulGo) }

// AddTo is dst[i] += a[i].
func AddTo(dst, a []float32) { split(dst, a, addToAVX2, addToGo) }

// Scale is dst[i] = a[i] * f.
func Scale(dst, a []float32, f float32) { splitArg(dst, a, f, scaleAVX2, scaleGo) }

// Relu is dst[i] = max(a[i], 0): NaN stays NaN, -0 becomes +0.
func Relu(dst, a []float32) { split(dst, a, reluAVX2, reluGo) }

// Neg is dst[i] = -a[i] (the sign bit flipped, NaN and ±0 included).
func Neg(dst, a []float32) { split(dst, a, negAVX2, negGo) }
