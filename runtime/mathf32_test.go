package runtime

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/circopt/circopt/internal/vec32"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/ir/interp"
)

// The float32 functions float32 runs use (internal/vec32's), under the
// names these tests have always used.
var (
	exp32, sigmoid32, tanh32, log32, geluNew32 = vec32.Exp, vec32.Sigmoid, vec32.Tanh, vec32.Log, vec32.GeluNew
	geluNew32s                                 = vec32.GeluNews
)

const geluNewC = vec32.GeluNewC

// ulps32 is the distance between a and b in float32 steps (0 when both are
// NaN, huge when only one is, or when they differ in sign beyond ±0).
func ulps32(a, b float32) int64 {
	if a != a || b != b {
		if a != a && b != b {
			return 0
		}
		return math.MaxInt64
	}
	if a == b {
		return 0
	}
	ord := func(f float32) int64 { // monotone integer order of the floats
		i := int64(math.Float32bits(f))
		if i&(1<<31) != 0 {
			return -(i &^ (1 << 31))
		}
		return i
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return d
}

// mathInputs are the float32 inputs the accuracy tests use: specials,
// denormals, the extremes, neighbours of every overflow/underflow cutoff,
// a dense sweep of [-200, 200] and random bit patterns.
func mathInputs() []float32 {
	in := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 1e-40, -1e-40, 1.1754944e-38, math.MaxFloat32, -math.MaxFloat32,
		88.72, 88.73, 88.7228, 89, -87.33, -103.97, -103.98, -104, -149, -150, -151, 150, 10, -10, 0.01, -0.01, 1, -1, 2, 0.5}
	for x := float32(-200); x <= 200; x += 0.0137 {
		in = append(in, x)
	}
	for x := float32(1e-12); x < 1e-1; x *= 1.07 {
		in = append(in, x, -x)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		in = append(in, math.Float32frombits(rng.Uint32()))
	}
	return in
}

// TestMathF32Accuracy: exp32, sigmoid32, tanh32 and log32 are within 2 ulp
// (in practice 1) of float64 math rounded to float32 on every input, NaN
// where it is NaN, and equal on the special values.
func TestMathF32Accuracy(t *testing.T) {
	ref := func(op ir.Op) func(float64) float64 { f, _ := interp.UnaryFunc(op); return f }
	cases := []struct {
		name string
		f    func(float32) float32
		ref  func(float64) float64
	}{
		{"exp", exp32, ref(ir.OpExp)},
		{"sigmoid", sigmoid32, ref(ir.OpSigmoid)},
		{"tanh", tanh32, ref(ir.OpTanh)},
		{"log", log32, ref(ir.OpLog)},
	}
	in := mathInputs()
	for _, c := range cases {
		worst, at := int64(0), float32(0)
		for _, x := range in {
			got, want := c.f(x), float32(c.ref(float64(x)))
			if d := ulps32(got, want); d > worst {
				worst, at = d, x
			}
		}
		t.Logf("%s: worst %d ulp at %g over %d inputs", c.name, worst, at, len(in))
		if worst > 2 {
			t.Errorf("%s(%g) = %g, float64 math says %g: %d ulp apart", c.name, at, c.f(at), float32(c.ref(float64(at))), worst)
		}
	}
	for _, s := range []struct {
		name      string
		got, want float32
	}{
		{"exp(+Inf)", exp32(float32(math.Inf(1))), float32(math.Inf(1))},
		{"exp(-Inf)", exp32(float32(math.Inf(-1))), 0},
		{"exp(0)", exp32(0), 1},
		{"sigmoid(0)", sigmoid32(0), 0.5},
		{"sigmoid(-Inf)", sigmoid32(float32(math.Inf(-1))), 0},
		{"sigmoid(+Inf)", sigmoid32(float32(math.Inf(1))), 1},
		{"tanh(+Inf)", tanh32(float32(math.Inf(1))), 1},
		{"tanh(-Inf)", tanh32(float32(math.Inf(-1))), -1},
		{"log(1)", log32(1), 0},
		{"log(0)", log32(0), float32(math.Inf(-1))},
		{"log(+Inf)", log32(float32(math.Inf(1))), float32(math.Inf(1))},
	} {
		if s.got != s.want {
			t.Errorf("%s = %g, want %g", s.name, s.got, s.want)
		}
	}
	if v := log32(-1); v == v {
		t.Errorf("log(-1) = %g, want NaN", v)
	}
	if v := tanh32(float32(math.Copysign(0, -1))); v != 0 || !math.Signbit(float64(v)) {
		t.Errorf("tanh(-0) = %g, want -0", v)
	}
}

func BenchmarkMathF32(b *testing.B) {
	xs := make([]float32, 4096)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range xs {
		xs[i] = float32(rng.NormFloat64() * 8) // GEMM outputs' spread: both tanh branches, some saturation
	}
	out := make([]float32, len(xs))
	for _, c := range []struct {
		name string
		f    func(float32) float32
		g    func(float64) float64
	}{{"exp", exp32, math.Exp}, {"sigmoid", sigmoid32, func(x float64) float64 { f, _ := interp.UnaryFunc(ir.OpSigmoid); return f(x) }}, {"tanh", tanh32, math.Tanh}, {"log", log32, math.Log}} {
		b.Run(c.name+"/f32", func(b *testing.B) {
			for b.Loop() {
				for i, x := range xs {
					out[i] = c.f(x)
				}
			}
		})
		b.Run(c.name+"/f64math", func(b *testing.B) {
			for b.Loop() {
				for i, x := range xs {
					out[i] = float32(c.g(float64(x)))
				}
			}
		})
	}
}

// TestGeluNew32Accuracy: geluNew32 is within 2 ulp (in practice 1) of
// x/(1+e^(-2u)) in float64 math, and of ir's float64 gelu_new (the same
// formula, which does not cancel where tanh u ≈ -1), on every input;
// -Inf gives NaN as the float64 kernel does; the slice form agrees bitwise.
func TestGeluNew32Accuracy(t *testing.T) {
	ref, _ := interp.UnaryFunc(ir.OpGeluNew)
	exact := func(x float64) float64 {
		if math.IsInf(x, -1) {
			return math.NaN()
		}
		return x / (1 + math.Exp(-2*geluNewC*(x+0.044715*x*x*x)))
	}
	in := mathInputs()
	got := make([]float32, len(in))
	geluNew32s(got, in)
	worstExact, worstRef := int64(0), int64(0)
	for i, x := range in {
		g := geluNew32(x)
		if math.Float32bits(g) != math.Float32bits(got[i]) && (g == g || got[i] == got[i]) {
			t.Fatalf("geluNew32s(%g) = %g, geluNew32 says %g", x, got[i], g)
		}
		if d := ulps32(g, float32(exact(float64(x)))); d > worstExact {
			worstExact = d
			if d > 2 {
				t.Errorf("geluNew32(%g) = %g, x/(1+e^-2u) says %g: %d ulp", x, g, float32(exact(float64(x))), d)
			}
		}
		if d := ulps32(g, float32(ref(float64(x)))); d > worstRef {
			worstRef = d
			if d > 2 {
				t.Errorf("geluNew32(%g) = %g, ir's gelu_new says %g: %d ulp", x, g, float32(ref(float64(x))), d)
			}
		}
	}
	t.Logf("gelu_new: worst %d ulp from x/(1+e^-2u), %d from ir's gelu_new, over %d inputs", worstExact, worstRef, len(in))
	if v := geluNew32(float32(math.Inf(-1))); v == v {
		t.Errorf("gelu_new(-Inf) = %g, want NaN", v)
	}
	if v := geluNew32(float32(math.Inf(1))); !math.IsInf(float64(v), 1) {
		t.Errorf("gelu_new(+Inf) = %g, want +Inf", v)
	}
}

// The ops unary32s computes inline (abs, reciprocal, rsqrt, step) give
// exactly the reference's float64 function rounded to float32, on special
// values and random ones.
func TestUnary32sInlinedMatchReference(t *testing.T) {
	xs := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -2.5, 1e-40, -1e-40, 3e38, -3e38,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		xs = append(xs, float32(rng.NormFloat64()*math.Pow(10, float64(rng.IntN(20)-10))))
	}
	for _, op := range []ir.Op{ir.OpAbs, ir.OpReciprocal, ir.OpRsqrt, ir.OpStep} {
		f, _ := interp.UnaryFunc(op)
		dst := make([]float32, len(xs))
		if !unary32s(op, 0, dst, xs) {
			t.Fatalf("%v: no inline kernel", op)
		}
		for i, x := range xs {
			want := float32(f(float64(x)))
			if math.Float32bits(dst[i]) != math.Float32bits(want) && !(want != want && dst[i] != dst[i]) {
				t.Errorf("%v(%v) = %v, want %v", op, x, dst[i], want)
			}
		}
	}
}
