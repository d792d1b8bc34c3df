//go:build ignore

// gen_vec32 writes vec32_amd64.s: the AVX2 kernels. Generated rather than
// hand-written because the four transcendental kernels and the two
// softmax sums share one exponential, written here once (expBody) and
// interleaved over two register sets, and every constant is emitted from
// the same Go constant expression scalar.go uses, so the float64 bits
// cannot drift.
//
// Run with `go generate ./internal/vec32` (see cpu_amd64.go).
package main

import (
	"bytes"
	"fmt"
	"log"
	"math"
	"os"
	"regexp"
	"strings"
)

const (
	log2e   = 1.4426950408889634
	ln2Hi   = 6.93147180369123816490e-01
	ln2Lo   = 1.90821492927058770002e-10
	shifter = 0x1.8p52
	geluC   = 0.7978845608028654 // vec32.GeluNewC
	// rowsMaxD is vec32.RowsMaxD: the second row's half of
	// softmaxRowsAVX512's t starts 8·rowsMaxD bytes in.
	rowsMaxD = 256
)

// consts are the float64 constants, each stored four times (one YMM).
var consts = []struct {
	name string
	bits uint64
}{
	{"log2e", math.Float64bits(log2e)},
	{"shifter", math.Float64bits(shifter)},
	{"ln2hi", math.Float64bits(ln2Hi)},
	{"ln2lo", math.Float64bits(ln2Lo)},
	{"c2", math.Float64bits(1.0 / 2)},
	{"c3", math.Float64bits(1.0 / 6)},
	{"c4", math.Float64bits(1.0 / 24)},
	{"c5", math.Float64bits(1.0 / 120)},
	{"c6", math.Float64bits(1.0 / 720)},
	{"c7", math.Float64bits(1.0 / 5040)},
	{"one", math.Float64bits(1)},
	{"two", math.Float64bits(2)},
	{"m2", math.Float64bits(-2)},
	// bits(k+shifter) + bias, shifted left 52, is 2^k: shifter's low 52
	// bits are 2^51, and the exponent bias is 1023 (higher bits shift out).
	{"bias", biasBits()},
	{"p89", math.Float64bits(89)},
	{"p150", math.Float64bits(150)},
	{"m150", math.Float64bits(-150)},
	{"p300", math.Float64bits(300)},
	{"p10", math.Float64bits(10)},
	{"p001", math.Float64bits(0.01)},
	{"t3", math.Float64bits(-1.0 / 3)},
	{"t5", math.Float64bits(2.0 / 15)},
	{"t7", math.Float64bits(-17.0 / 315)},
	{"geluc", math.Float64bits(geluC)},
	{"gelu3", math.Float64bits(0.044715)},
	{"ninf", math.Float64bits(math.Inf(-1))},
	{"mant", 1<<52 - 1},
	{"expoff", math.Float64bits(shifter) - 1023},
	{"sqrt2", math.Float64bits(math.Sqrt2)},
	{"half", math.Float64bits(0.5)},
	{"l3", math.Float64bits(1.0 / 3)},
	{"l5", math.Float64bits(1.0 / 5)},
	{"l7", math.Float64bits(1.0 / 7)},
	{"l9", math.Float64bits(1.0 / 9)},
	{"l11", math.Float64bits(1.0 / 11)},
	{"l13", math.Float64bits(1.0 / 13)},
	{"l15", math.Float64bits(1.0 / 15)},
	{"zero", 0},
	{"pinf", math.Float64bits(math.Inf(1))},
	{"nan", math.Float64bits(math.NaN())},
	{"sign", 1 << 63},
	{"abs", 1<<63 - 1},
}

// set is one group of four float64 lanes' registers: x holds the input
// and, after expBody, e^x; t, k, r are scratch; u, w are the kernels' own.
type set struct{ x, t, k, r, u, w string }

var sets = [2]set{
	{"Y0", "Y1", "Y2", "Y3", "Y4", "Y5"},
	{"Y6", "Y7", "Y8", "Y9", "Y10", "Y11"},
}

func biasBits() uint64 {
	b := uint64(1023)
	return b - 1<<51 // modulo 2^64: a negative offset
}

func c(name string) string { return name + "<>(SB)" }

// expBody replaces x (|x| ≤ 700, or NaN) by Exp64(x), with Exp64's
// operations in Exp64's order: k = (x·log2e + shifter) - shifter,
// r = (x - k·ln2Hi) - k·ln2Lo, the Horner polynomial, times 2^k.
func expBody(s set) []string {
	return []string{
		"VMULPD " + c("log2e") + ", " + s.x + ", " + s.t,
		"VADDPD " + c("shifter") + ", " + s.t + ", " + s.t,
		"VSUBPD " + c("shifter") + ", " + s.t + ", " + s.k,
		"VMULPD " + c("ln2hi") + ", " + s.k + ", " + s.r,
		"VSUBPD " + s.r + ", " + s.x + ", " + s.r,
		"VMULPD " + c("ln2lo") + ", " + s.k + ", " + s.k,
		"VSUBPD " + s.k + ", " + s.r + ", " + s.r,
		"VMULPD " + c("c7") + ", " + s.r + ", " + s.x,
		"VADDPD " + c("c6") + ", " + s.x + ", " + s.x,
		"VMULPD " + s.r + ", " + s.x + ", " + s.x,
		"VADDPD " + c("c5") + ", " + s.x + ", " + s.x,
		"VMULPD " + s.r + ", " + s.x + ", " + s.x,
		"VADDPD " + c("c4") + ", " + s.x + ", " + s.x,
		"VMULPD " + s.r + ", " + s.x + ", " + s.x,
		"VADDPD " + c("c3") + ", " + s.x + ", " + s.x,
		"VMULPD " + s.r + ", " + s.x + ", " + s.x,
		"VADDPD " + c("c2") + ", " + s.x + ", " + s.x,
		"VMULPD " + s.r + ", " + s.x + ", " + s.x,
		"VADDPD " + c("one") + ", " + s.x + ", " + s.x,
		"VMULPD " + s.r + ", " + s.x + ", " + s.x,
		"VADDPD " + c("one") + ", " + s.x + ", " + s.x,
		"VPADDQ " + c("bias") + ", " + s.t + ", " + s.t,
		"VPSLLQ $52, " + s.t + ", " + s.t,
		"VMULPD " + s.t + ", " + s.x + ", " + s.x,
	}
}

// clamp is x = max(min(x, hi), lo) with the constants (in registers) as
// the first source operand, so a NaN x passes through as Go's min and
// max pass it (VMINPD/VMAXPD return the second source when either is NaN).
func clamp(s set, hi, lo string) []string {
	return []string{
		"VMINPD " + s.x + ", " + hi + ", " + s.x,
		"VMAXPD " + s.x + ", " + lo + ", " + s.x,
	}
}

func cat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// unary is one transcendental kernel: the registers it loads constants
// into (Y12-Y15) and its body for one set, from x = float64(a) to the
// float64 result in x.
type unary struct {
	name   string
	consts []string // loaded into Y12, Y13, ... in order
	body   func(s set) []string
	// f64 adds a float64 argument f, broadcast into Y15.
	f64 bool
}

var unaries = []unary{
	{name: "expsAVX2", consts: []string{"p89", "m150"}, body: func(s set) []string {
		return cat(clamp(s, "Y12", "Y13"), expBody(s))
	}},
	// 1/(1 + Exp64(-c)), c = x clamped to ±150.
	{name: "sigmoidsAVX2", consts: []string{"p150", "m150", "one"}, body: func(s set) []string {
		return cat(clamp(s, "Y12", "Y13"),
			[]string{"VXORPD " + c("sign") + ", " + s.x + ", " + s.x},
			expBody(s),
			[]string{
				"VADDPD " + c("one") + ", " + s.x + ", " + s.x,
				"VDIVPD " + s.x + ", Y14, " + s.x,
			})
	}},
	// m = |v|; large: 1 - 2/(Exp64(2·min(m, 10)) + 1); small (m < 0.01):
	// m·(1 + m²(-1/3 + m²(2/15 + m²·(-17/315)))); blended by m < 0.01,
	// then v's sign copied on.
	{name: "tanhsAVX2", consts: []string{"p10", "two", "one"}, body: func(s set) []string {
		v, m := s.u, s.w
		return cat(
			[]string{
				"VMOVAPD " + s.x + ", " + v,
				"VANDPD " + c("abs") + ", " + v + ", " + m,
				"VMINPD " + m + ", Y12, " + s.x,
				"VADDPD " + s.x + ", " + s.x + ", " + s.x,
			},
			expBody(s),
			[]string{
				"VADDPD " + c("one") + ", " + s.x + ", " + s.x,
				"VDIVPD " + s.x + ", Y13, " + s.x,
				"VSUBPD " + s.x + ", Y14, " + s.x,
				"VMULPD " + m + ", " + m + ", " + s.k, // m²
				"VMULPD " + c("t7") + ", " + s.k + ", " + s.t,
				"VADDPD " + c("t5") + ", " + s.t + ", " + s.t,
				"VMULPD " + s.k + ", " + s.t + ", " + s.t,
				"VADDPD " + c("t3") + ", " + s.t + ", " + s.t,
				"VMULPD " + s.k + ", " + s.t + ", " + s.t,
				"VADDPD " + c("one") + ", " + s.t + ", " + s.t,
				"VMULPD " + s.t + ", " + m + ", " + s.t,
				"VCMPPD $1, " + c("p001") + ", " + m + ", " + s.k, // m < 0.01 (false for NaN)
				"VBLENDVPD " + s.k + ", " + s.t + ", " + s.x + ", " + s.x,
				"VANDPD " + c("abs") + ", " + s.x + ", " + s.x,
				"VANDPD " + c("sign") + ", " + v + ", " + v,
				"VORPD " + v + ", " + s.x + ", " + s.x,
			})
	}},
	// v / (1 + Exp64(clamp(-2u, 300, -150))), u = geluC·(v + ((0.044715·v)·v)·v);
	// NaN where v = -Inf.
	{name: "geluNewsAVX2", consts: []string{"p300", "m150"}, body: func(s set) []string {
		v := s.u
		return cat(
			[]string{
				"VMOVAPD " + s.x + ", " + v,
				"VMULPD " + c("gelu3") + ", " + v + ", " + s.x,
				"VMULPD " + v + ", " + s.x + ", " + s.x,
				"VMULPD " + v + ", " + s.x + ", " + s.x,
				"VADDPD " + s.x + ", " + v + ", " + s.x,
				"VMULPD " + c("geluc") + ", " + s.x + ", " + s.x,
				"VMULPD " + c("m2") + ", " + s.x + ", " + s.x,
			},
			clamp(s, "Y12", "Y13"),
			expBody(s),
			[]string{
				"VADDPD " + c("one") + ", " + s.x + ", " + s.x,
				"VDIVPD " + s.x + ", " + v + ", " + s.x,
				"VCMPPD $0, " + c("ninf") + ", " + v + ", " + s.t,
				"VBLENDVPD " + s.t + ", " + c("nan") + ", " + s.x + ", " + s.x,
			})
	}},
	// Log: v = m·2^e with m in [1, 2) from v's bits, float64(e) through
	// the shifter (e + bits(shifter), as a float, less shifter), m halved
	// and e incremented where m > √2 (blends), then Log's series and sum;
	// finally the special cases blended in: ±0 → -Inf, +Inf → +Inf,
	// negative or NaN → NaN.
	{name: "logsAVX2", body: func(s set) []string {
		v, x, t, k, r := s.u, s.x, s.t, s.k, s.r
		out := []string{
			"VMOVAPD " + x + ", " + v,
			"VANDPD " + c("mant") + ", " + v + ", " + x,
			"VORPD " + c("one") + ", " + x + ", " + x,
			"VPSRLQ $52, " + v + ", " + t,
			"VPADDQ " + c("expoff") + ", " + t + ", " + t,
			"VSUBPD " + c("shifter") + ", " + t + ", " + t,
			"VCMPPD $0x1e, " + c("sqrt2") + ", " + x + ", " + k, // m > √2
			"VMULPD " + c("half") + ", " + x + ", " + r,
			"VBLENDVPD " + k + ", " + r + ", " + x + ", " + x,
			"VADDPD " + c("one") + ", " + t + ", " + r,
			"VBLENDVPD " + k + ", " + r + ", " + t + ", " + t, // e+1 where m was halved
			"VSUBPD " + c("one") + ", " + x + ", " + r,
			"VADDPD " + c("one") + ", " + x + ", " + x,
			"VDIVPD " + x + ", " + r + ", " + r, // f
			"VMULPD " + r + ", " + r + ", " + k, // f²
			"VMULPD " + c("l15") + ", " + k + ", " + x,
			"VADDPD " + c("l13") + ", " + x + ", " + x,
		}
		for _, cn := range []string{"l11", "l9", "l7", "l5", "l3", "one"} {
			out = append(out, "VMULPD "+k+", "+x+", "+x, "VADDPD "+c(cn)+", "+x+", "+x)
		}
		return append(out,
			"VADDPD "+r+", "+r+", "+r, // 2f
			"VMULPD "+x+", "+r+", "+x, // s
			"VMULPD "+c("ln2lo")+", "+t+", "+r,
			"VADDPD "+r+", "+x+", "+x,
			"VMULPD "+c("ln2hi")+", "+t+", "+r,
			"VADDPD "+x+", "+r+", "+x,
			"VCMPPD $0, "+c("zero")+", "+v+", "+k,
			"VBLENDVPD "+k+", "+c("ninf")+", "+x+", "+x,
			"VCMPPD $0, "+c("pinf")+", "+v+", "+k,
			"VBLENDVPD "+k+", "+c("pinf")+", "+x+", "+x,
			"VCMPPD $0x19, "+c("zero")+", "+v+", "+k, // !(v >= 0), NaN included
			"VBLENDVPD "+k+", "+c("nan")+", "+x+", "+x,
		)
	}},
	// The softmax rows' last pass: float32(float64(x) · f), and
	// log_softmax's float32(float64(x) - f).
	{name: "mulF64AVX2", f64: true, body: func(s set) []string {
		return []string{"VMULPD Y15, " + s.x + ", " + s.x}
	}},
	{name: "subF64AVX2", f64: true, body: func(s set) []string {
		return []string{"VSUBPD Y15, " + s.x + ", " + s.x}
	}},
}

// zip interleaves two sets' instruction streams so their dependency
// chains overlap.
func zip(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	for i := range a {
		out = append(out, a[i], b[i])
	}
	return out
}

type writer struct{ bytes.Buffer }

func (w *writer) p(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }

func (w *writer) ins(lines []string) {
	for _, l := range lines {
		w.p("\t%s", l)
	}
}

func (w *writer) loadConsts(names []string) {
	for i, n := range names {
		w.p("\tVMOVUPD %s, Y%d", c(n), 12+i)
	}
}

func (w *writer) genUnary(u unary) {
	if u.f64 {
		w.p("// func %s(dst, a []float32, f float64)", u.name)
		w.p("TEXT ·%s(SB), NOSPLIT, $0-56", u.name)
	} else {
		w.p("// func %s(dst, a []float32)", u.name)
		w.p("TEXT ·%s(SB), NOSPLIT, $0-48", u.name)
	}
	w.p("\tMOVQ dst_base+0(FP), DI")
	w.p("\tMOVQ dst_len+8(FP), CX")
	w.p("\tMOVQ a_base+24(FP), SI")
	w.p("\tSHRQ $3, CX")
	w.p("\tJZ   done")
	w.loadConsts(u.consts)
	if u.f64 {
		w.p("\tVBROADCASTSD f+48(FP), Y15")
	}
	w.p("loop:")
	w.p("\tVCVTPS2PD (SI), %s", sets[0].x)
	w.p("\tVCVTPS2PD 16(SI), %s", sets[1].x)
	w.ins(zip(u.body(sets[0]), u.body(sets[1])))
	w.p("\tVCVTPD2PSY %s, X0", sets[0].x)
	w.p("\tVCVTPD2PSY %s, X6", sets[1].x)
	w.p("\tVMOVUPS X0, (DI)")
	w.p("\tVMOVUPS X6, 16(DI)")
	w.p("\tADDQ $32, SI")
	w.p("\tADDQ $32, DI")
	w.p("\tDECQ CX")
	w.p("\tJNZ  loop")
	w.p("\tVZEROUPPER")
	w.p("done:")
	w.p("\tRET")
	w.p("")
}

// to512 is an AVX2 body line in AVX-512 form: Z registers, memory
// constants as embedded broadcasts (the first 8 bytes), the bitwise ops as
// their EVEX integer forms, compares into the mask register kreg and
// VBLENDVPD's vector mask as that register (VBLENDMPD).
func to512(l, kreg string) string {
	l = regexp.MustCompile(`\bY(\d+)\b`).ReplaceAllString(l, "Z$1")
	op, rest, _ := strings.Cut(l, " ")
	args := strings.Split(rest, ", ")
	switch op {
	case "VXORPD":
		op = "VPXORQ"
	case "VANDPD":
		op = "VPANDQ"
	case "VORPD":
		op = "VPORQ"
	case "VCMPPD":
		args[len(args)-1] = kreg
	case "VBLENDVPD": // mask, b, a, dst: dst = mask ? b : a
		op, args = "VBLENDMPD", []string{args[1], args[2], kreg, args[3]}
	}
	rest = strings.Join(args, ", ")
	if strings.Contains(rest, "<>(SB)") {
		op += ".BCST"
	}
	return op + " " + rest
}

// genUnary512 writes the AVX-512 form of a transcendental kernel: the
// same body on eight lanes a set, 16 elements an iteration, constants
// loaded into Z12... by broadcast.
func (w *writer) genUnary512(u unary) {
	name := strings.TrimSuffix(u.name, "AVX2") + "AVX512"
	w.p("// func %s(dst, a []float32)", name)
	w.p("TEXT ·%s(SB), NOSPLIT, $0-48", name)
	w.p("\tMOVQ dst_base+0(FP), DI")
	w.p("\tMOVQ dst_len+8(FP), CX")
	w.p("\tMOVQ a_base+24(FP), SI")
	w.p("\tSHRQ $4, CX")
	w.p("\tJZ   done")
	for i, n := range u.consts {
		w.p("\tVBROADCASTSD %s, Z%d", c(n), 12+i)
	}
	w.p("loop:")
	w.p("\tVCVTPS2PD (SI), Z0")
	w.p("\tVCVTPS2PD 32(SI), Z6")
	var a, b []string
	for _, l := range u.body(sets[0]) {
		a = append(a, to512(l, "K1"))
	}
	for _, l := range u.body(sets[1]) {
		b = append(b, to512(l, "K2"))
	}
	w.ins(zip(a, b))
	w.p("\tVCVTPD2PS Z0, Y0")
	w.p("\tVCVTPD2PS Z6, Y6")
	w.p("\tVMOVUPS Y0, (DI)")
	w.p("\tVMOVUPS Y6, 32(DI)")
	w.p("\tADDQ $64, SI")
	w.p("\tADDQ $64, DI")
	w.p("\tDECQ CX")
	w.p("\tJNZ  loop")
	w.p("\tVZEROUPPER")
	w.p("done:")
	w.p("\tRET")
	w.p("")
}

// genExpSum writes expSumAVX2 (store false) or expStoreAVX2, or their
// AVX-512 forms: the lanes of the running sum (a YMM either way) are
// ExpSum's four partial sums, so each group of four elements'
// exponentials is added before the next group's.
func (w *writer) genExpSum(store, avx512 bool) {
	name, step, shift, half := "expSumAVX2", 16, 3, "X"
	if store {
		name = "expStoreAVX2"
	}
	if avx512 {
		name, step, shift, half = strings.TrimSuffix(name, "AVX2")+"AVX512", 32, 4, "Y"
	}
	v := func(i int) string { // set i's input register, Y or Z
		if avx512 {
			return "Z" + sets[i].x[1:]
		}
		return sets[i].x
	}
	if store {
		w.p("// func %s(dst, r []float32, m float64, s *[4]float64)", name)
		w.p("TEXT ·%s(SB), NOSPLIT, $0-64", name)
		w.p("\tMOVQ dst_base+0(FP), DI")
		w.p("\tMOVQ dst_len+8(FP), CX")
		w.p("\tMOVQ r_base+24(FP), SI")
		w.p("\tVBROADCASTSD m+48(FP), %s12", v(0)[:1])
		w.p("\tMOVQ s+56(FP), DX")
	} else {
		w.p("// func %s(r []float32, m float64, s *[4]float64)", name)
		w.p("TEXT ·%s(SB), NOSPLIT, $0-40", name)
		w.p("\tMOVQ r_base+0(FP), SI")
		w.p("\tMOVQ r_len+8(FP), CX")
		w.p("\tVBROADCASTSD m+24(FP), %s12", v(0)[:1])
		w.p("\tMOVQ s+32(FP), DX")
	}
	w.p("\tSHRQ $%d, CX", shift)
	w.p("\tJZ   done")
	w.p("\tVBROADCASTSD %s, %s13", c("m150"), v(0)[:1])
	w.p("\tVMOVUPD (DX), Y14")
	w.p("loop:")
	w.p("\tVCVTPS2PD (SI), %s", v(0))
	w.p("\tVCVTPS2PD %d(SI), %s", step, v(1))
	body := func(s set, k string) []string {
		b := cat([]string{
			"VSUBPD Y12, " + s.x + ", " + s.x,
			"VMAXPD " + s.x + ", Y13, " + s.x,
		}, expBody(s))
		if avx512 {
			for i, l := range b {
				b[i] = to512(l, k)
			}
		}
		return b
	}
	w.ins(zip(body(sets[0], "K1"), body(sets[1], "K2")))
	if avx512 {
		// Lanes 4-7 hold the next group of four: added after lanes 0-3.
		w.p("\tVEXTRACTF64X4 $1, Z0, Y1")
		w.p("\tVEXTRACTF64X4 $1, Z6, Y7")
		w.p("\tVADDPD Y0, Y14, Y14")
		w.p("\tVADDPD Y1, Y14, Y14")
		w.p("\tVADDPD Y6, Y14, Y14")
		w.p("\tVADDPD Y7, Y14, Y14")
	} else {
		w.p("\tVADDPD Y0, Y14, Y14")
		w.p("\tVADDPD Y6, Y14, Y14")
	}
	if store {
		w.p("\tVCVTPD2PS%s %s, %s0", map[bool]string{false: "Y", true: ""}[avx512], v(0), half)
		w.p("\tVCVTPD2PS%s %s, %s6", map[bool]string{false: "Y", true: ""}[avx512], v(1), half)
		w.p("\tVMOVUPS %s0, (DI)", half)
		w.p("\tVMOVUPS %s6, %d(DI)", half, step)
		w.p("\tADDQ $%d, DI", 2*step)
	}
	w.p("\tADDQ $%d, SI", 2*step)
	w.p("\tDECQ CX")
	w.p("\tJNZ  loop")
	w.p("\tVMOVUPD Y14, (DX)")
	w.p("\tVZEROUPPER")
	w.p("done:")
	w.p("\tRET")
	w.p("")
}

// rowsArgs loads the row kernels' common arguments: dst (DI), a (SI),
// offs (BX) and the row count (DX).
var rowsArgs = []string{
	"MOVQ dst_base+0(FP), DI",
	"MOVQ a_base+24(FP), SI",
	"MOVQ offs_base+48(FP), BX",
	"MOVQ offs_len+56(FP), DX",
}

// fullBytesArg is the frame offset of the fullBytes argument of the
// kernel being written.
var fullBytesArg string

// chunks writes a row's loop over its whole chunks of eight (CX counting
// bytes up to the fullBytes argument) and then its masked last chunk: full and last are the
// bodies, name prefixes the labels.
func (w *writer) chunks(name string, full, last []string) {
	w.ins([]string{"XORQ CX, CX", "CMPQ CX, fullBytes+" + fullBytesArg + "(FP)", "JAE " + name + "last"})
	w.p("%sfull:", name)
	w.ins(full)
	w.ins([]string{"ADDQ $32, CX", "CMPQ CX, fullBytes+" + fullBytesArg + "(FP)", "JB " + name + "full"})
	w.p("%slast:", name)
	w.ins(last)
}

// rowsEnd steps to the next row (offs in BX, the per-row float64
// pointers ptrs, dst by a row's bytes in AX), loops over DX rows, returns.
func (w *writer) rowsEnd(ptrs ...string) {
	w.p("\tADDQ $8, BX")
	for _, r := range ptrs {
		w.p("\tADDQ $8, %s", r)
	}
	w.ins([]string{"ADDQ AX, DI", "DECQ DX", "JNZ row", "VZEROUPPER"})
	w.p("done:")
	w.p("\tRET")
	w.p("")
}

// genSoftmaxRows writes softmaxRowsAVX512: SoftmaxRows's block of rows,
// each row in eight-element chunks (the last one masked: K1 its elements,
// K2 those in whole groups of four), with no per-row dispatch, two rows
// at a time (their instructions interleaved, each row's a long dependent
// chain) and a last odd row alone.
//   - max: on the float32 bits turned into ordered integers (a negative
//     float's magnitude bits flipped: -0 sorts below +0, as Go's max
//     prefers +0), padding lanes -Inf. A NaN sorts above +Inf or below
//     -Inf by its sign, so m need not be NaN as Go's max gives it, but the
//     row's outputs are NaN either way (that element's e, so the sum and
//     1/s or log s, are NaN) as on the per-row path;
//   - e = Exp64(max(float64(x) − m, −150)) (expBody, constants by
//     broadcast), whole groups of four added to the four partial sums
//     (a YMM's lanes) group by group, the last len%4 then added to s0 lane
//     by lane (padding lanes are +0, which leaves a sum unchanged), then
//     (s0+s1)+(s2+s3);
//   - with t (softmax): float32(e), back in float64, kept in t (plain stores:
//     AMD forwards no masked store to a later load), then each scaled by
//     1/s in float64 and rounded into dst (MulF64's step); without: only
//     m and s, written to ms and ss for log_softmax's last step.
//
// Every instruction has an EVEX form, so the second row can use Z16-Z31.
func (w *writer) genSoftmaxRows() {
	w.p("// func softmaxRowsAVX512(dst, a []float32, offs []int, ms, ss []float64, t *[2 * RowsMaxD]float64, fullBytes, lastMask, fullMask, rem, d int)")
	w.p("TEXT ·softmaxRowsAVX512(SB), NOSPLIT, $0-168")
	fullBytesArg = "128"
	w.ins(rowsArgs)
	w.ins([]string{
		"MOVQ ms_base+72(FP), R9",
		"MOVQ ss_base+96(FP), R10",
		"MOVQ t+120(FP), R13", // nil: no store
		"MOVQ lastMask+136(FP), AX",
		"KMOVW AX, K1",
		"MOVQ fullMask+144(FP), AX",
		"KMOVW AX, K2",
		"MOVQ d+160(FP), AX",
		"SHLQ $2, AX", // a row's bytes
		"VBROADCASTSD " + c("m150") + ", Z12",
		"VBROADCASTSS ninf32<>(SB), Y13",
		"VPCMPEQD Y14, Y14, Y14",
		"VPSRLD $1, Y14, Y14", // 0x7fffffff: the magnitude bits
		"VPXOR Y14, Y13, Y11", // -Inf as an ordered integer
	})
	// A row's registers: its input and output pointers, its slot in t,
	// ms and ss, and its vector registers (exponential set e; max and
	// load; sums; scratch u, v; the broadcast m and 1/s).
	type slot struct {
		in, out      string
		toff, soff   int
		e            set
		acc, ld, sum string
		u, v, m, inv string
	}
	slots := []slot{
		{"R8", "DI", 0, 0, set{x: "Y0", t: "Y1", k: "Y2", r: "Y3"}, "Y4", "Y5", "Y6", "7", "8", "Z10", "Z9"},
		{"R12", "R11", 8 * rowsMaxD, 8, set{x: "Y16", t: "Y17", k: "Y18", r: "Y19"}, "Y20", "Y21", "Y22", "23", "24", "Z26", "Z25"},
	}
	for _, n := range []int{2, 1} {
		sl := slots[:n]
		// each writes f's instructions for every row, interleaved.
		each := func(f func(s slot) []string) []string {
			if n == 1 {
				return f(sl[0])
			}
			return zip(f(sl[0]), f(sl[1]))
		}
		lb := map[int]string{2: "p", 1: "s"}[n] // label prefix
		x0 := func(s slot) string { return "X" + s.e.x[1:] }
		y0, z0 := func(s slot) string { return s.e.x }, func(s slot) string { return "Z" + s.e.x[1:] }
		y1, z1 := func(s slot) string { return s.e.t }, func(s slot) string { return "Z" + s.e.t[1:] }
		x := func(r string) string { return "X" + r[1:] }
		key := func(y, t string) []string {
			return []string{
				"VPSRAD $31, " + y + ", " + t,
				"VPANDD " + y[:1] + "14, " + t + ", " + t,
				"VPXORD " + t + ", " + y + ", " + y,
			}
		}
		maxStep := func(s slot, masked bool) []string {
			ld := []string{"VMOVUPS (" + s.in + ")(CX*1), " + s.ld}
			if masked {
				ld = []string{"VMOVAPS Y13, " + s.ld, "VMOVUPS (" + s.in + ")(CX*1), K1, " + s.ld}
			}
			return cat(ld, key(s.ld, "Y"+s.u), []string{"VPMAXSD " + s.ld + ", " + s.acc + ", " + s.acc})
		}
		exp := func(s slot) []string {
			var out []string
			for _, l := range cat([]string{"VSUBPD " + s.m + ", " + s.e.x + ", " + s.e.x, "VMAXPD " + s.e.x + ", Y12, " + s.e.x}, expBody(s.e)) {
				out = append(out, to512(l, "K5"))
			}
			return out
		}
		tmem := func(s slot) string { return fmt.Sprintf("%d(R13)(CX*2)", s.toff) }
		keep := func(s slot) []string { // float32(e) in t
			return []string{"VCVTPD2PS " + z0(s) + ", " + y1(s), "VCVTPS2PD " + y1(s) + ", " + z1(s), "VMOVUPD " + z1(s) + ", " + tmem(s)}
		}
		w.p("%srow:", lb)
		if n == 2 {
			w.ins([]string{"CMPQ DX, $2", "JB srow"})
		} else {
			w.ins([]string{"TESTQ DX, DX", "JZ done"})
		}
		w.ins(each(func(s slot) []string {
			return []string{
				fmt.Sprintf("MOVQ %d(BX), %s", s.soff, s.in),
				"LEAQ (SI)(" + s.in + "*4), " + s.in,
				"VMOVDQU32 Y11, " + s.acc,
			}
		}))
		if n == 2 {
			w.ins([]string{"LEAQ (DI)(AX*1), R11"})
		}
		w.chunks(lb+"max", each(func(s slot) []string { return maxStep(s, false) }),
			each(func(s slot) []string { return maxStep(s, true) }))
		w.ins(each(func(s slot) []string {
			a, t := x(s.acc), x(s.ld)
			return cat([]string{
				"VEXTRACTI32X4 $1, " + s.acc + ", " + t,
				"VPMAXSD " + t + ", " + a + ", " + a,
				"VPSHUFD $0x4e, " + a + ", " + t,
				"VPMAXSD " + t + ", " + a + ", " + a,
				"VPSHUFD $0xb1, " + a + ", " + t,
				"VPMAXSD " + t + ", " + a + ", " + a,
			}, key(a, "X"+s.u), []string{
				"VCVTSS2SD " + a + ", " + a + ", " + a,
				fmt.Sprintf("VMOVSD %s, %d(R9)", a, s.soff),
				"VBROADCASTSD " + a + ", " + s.m,
				"VPXORQ " + s.sum + ", " + s.sum + ", " + s.sum,
			})
		}))
		w.ins([]string{"XORQ CX, CX", "CMPQ CX, fullBytes+128(FP)", "JAE " + lb + "elast"})
		w.p("%sefull:", lb)
		w.ins(each(func(s slot) []string {
			return cat([]string{"VCVTPS2PD (" + s.in + ")(CX*1), " + z0(s)}, exp(s))
		}))
		w.ins([]string{"TESTQ R13, R13", "JZ " + lb + "esum"})
		w.ins(each(keep))
		w.p("%sesum:", lb)
		w.ins(each(func(s slot) []string {
			return []string{
				"VEXTRACTF64X4 $1, " + z0(s) + ", " + y1(s),
				"VADDPD " + y0(s) + ", " + s.sum + ", " + s.sum,
				"VADDPD " + y1(s) + ", " + s.sum + ", " + s.sum,
			}
		}))
		w.ins([]string{"ADDQ $32, CX", "CMPQ CX, fullBytes+128(FP)", "JB " + lb + "efull"})
		w.p("%selast:", lb)
		w.ins(each(func(s slot) []string {
			return cat([]string{"VMOVUPS.Z (" + s.in + ")(CX*1), K1, " + y0(s), "VCVTPS2PD " + y0(s) + ", " + z0(s)}, exp(s),
				[]string{"VMOVAPD.Z " + z0(s) + ", K1, " + z0(s)}) // padding lanes +0
		}))
		w.ins([]string{"TESTQ R13, R13", "JZ " + lb + "lastsum"})
		w.ins(each(keep))
		w.p("%slastsum:", lb)
		w.ins(each(func(s slot) []string {
			u := "Z" + s.u
			return []string{
				"VMOVAPD.Z " + z0(s) + ", K2, " + u, // whole groups of four only
				"VEXTRACTF64X4 $1, " + u + ", " + y1(s),
				"VADDPD Y" + s.u + ", " + s.sum + ", " + s.sum,
				"VADDPD " + y1(s) + ", " + s.sum + ", " + s.sum,
				"VMOVAPD " + x(s.sum) + ", X" + s.v,
			}
		}))
		w.ins([]string{"CMPQ rem+152(FP), $0", "JEQ " + lb + "total", "CMPQ rem+152(FP), $1", "JEQ " + lb + "lowq"})
		w.ins(each(func(s slot) []string {
			return []string{"VEXTRACTF64X4 $1, " + z0(s) + ", " + y0(s)} // the last group is the upper four
		}))
		w.p("%slowq:", lb)
		w.ins(each(func(s slot) []string {
			v, t := "X"+s.v, x(s.ld)
			return []string{
				"VADDSD " + x0(s) + ", " + v + ", " + v,
				"VPERMILPD $1, " + x0(s) + ", " + t,
				"VADDSD " + t + ", " + v + ", " + v,
				"VEXTRACTF32X4 $1, " + y0(s) + ", " + t,
				"VADDSD " + t + ", " + v + ", " + v,
			}
		}))
		w.p("%stotal:", lb)
		w.ins(each(func(s slot) []string {
			v, h, t := "X"+s.v, x(s.ld), "X"+s.u
			return []string{
				"VEXTRACTF32X4 $1, " + s.sum + ", " + h, // s2, s3
				"VPERMILPD $1, " + v + ", " + t,
				"VADDSD " + t + ", " + v + ", " + v, // s0+s1
				"VPERMILPD $1, " + h + ", " + t,
				"VADDSD " + t + ", " + h + ", " + h, // s2+s3
				"VADDSD " + h + ", " + v + ", " + v,
				fmt.Sprintf("VMOVSD %s, %d(R10)", v, s.soff),
			}
		}))
		w.ins([]string{"TESTQ R13, R13", "JZ " + lb + "next"})
		w.ins(each(func(s slot) []string {
			i := x(s.inv)
			return []string{"VMOVSD " + c("one") + ", " + i, "VDIVSD X" + s.v + ", " + i + ", " + i, "VBROADCASTSD " + i + ", " + s.inv}
		}))
		scale := func(masked bool) func(s slot) []string {
			return func(s slot) []string {
				st := "VMOVUPS " + y0(s) + ", (" + s.out + ")(CX*1)"
				if masked {
					st = "VMOVUPS " + y0(s) + ", K1, (" + s.out + ")(CX*1)"
				}
				return []string{"VMULPD " + tmem(s) + ", " + s.inv + ", " + z0(s), "VCVTPD2PS " + z0(s) + ", " + y0(s), st}
			}
		}
		w.chunks(lb+"s", each(scale(false)), each(scale(true)))
		w.p("%snext:", lb)
		if n == 2 {
			w.ins([]string{"ADDQ $16, BX", "ADDQ $16, R9", "ADDQ $16, R10", "LEAQ (DI)(AX*2), DI", "SUBQ $2, DX", "JMP prow"})
		}
	}
	w.p("done:")
	w.p("\tVZEROUPPER")
	w.p("\tRET")
	w.p("")
}

// genSubRows writes subRowsAVX512, log_softmax's last step for
// SoftmaxRows's block: dst row r = float32(float64(x) − ls[r]) over the
// rows a[offs[r]:][:d], eight at a time, the last chunk masked by K1.
func (w *writer) genSubRows() {
	w.p("// func subRowsAVX512(dst, a []float32, offs []int, ls []float64, fullBytes, lastMask, d int)")
	w.p("TEXT ·subRowsAVX512(SB), NOSPLIT, $0-120")
	fullBytesArg = "96"
	w.ins(rowsArgs)
	w.ins([]string{
		"MOVQ ls_base+72(FP), R9",
		"MOVQ lastMask+104(FP), AX",
		"KMOVW AX, K1",
		"MOVQ d+112(FP), AX",
		"SHLQ $2, AX",
		"TESTQ DX, DX",
		"JZ done",
	})
	w.p("row:")
	w.ins([]string{
		"MOVQ (BX), CX",
		"LEAQ (SI)(CX*4), R8",
		"VBROADCASTSD (R9), Z9",
	})
	sub := []string{"VSUBPD Z9, Z0, Z0", "VCVTPD2PS Z0, Y0"}
	w.chunks("", cat([]string{"VCVTPS2PD (R8)(CX*1), Z0"}, sub, []string{"VMOVUPS Y0, (DI)(CX*1)"}),
		cat([]string{"VMOVUPS.Z (R8)(CX*1), K1, Y0", "VCVTPS2PD Y0, Z0"}, sub, []string{"VMOVUPS Y0, K1, (DI)(CX*1)"}))
	w.rowsEnd("R9")
}

// arith is one float32 op: load (a, and b for binary ops), op, store,
// over four YMM (32 elements) per iteration, then one at a time.
type arith struct {
	name, sig, frame string
	binary           bool // b operand (base at b_base+48)
	acc              bool // dst is also the first operand (AddTo)
	setup            []string
	op               func(y, t int, src2 string) []string // Y<y> = op(Y<y>, src2), Y<t> scratch
}

var ariths = []arith{
	{name: "addAVX2", sig: "dst, a, b []float32", frame: "72", binary: true,
		op: func(y, _ int, b string) []string { return []string{fmt.Sprintf("VADDPS %s, Y%d, Y%d", b, y, y)} }},
	{name: "mulAVX2", sig: "dst, a, b []float32", frame: "72", binary: true,
		op: func(y, _ int, b string) []string { return []string{fmt.Sprintf("VMULPS %s, Y%d, Y%d", b, y, y)} }},
	{name: "addToAVX2", sig: "dst, a []float32", frame: "48", acc: true,
		op: func(y, _ int, a string) []string { return []string{fmt.Sprintf("VADDPS %s, Y%d, Y%d", a, y, y)} }},
	{name: "scaleAVX2", sig: "dst, a []float32, f float32", frame: "52",
		setup: []string{"VBROADCASTSS f+48(FP), Y15"},
		op:    func(y, _ int, _ string) []string { return []string{fmt.Sprintf("VMULPS Y15, Y%d, Y%d", y, y)} }},
	// max with x as the first source turns -0 into +0 but NaN into 0;
	// the unordered compare puts NaN lanes back.
	{name: "reluAVX2", sig: "dst, a []float32", frame: "48",
		setup: []string{"VXORPS Y15, Y15, Y15"},
		op: func(y, t int, _ string) []string {
			return []string{
				fmt.Sprintf("VCMPPS $3, Y%d, Y%d, Y%d", y, y, t),
				fmt.Sprintf("VMAXPS Y15, Y%d, Y%d", y, t+1),
				fmt.Sprintf("VBLENDVPS Y%d, Y%d, Y%d, Y%d", t, y, t+1, y),
			}
		}},
	{name: "negAVX2", sig: "dst, a []float32", frame: "48",
		setup: []string{"VBROADCASTSS " + c("sign32") + ", Y15"},
		op:    func(y, _ int, _ string) []string { return []string{fmt.Sprintf("VXORPS Y15, Y%d, Y%d", y, y)} }},
}

// genMax writes maxAVX2(r []float32, lanes *[8]float32) bool: four
// running maxima of eight lanes, x as VMAXPS's first source so a NaN x
// leaves the maximum alone (the returned flag says a NaN was seen) and a
// NaN never gets in; then the four folded into lanes. Zeros of either sign
// may come out as either: the caller fixes the sign of a zero maximum.
func (w *writer) genMax() {
	w.p("// func maxAVX2(r []float32, lanes *[8]float32) bool")
	w.p("TEXT ·maxAVX2(SB), NOSPLIT, $0-33")
	w.p("\tMOVQ r_base+0(FP), SI")
	w.p("\tMOVQ r_len+8(FP), CX")
	w.p("\tMOVQ lanes+24(FP), DI")
	w.p("\tVBROADCASTSS %s, Y0", "ninf32<>(SB)")
	w.p("\tVMOVAPS Y0, Y1")
	w.p("\tVMOVAPS Y0, Y2")
	w.p("\tVMOVAPS Y0, Y3")
	w.p("\tVXORPS Y8, Y8, Y8") // NaN lanes seen
	w.p("\tSHRQ $3, CX")
	w.p("\tJZ   fold")
	w.p("\tCMPQ CX, $4")
	w.p("\tJB   one")
	w.p("four:")
	for u := range 4 {
		w.p("\tVMOVUPS %d(SI), Y%d", 32*u, 4+u)
	}
	for u := range 4 {
		w.p("\tVCMPPS $3, Y%d, Y%d, Y%d", 4+u, 4+u, 9+u)
		w.p("\tVMAXPS Y%d, Y%d, Y%d", u, 4+u, u)
	}
	w.p("\tVORPS Y9, Y10, Y9")
	w.p("\tVORPS Y11, Y12, Y11")
	w.p("\tVORPS Y9, Y8, Y8")
	w.p("\tVORPS Y11, Y8, Y8")
	w.p("\tADDQ $128, SI")
	w.p("\tSUBQ $4, CX")
	w.p("\tCMPQ CX, $4")
	w.p("\tJAE  four")
	w.p("\tTESTQ CX, CX")
	w.p("\tJZ   fold")
	w.p("one:")
	w.p("\tVMOVUPS (SI), Y4")
	w.p("\tVCMPPS $3, Y4, Y4, Y9")
	w.p("\tVMAXPS Y0, Y4, Y0")
	w.p("\tVORPS Y9, Y8, Y8")
	w.p("\tADDQ $32, SI")
	w.p("\tDECQ CX")
	w.p("\tJNZ  one")
	w.p("fold:")
	w.p("\tVMAXPS Y1, Y0, Y0")
	w.p("\tVMAXPS Y3, Y2, Y2")
	w.p("\tVMAXPS Y2, Y0, Y0")
	w.p("\tVMOVUPS Y0, (DI)")
	w.p("\tVMOVMSKPS Y8, AX")
	w.p("\tTESTL AX, AX")
	w.p("\tSETNE ret+32(FP)")
	w.p("\tVZEROUPPER")
	w.p("\tRET")
	w.p("")
}

func (w *writer) genArith(a arith) {
	w.p("// func %s(%s)", a.name, a.sig)
	w.p("TEXT ·%s(SB), NOSPLIT, $0-%s", a.name, a.frame)
	w.p("\tMOVQ dst_base+0(FP), DI")
	w.p("\tMOVQ dst_len+8(FP), CX")
	w.p("\tMOVQ a_base+24(FP), SI")
	if a.binary {
		w.p("\tMOVQ b_base+48(FP), DX")
	}
	w.p("\tSHRQ $3, CX")
	w.p("\tJZ   done")
	w.ins(a.setup)
	// first is where the first operand comes from, second the memory
	// operand of the op (b, or a for AddTo).
	first, second := "SI", "DX"
	if a.acc {
		first, second = "DI", "SI"
	}
	step := func(units int, label string) {
		w.p("%s:", label)
		for u := range units {
			w.p("\tVMOVUPS %d(%s), Y%d", 32*u, first, u)
		}
		for u := range units {
			w.ins(a.op(u, 4+2*u, fmt.Sprintf("%d(%s)", 32*u, second)))
		}
		for u := range units {
			w.p("\tVMOVUPS Y%d, %d(DI)", u, 32*u)
		}
		w.p("\tADDQ $%d, SI", 32*units)
		w.p("\tADDQ $%d, DI", 32*units)
		if a.binary {
			w.p("\tADDQ $%d, DX", 32*units)
		}
	}
	w.p("\tCMPQ CX, $4")
	w.p("\tJB   one")
	step(4, "four")
	w.p("\tSUBQ $4, CX")
	w.p("\tCMPQ CX, $4")
	w.p("\tJAE  four")
	w.p("\tTESTQ CX, CX")
	w.p("\tJZ   end")
	step(1, "one")
	w.p("\tDECQ CX")
	w.p("\tJNZ  one")
	w.p("end:")
	w.p("\tVZEROUPPER")
	w.p("done:")
	w.p("\tRET")
	w.p("")
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: go run gen_vec32.go out.s")
	}
	var w writer
	w.p("// Code generated by gen_vec32.go; DO NOT EDIT.")
	w.p("")
	w.p("//go:build amd64")
	w.p("")
	w.p("#include \"textflag.h\"")
	w.p("")
	for _, k := range consts {
		for i := range 4 {
			w.p("DATA %s<>+%d(SB)/8, $0x%016x", k.name, 8*i, k.bits)
		}
		w.p("GLOBL %s<>(SB), RODATA|NOPTR, $32", k.name)
	}
	w.p("DATA sign32<>+0(SB)/4, $0x80000000")
	w.p("GLOBL sign32<>(SB), RODATA|NOPTR, $4")
	w.p("DATA ninf32<>+0(SB)/4, $0x%08x", math.Float32bits(float32(math.Inf(-1))))
	w.p("GLOBL ninf32<>(SB), RODATA|NOPTR, $4")
	w.p("")
	for _, u := range unaries {
		w.genUnary(u)
	}
	for _, u := range unaries {
		if !u.f64 {
			w.genUnary512(u)
		}
	}
	for _, avx512 := range []bool{false, true} {
		w.genExpSum(false, avx512)
		w.genExpSum(true, avx512)
	}
	w.genMax()
	w.genSoftmaxRows()
	w.genSubRows()
	for _, a := range ariths {
		w.genArith(a)
	}
	if err := os.WriteFile(os.Args[1], w.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
