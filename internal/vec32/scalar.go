package vec32

import "math"

// The element functions: float32 exp, sigmoid, tanh, log and gelu_new.
// Each evaluates in float64 with a short polynomial (no math.Exp/math.Log
// call, no special-case dispatch on the common path) and rounds once to
// float32, so the result is within 1 ulp of the correctly rounded value.
// Special values follow math: NaN stays NaN, exp(+Inf)=+Inf, exp(-Inf)=0,
// log(0)=-Inf, log(x<0)=NaN, tanh(±Inf)=±1. They are the reference the
// slice kernels match bit for bit: every product that feeds an addition is
// converted with float64(...) so the compiler cannot fuse the two.

const (
	log2e   = 1.4426950408889634
	ln2Hi   = 6.93147180369123816490e-01 // ln 2 split so k·ln2Hi is exact for |k| < 2^20
	ln2Lo   = 1.90821492927058770002e-10
	shifter = 0x1.8p52 // adding it rounds a float64 below 2^51 to an integer
)

// Exp64 is e^x for |x| ≤ 150 (the range whose float32 result is neither
// +Inf nor 0; the scaling holds to |x| ≈ 700), to about 1e-8 relative:
// x = k·ln2 + r with |r| ≤ ln2/2 (k rounded by the 1.5·2^52 shifter:
// math.Round is not an intrinsic), e^r by its degree-7 Taylor polynomial
// (remainder below 5.3e-9 relative, under 0.1 float32 ulp), scaled by 2^k
// through the exponent bits. k·ln2Hi and the final scaling are exact, so
// they need no conversion against fusion; the other products do. Small
// enough (inlining cost 80, the budget) to inline into the slice loops.
func Exp64(x float64) float64 {
	k := (float64(x*log2e) + shifter) - shifter
	r := (x - k*ln2Hi) - float64(k*ln2Lo)
	p := 1 + float64(r*(1+float64(r*(1.0/2+float64(r*(1.0/6+float64(r*(1.0/24+float64(r*(1.0/120+float64(r*(1.0/720+float64(r*(1.0/5040))))))))))))))
	return p * math.Float64frombits(uint64(k+1023)<<52)
}

// Exp is e^x rounded to float32. Branch-free: clamped to [-150, 89],
// beyond which the float32 result is 0 or +Inf anyway (e^89 overflows
// float32 when rounded), NaN passing through.
func Exp(x float32) float32 {
	return float32(Exp64(max(min(float64(x), 89), -150)))
}

// Sigmoid is 1/(1+e^-x) rounded to float32; for x < -150 the true value
// is below float32's smallest denormal and the result is 0, for x > 150 it
// is 1. Branch-free: the clamp keeps e^-x finite (NaN passes through it
// and through the arithmetic).
func Sigmoid(x float32) float32 {
	c := max(min(float64(x), 150), -150)
	return float32(1 / (1 + Exp64(-c)))
}

// Tanh is tanh x rounded to float32: an odd polynomial near 0 (where
// 1-2/(e^2x+1) would cancel), else that formula with |x| clamped to 10
// (1-tanh 10 < 2^-27, so the result is ±1 beyond); NaN passes through the
// arithmetic.
func Tanh(x float32) float32 {
	v := float64(x)
	m := math.Abs(v)
	var t float64
	if m < 0.01 {
		m2 := m * m
		q := 2.0/15 + float64(m2*(-17.0/315))
		q = -1.0/3 + float64(m2*q)
		t = m * (1 + float64(m2*q))
	} else {
		t = 1 - 2/(Exp64(2*min(m, 10))+1)
	}
	return float32(math.Copysign(t, v)) // keeps -0
}

// Log is ln x rounded to float32: x = m·2^e with m in [√½, √2),
// ln m = 2 atanh(f) for f = (m-1)/(m+1) (|f| ≤ 0.172) by its series to
// f^15 (remainder below 1e-13 relative), plus e·ln2. float32 denormals are
// normal float64 numbers, so they need no special case.
func Log(x float32) float32 {
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
	q := 1.0/13 + float64(f2*(1.0/15)) // Horner's rule, innermost first
	q = 1.0/11 + float64(f2*q)
	q = 1.0/9 + float64(f2*q)
	q = 1.0/7 + float64(f2*q)
	q = 1.0/5 + float64(f2*q)
	q = 1.0/3 + float64(f2*q)
	q = 1 + float64(f2*q)
	s := 2 * f * q
	return float32(float64(float64(e)*ln2Hi) + (s + float64(float64(e)*ln2Lo)))
}

// GeluNewC is √(2/π), gelu_new's scale.
const GeluNewC = 0.7978845608028654

// GeluNew is GPT-2's gelu_new, ½x(1+tanh u) with u = √(2/π)(x+0.044715x³),
// rounded to float32, computed as x/(1+e^(-2u)) (the same function: ½(1+tanh u)
// is the sigmoid of 2u), which does not cancel where tanh u ≈ -1: for
// x ≲ -5.5 the float64 formula's 1+tanh u keeps few correct bits, this keeps
// all. -2u is clamped to [-150, 300] (beyond, the result is x, or below
// float32's smallest denormal even for x = -MaxFloat32: Exp64's scaling
// holds to |y| ≈ 700), NaN passing through; x = -Inf gives NaN as
// ½x(1+tanh u) does (-Inf·0).
func GeluNew(x float32) float32 {
	v := float64(x)
	if math.IsInf(v, -1) {
		return float32(math.NaN())
	}
	u := GeluNewC * (v + float64(0.044715*v*v*v))
	return float32(v / (1 + Exp64(max(min(-2*u, 300), -150))))
}
