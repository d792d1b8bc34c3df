package runtime

import "math"

// float32 exp, sigmoid, tanh and log for float32 runs. Each evaluates in
// float64 with a short polynomial (no math.Exp/math.Log call, no
// special-case dispatch on the common path) and rounds once to float32, so
// the result is within 1 ulp of the correctly rounded value (mathf32_test.go
// checks ≤ 2 ulp against float64 math over random, extreme and special
// inputs). Special values follow math: NaN stays NaN, exp(+Inf)=+Inf,
// exp(-Inf)=0, log(0)=-Inf, log(x<0)=NaN, tanh(±Inf)=±1.

const (
	log2e = 1.4426950408889634
	ln2Hi = 6.93147180369123816490e-01 // ln 2 split so k·ln2Hi is exact for |k| < 2^20
	ln2Lo = 1.90821492927058770002e-10
)

// exp64Small is e^x for |x| ≤ 150 (the range whose float32 result is
// neither +Inf nor 0), to about 1e-8 relative: x = k·ln2 + r with
// |r| ≤ ln2/2 (k rounded by the 1.5·2^52 shifter: math.Round is not an
// intrinsic), e^r by its degree-7 Taylor polynomial (remainder below
// 5.3e-9 relative, under 0.1 float32 ulp), scaled by 2^k through the
// exponent bits. Small enough to inline into the slice loops below.
func exp64Small(x float64) float64 {
	const shifter = 0x1.8p52
	k := (x*log2e + shifter) - shifter
	r := (x - k*ln2Hi) - k*ln2Lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	return p * math.Float64frombits(uint64(int64(k)+1023)<<52)
}

// exp32 is e^x rounded to float32. Branch-free: clamped to [-150, 89],
// beyond which the float32 result is 0 or +Inf anyway (e^89 overflows
// float32 when rounded), NaN passing through.
func exp32(x float32) float32 {
	return float32(exp64Small(max(min(float64(x), 89), -150)))
}

// exp32s is dst[i] = exp32(a[i]), with exp64Small inlined.
func exp32s(dst, a []float32) {
	a = a[:len(dst)]
	for i, x := range a {
		dst[i] = float32(exp64Small(max(min(float64(x), 89), -150)))
	}
}

// sigmoid32 is 1/(1+e^-x) rounded to float32; for x < -150 the true value
// is below float32's smallest denormal and the result is 0, for x > 150 it
// is 1. Branch-free: the clamp keeps e^-x finite (NaN passes through it
// and through the arithmetic).
func sigmoid32(x float32) float32 {
	c := max(min(float64(x), 150), -150)
	return float32(1 / (1 + exp64Small(-c)))
}

// sigmoid32s is dst[i] = sigmoid32(a[i]), with exp64Small inlined.
func sigmoid32s(dst, a []float32) {
	a = a[:len(dst)]
	for i, x := range a {
		c := max(min(float64(x), 150), -150)
		dst[i] = float32(1 / (1 + exp64Small(-c)))
	}
}

// tanh32 is tanh x rounded to float32: an odd polynomial near 0 (where
// 1-2/(e^2x+1) would cancel), else that formula with |x| clamped to 10
// (1-tanh 10 < 2^-27, so the result is ±1 beyond) instead of a
// data-dependent branch; NaN passes through the arithmetic.
func tanh32(x float32) float32 {
	a := math.Abs(float64(x))
	var t float64
	if a < 0.01 {
		a2 := a * a
		t = a * (1 + a2*(-1.0/3+a2*(2.0/15+a2*(-17.0/315))))
	} else {
		t = 1 - 2/(exp64Small(2*min(a, 10))+1)
	}
	return float32(math.Copysign(t, float64(x))) // keeps -0
}

// log32 is ln x rounded to float32: x = m·2^e with m in [√½, √2),
// ln m = 2 atanh(f) for f = (m-1)/(m+1) (|f| ≤ 0.172) by its series to
// f^15 (remainder below 1e-13 relative), plus e·ln2. float32 denormals are
// normal float64 numbers, so they need no special case.
func log32(x float32) float32 {
	switch {
	case x > 0 && x <= math.MaxFloat32:
	case x == 0:
		return float32(math.Inf(-1))
	case x != x || x < 0:
		return float32(math.NaN())
	default: // +Inf
		return x
	}
	b := math.Float64bits(float64(x))
	e := int64(b>>52) - 1023
	m := math.Float64frombits(b&(1<<52-1) | 1023<<52) // [1, 2)
	if m > math.Sqrt2 {
		m /= 2
		e++
	}
	f := (m - 1) / (m + 1)
	f2 := f * f
	s := 2 * f * (1 + f2*(1.0/3+f2*(1.0/5+f2*(1.0/7+f2*(1.0/9+f2*(1.0/11+f2*(1.0/13+f2*(1.0/15))))))))
	return float32(float64(e)*ln2Hi + (s + float64(e)*ln2Lo))
}

// tanh32s and log32s are the slice forms of tanh32 and log32.
//
// tanh32s has tanh32's body written out in the loop: called per element,
// tanh32's first conversion (CVTSS2SD) merges into a register the previous
// call's last instruction wrote, chaining every element's latency (30 ns
// an element against 6 for the loop).
func tanh32s(dst, a []float32) {
	a = a[:len(dst)]
	for i, x := range a {
		v := float64(x)
		m := math.Abs(v)
		var t float64
		if m < 0.01 {
			m2 := m * m
			t = m * (1 + m2*(-1.0/3+m2*(2.0/15+m2*(-17.0/315))))
		} else {
			t = 1 - 2/(exp64Small(2*min(m, 10))+1)
		}
		dst[i] = float32(math.Copysign(t, v))
	}
}

func log32s(dst, a []float32) {
	a = a[:len(dst)]
	for i, x := range a {
		dst[i] = log32(x)
	}
}

// geluNew32 is GPT-2's gelu_new, ½x(1+tanh u) with u = √(2/π)(x+0.044715x³),
// rounded to float32, computed as x/(1+e^(-2u)) (the same function: ½(1+tanh u)
// is the sigmoid of 2u), which does not cancel where tanh u ≈ -1: for
// x ≲ -5.5 the float64 formula's 1+tanh u keeps few correct bits, this keeps
// all. -2u is clamped to [-150, 300] (beyond, the result is x, or below
// float32's smallest denormal even for x = -MaxFloat32: exp64Small's
// scaling holds to |y| ≈ 700), NaN passing through; x = -Inf gives NaN as ½x(1+tanh u)
// does (-Inf·0).
func geluNew32(x float32) float32 {
	v := float64(x)
	if math.IsInf(v, -1) {
		return float32(math.NaN())
	}
	u := geluNewC * (v + 0.044715*v*v*v)
	return float32(v / (1 + exp64Small(max(min(-2*u, 300), -150))))
}

const geluNewC = 0.7978845608028654 // √(2/π)

// geluNew32s is dst[i] = geluNew32(a[i]), with the body written out (see tanh32s).
func geluNew32s(dst, a []float32) {
	a = a[:len(dst)]
	for i, x := range a {
		v := float64(x)
		if math.IsInf(v, -1) {
			dst[i] = float32(math.NaN())
			continue
		}
		u := geluNewC * (v + 0.044715*v*v*v)
		dst[i] = float32(v / (1 + exp64Small(max(min(-2*u, 300), -150))))
	}
}
