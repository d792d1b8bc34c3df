package vec32

import (
	"math"
	"math/rand/v2"
	"testing"
)

// same32 is bitwise equality with every NaN equal to every NaN.
func same32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

func same64(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (a != a && b != b)
}

// inputs are the test inputs: special values, float32 denormals and
// extremes, the clamp boundaries and float32 overflow cutoffs with their
// neighbours, a sweep of [-200, 200], small magnitudes around 0, random
// values up to ±200 and random bit patterns.
func inputs() []float32 {
	in := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), -float32(math.NaN()),
		math.Float32frombits(0x7f800001), // signaling NaN
		float32(math.Inf(1)), float32(math.Inf(-1)),
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 1e-40, -1e-40, 1.1754942e-38, 1.1754944e-38,
		math.MaxFloat32, -math.MaxFloat32, 0.01, -0.01, 10, -10, 1, -1, 0.5, -0.5, 2}
	for _, c := range []float32{150, -150, 89, -89, 88.72, -88.72, 88.7228, 88.7229, -87.33, -103.97, -103.98, 300, -300, 10, 0.01, -5.5, 5.5} {
		in = append(in, c, math.Nextafter32(c, float32(math.Inf(1))), math.Nextafter32(c, float32(math.Inf(-1))))
	}
	for x := float32(-200); x <= 200; x += 0.0371 {
		in = append(in, x)
	}
	for x := float32(1e-30); x < 1; x *= 1.13 {
		in = append(in, x, -x)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		in = append(in, float32(rng.Float64()*400-200), float32(rng.NormFloat64()*0.01), math.Float32frombits(rng.Uint32()))
	}
	return in
}

// unaries are the one-operand slice kernels with their element functions.
var unaries = []struct {
	name  string
	slice func(dst, a []float32)
	elem  func(float32) float32
}{
	{"exp", Exps, Exp},
	{"sigmoid", Sigmoids, Sigmoid},
	{"tanh", Tanhs, Tanh},
	{"gelu_new", GeluNews, GeluNew},
	{"log", Logs, Log},
	{"relu", Relu, func(x float32) float32 { return max(x, 0) }},
	{"neg", Neg, func(x float32) float32 { return -x }},
	{"scale", func(dst, a []float32) { Scale(dst, a, -0.3711) }, func(x float32) float32 { return x * -0.3711 }},
	{"mulF64", func(dst, a []float32) { MulF64(dst, a, 1/7.3) }, func(x float32) float32 { return float32(float64(x) * (1 / 7.3)) }},
	{"subF64", func(dst, a []float32) { SubF64(dst, a, 3.0000001) }, func(x float32) float32 { return float32(float64(x) - 3.0000001) }},
}

// binaries are the two-operand ones; addTo reads dst as its first operand.
var binaries = []struct {
	name  string
	slice func(dst, a, b []float32)
	elem  func(a, b float32) float32
}{
	{"add", Add, func(a, b float32) float32 { return a + b }},
	{"mul", Mul, func(a, b float32) float32 { return a * b }},
	{"addTo", func(dst, a, b []float32) { copy(dst, a); AddTo(dst, b) }, func(a, b float32) float32 { return a + b }},
}

// paths runs f on every path the CPU has: the AVX-512 kernels (with
// AVX2 and Go for what they leave), AVX2 and Go, Go alone.
func paths(t *testing.T, f func(t *testing.T)) {
	saved2, saved512 := useAVX2, useAVX512
	defer func() { useAVX2, useAVX512 = saved2, saved512 }()
	if saved512 {
		t.Run("avx512", f)
	} else {
		t.Log("no AVX-512: its kernels do not run")
	}
	useAVX512 = false
	if saved2 {
		t.Run("avx2", f)
	} else {
		t.Log("no AVX2: only the Go kernels run")
	}
	useAVX2 = false
	t.Run("go", f)
}

const guard = 12345.678

// TestUnaryBits: every one-operand kernel equals its element function bit
// for bit on every input, every length 0..70 at offsets 0..7 (dst's guard
// elements beyond its length untouched), and with dst the same slice as a.
func TestUnaryBits(t *testing.T) {
	in := inputs()
	paths(t, func(t *testing.T) {
		for _, k := range unaries {
			got := make([]float32, len(in))
			k.slice(got, in)
			for i, x := range in {
				if w := k.elem(x); !same32(got[i], w) {
					t.Fatalf("%s(%g = %#x) = %g, element function says %g", k.name, x, math.Float32bits(x), got[i], w)
				}
			}
			for n := 0; n <= 70; n++ {
				for off := 0; off < 8; off++ {
					a := in[1000+off : 1000+off+n]
					buf := make([]float32, off+n+8)
					for i := range buf {
						buf[i] = guard
					}
					dst := buf[off : off+n]
					k.slice(dst, a)
					for i := range dst {
						if w := k.elem(a[i]); !same32(dst[i], w) {
							t.Fatalf("%s, len %d offset %d: [%d] = %g, want %g", k.name, n, off, i, dst[i], w)
						}
					}
					for i, g := range buf[off+n:] {
						if g != guard {
							t.Fatalf("%s, len %d offset %d: wrote %g past the end (+%d)", k.name, n, off, g, i)
						}
					}
				}
			}
			alias := append([]float32(nil), in...)
			k.slice(alias, alias)
			for i := range alias {
				if !same32(alias[i], got[i]) {
					t.Fatalf("%s in place: [%d] = %g, want %g", k.name, i, alias[i], got[i])
				}
			}
		}
	})
}

// TestBinaryBits: the same for add, mul and addTo, with the second operand
// a shifted copy of the inputs (so specials meet ordinary values).
func TestBinaryBits(t *testing.T) {
	in := inputs()
	b := append(append([]float32(nil), in[777:]...), in[:777]...)
	paths(t, func(t *testing.T) {
		for _, k := range binaries {
			got := make([]float32, len(in))
			k.slice(got, in, b)
			for i := range in {
				if w := k.elem(in[i], b[i]); !same32(got[i], w) {
					t.Fatalf("%s(%g, %g) = %g, want %g", k.name, in[i], b[i], got[i], w)
				}
			}
			for n := 0; n <= 70; n++ {
				for off := 0; off < 8; off++ {
					buf := make([]float32, off+n+8)
					for i := range buf {
						buf[i] = guard
					}
					dst := buf[off : off+n]
					x, y := in[500+off:500+off+n], b[3+2*off:3+2*off+n]
					k.slice(dst, x, y)
					for i := range dst {
						if w := k.elem(x[i], y[i]); !same32(dst[i], w) {
							t.Fatalf("%s, len %d offset %d: [%d] = %g, want %g", k.name, n, off, i, dst[i], w)
						}
					}
					for _, g := range buf[off+n:] {
						if g != guard {
							t.Fatalf("%s, len %d offset %d: wrote past the end", k.name, n, off)
						}
					}
				}
			}
		}
		// dst the same slice as a, as the runtime's fused kernel never
		// does but callers may.
		d := append([]float32(nil), in...)
		Add(d, d, b)
		for i := range d {
			if !same32(d[i], in[i]+b[i]) {
				t.Fatalf("add in place: [%d] = %g, want %g", i, d[i], in[i]+b[i])
			}
		}
	})
}

// expSumRef is ExpSum's definition written out: e^(x-m) as Exp64 of the
// clamped difference, element i to partial sum i%4 while whole groups of
// four remain, the rest to sum 0, then (s0+s1)+(s2+s3).
func expSumRef(dst, r []float32, m float64) float64 {
	var s [4]float64
	g := len(r) &^ 3
	for i, x := range r {
		e := Exp64(max(float64(x)-m, -150))
		if i < g {
			s[i%4] += e
		} else {
			s[0] += e
		}
		if dst != nil {
			dst[i] = float32(e)
		}
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}

// TestExpSumBits: ExpSum and ExpStore equal their definition bit for bit
// (sum and stored values) for rows of every length 0..70 at offsets 0..7,
// with m the row's maximum, a value inside the row, ±Inf and NaN, and on
// long rows of random, special and huge values.
func TestExpSumBits(t *testing.T) {
	in := inputs()
	rng := rand.New(rand.NewPCG(5, 6))
	paths(t, func(t *testing.T) {
		check := func(r []float32, m float64, what string) {
			want := expSumRef(nil, r, m)
			if got := ExpSum(r, m); !same64(got, want) {
				t.Fatalf("ExpSum(%s, m=%g) = %g, want %g", what, m, got, want)
			}
			wd, gd := make([]float32, len(r)), make([]float32, len(r)+8)
			for i := range gd {
				gd[i] = guard
			}
			expSumRef(wd, r, m)
			if got := ExpStore(gd[:len(r)], r, m); !same64(got, want) {
				t.Fatalf("ExpStore(%s, m=%g) = %g, want %g", what, m, got, want)
			}
			for i := range wd {
				if !same32(gd[i], wd[i]) {
					t.Fatalf("ExpStore(%s, m=%g) stored [%d] = %g, want %g", what, m, i, gd[i], wd[i])
				}
			}
			for _, g := range gd[len(r):] {
				if g != guard {
					t.Fatalf("ExpStore(%s) wrote past the end", what)
				}
			}
		}
		for n := 0; n <= 70; n++ {
			for off := 0; off < 8; off++ {
				r := make([]float32, off+n)[off:]
				for i := range r {
					r[i] = float32(rng.NormFloat64() * 20)
				}
				mx := float64(float32(math.Inf(-1)))
				for _, x := range r {
					mx = max(mx, float64(x))
				}
				inner := 0.0
				if n > 0 {
					inner = float64(r[n/2])
				}
				for _, m := range []float64{mx, inner, math.Inf(1), math.Inf(-1), math.NaN(), 0} {
					check(r, m, "random row")
				}
			}
		}
		for _, m := range []float64{math.MaxFloat32, math.Inf(1)} {
			check(in, m, "inputs")
		}
		// Below the maximum, x-m must stay within Exp64's range.
		var near []float32
		for _, x := range in {
			if !(math.Abs(float64(x)) > 500 && !math.IsInf(float64(x), 0)) {
				near = append(near, x)
			}
		}
		for _, m := range []float64{0, 88.5, -150, 200} {
			check(near, m, "inputs within ±500")
		}
	})
}

// TestGoKernelsMatchVector: on an AVX2 machine, the Go kernels and the
// vector ones give the same bits on the same long input (each is also
// checked against the element functions above; this is the direct
// comparison of the two paths).
func TestGoKernelsMatchVector(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	saved := useAVX512
	defer func() { useAVX512 = saved }()
	useAVX512 = false // the AVX2 kernels here; TestVector512MatchesAVX2 compares those
	in := inputs()
	vec, gen := make([]float32, len(in)), make([]float32, len(in))
	for _, k := range []struct {
		name     string
		vec, gen func(dst, a []float32)
	}{{"exp", Exps, expsGo}, {"sigmoid", Sigmoids, sigmoidsGo}, {"tanh", Tanhs, tanhsGo}, {"gelu_new", GeluNews, geluNewsGo},
		{"log", Logs, logsGo}, {"relu", Relu, reluGo}, {"neg", Neg, negGo}} {
		k.vec(vec, in)
		k.gen(gen, in)
		for i := range in {
			if !same32(vec[i], gen[i]) {
				t.Fatalf("%s(%g): vector %g, Go %g", k.name, in[i], vec[i], gen[i])
			}
		}
	}
	if v, g := ExpSum(in[:9999], 3), expSumGo(in[:9999], 3, 0, [4]float64{}); !same64(v, g) {
		t.Fatalf("ExpSum: vector %g, Go %g", v, g)
	}
}

// maxRef is Max's definition: Go's max one element at a time from -Inf.
func maxRef(r []float32) float32 {
	m := float32(math.Inf(-1))
	for _, x := range r {
		m = max(m, x)
	}
	return m
}

// TestMaxBits: Max equals the one-at-a-time max bit for bit (NaN as NaN)
// on every length 0..70 at offsets 0..7 of random rows, with a NaN, a +0
// among -0s (the zero-sign repair), all -0, all -Inf and ±Inf planted at
// every position class, and on the long input list.
func TestMaxBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	negz := float32(math.Copysign(0, -1))
	paths(t, func(t *testing.T) {
		check := func(r []float32, what string) {
			if got, want := Max(r), maxRef(r); !same32(got, want) {
				t.Fatalf("Max(%s, len %d) = %g (%#x), want %g (%#x)", what, len(r), got, math.Float32bits(got), want, math.Float32bits(want))
			}
		}
		for n := 0; n <= 70; n++ {
			for off := 0; off < 8; off++ {
				r := make([]float32, off+n)[off:]
				for i := range r {
					r[i] = float32(rng.NormFloat64() * 10)
				}
				check(r, "random")
				if n == 0 {
					continue
				}
				p := rng.IntN(n)
				for _, plant := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
					s := append([]float32(nil), r...)
					s[p] = plant
					check(s, "planted")
				}
				z := make([]float32, n)
				for i := range z {
					z[i] = -float32(rng.Float64()) - 1
				}
				z[p] = negz
				check(z, "max -0")
				z[rng.IntN(n)] = 0
				check(z, "max -0 and +0")
				for i := range z {
					z[i] = negz
				}
				check(z, "all -0")
				for i := range z {
					z[i] = float32(math.Inf(-1))
				}
				check(z, "all -Inf")
			}
		}
		check(inputs(), "inputs")
	})
}

// TestVector512MatchesAVX2: on an AVX-512 machine, the AVX-512 and AVX2
// forms of each transcendental kernel give the same bits on the same
// long input.
func TestVector512MatchesAVX2(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 on this CPU")
	}
	in := inputs()
	n := len(in) &^ 15
	v512, v2 := make([]float32, n), make([]float32, n)
	for _, k := range []struct {
		name       string
		v512, avx2 func(dst, a []float32)
	}{{"exp", expsAVX512, expsAVX2}, {"sigmoid", sigmoidsAVX512, sigmoidsAVX2}, {"tanh", tanhsAVX512, tanhsAVX2},
		{"gelu_new", geluNewsAVX512, geluNewsAVX2}, {"log", logsAVX512, logsAVX2}} {
		k.v512(v512, in[:n])
		k.avx2(v2, in[:n])
		for i := range v2 {
			if !same32(v512[i], v2[i]) {
				t.Fatalf("%s(%g): AVX-512 %g, AVX2 %g", k.name, in[i], v512[i], v2[i])
			}
		}
	}
}
