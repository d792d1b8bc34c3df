package vec32

import "math"

// The pure-Go slice kernels: the whole job on CPUs without AVX2, the last
// len%8 elements on those with it. Each computes its element function.

func expsGo(dst, a []float32) {
	a = a[:len(dst)]
	for i, x := range a {
		dst[i] = float32(Exp64(max(min(float64(x), 89), -150)))
	}
}

func sigmoidsGo(dst, a []float32) {
	a = a[:len(dst)]
	for i, x := range a {
		c := max(min(float64(x), 150), -150)
		dst[i] = float32(1 / (1 + Exp64(-c)))
	}
}

// tanhsGo and geluNewsGo have their element function's body written out
// in the loop: called per element, the function's first conversion
// (CVTSS2SD) merges into a register the previous call's last instruction
// wrote, chaining every element's latency (30 ns an element against 6).
func tanhsGo(dst, a []float32) {
	a = a[:len(dst)]
	for i, x := range a {
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
		dst[i] = float32(math.Copysign(t, v))
	}
}

func geluNewsGo(dst, a []float32) {
	a = a[:len(dst)]
	for i, x := range a {
		v := float64(x)
		if math.IsInf(v, -1) {
			dst[i] = float32(math.NaN())
			continue
		}
		u := GeluNewC * (v + float64(0.044715*v*v*v))
		dst[i] = float32(v / (1 + Exp64(max(min(-2*u, 300), -150))))
	}
}

func logsGo(dst, a []float32) {
	a = a[:len(dst)]
	for i, x := range a {
		dst[i] = Log(x)
	}
}

// expSumGo continues ExpSum's four partial sums s from r[i:]: whole
// groups of four go one to each sum, the last len%4 to s[0].
func expSumGo(r []float32, m float64, i int, s [4]float64) float64 {
	for ; i+4 <= len(r); i += 4 {
		s[0] += Exp64(max(float64(r[i])-m, -150))
		s[1] += Exp64(max(float64(r[i+1])-m, -150))
		s[2] += Exp64(max(float64(r[i+2])-m, -150))
		s[3] += Exp64(max(float64(r[i+3])-m, -150))
	}
	for ; i < len(r); i++ {
		s[0] += Exp64(max(float64(r[i])-m, -150))
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}

// expStoreGo is expSumGo that also stores each e^(x-m), rounded, in dst.
func expStoreGo(dst, r []float32, m float64, i int, s [4]float64) float64 {
	r = r[:len(dst)]
	for ; i+4 <= len(r); i += 4 {
		e0 := Exp64(max(float64(r[i])-m, -150))
		e1 := Exp64(max(float64(r[i+1])-m, -150))
		e2 := Exp64(max(float64(r[i+2])-m, -150))
		e3 := Exp64(max(float64(r[i+3])-m, -150))
		s[0], s[1], s[2], s[3] = s[0]+e0, s[1]+e1, s[2]+e2, s[3]+e3
		dst[i], dst[i+1], dst[i+2], dst[i+3] = float32(e0), float32(e1), float32(e2), float32(e3)
	}
	for ; i < len(r); i++ {
		e := Exp64(max(float64(r[i])-m, -150))
		s[0] += e
		dst[i] = float32(e)
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}

func addGo(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func addToGo(dst, a []float32) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] += a[i]
	}
}

func mulGo(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

func scaleGo(dst, a []float32, f float32) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * f
	}
}

// reluGo is max(x, 0): branch-free (a data-dependent branch mispredicts on
// mixed signs), NaN stays NaN and -0 becomes +0.
func reluGo(dst, a []float32) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = max(a[i], 0)
	}
}

func negGo(dst, a []float32) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = -a[i]
	}
}

func mulF64Go(dst, a []float32, f float64) {
	a = a[:len(dst)]
	for i, x := range a {
		dst[i] = float32(float64(x) * f)
	}
}

func subF64Go(dst, a []float32, f float64) {
	a = a[:len(dst)]
	for i, x := range a {
		dst[i] = float32(float64(x) - f)
	}
}

// maxGo continues Max from m over r: four independent running maxima
// (max is associative and commutative, NaN and ±0 included, so the
// result is the one-at-a-time loop's, without its chain of dependent
// compares).
func maxGo(r []float32, m float32) float32 {
	m0, m1, m2, m3 := m, m, m, m
	i := 0
	for ; i+4 <= len(r); i += 4 {
		m0, m1, m2, m3 = max(m0, r[i]), max(m1, r[i+1]), max(m2, r[i+2]), max(m3, r[i+3])
	}
	for ; i < len(r); i++ {
		m0 = max(m0, r[i])
	}
	return max(max(m0, m1), max(m2, m3))
}
