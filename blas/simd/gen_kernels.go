//go:build ignore

// gen_kernels writes kernels_amd64.s: the register-blocked GEMM
// micro-kernels. The kernels are generated rather than hand-written because
// every one of them is the same loop with a different register budget, and a
// generator keeps the four in step (offsets, unrolling, epilogue) where hand
// editing would let them drift.
//
// Run with `go generate ./blas/simd` (see kernels_amd64.go).
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"os"
)

// spec describes one micro-kernel: an mr×(2·lanes) tile of C held in
// 2·mr vector accumulators, fed each k step by one row of the packed B
// micro-panel (two vectors) and mr broadcast elements of the packed A
// micro-panel.
type spec struct {
	name   string // Go function name
	elem   int    // element size in bytes
	vreg   string // register prefix: "Y" or "Z"
	vbytes int    // vector size in bytes
	mr     int    // rows of the tile
	unroll int    // k steps per loop iteration (a power of two)
	// embedded makes each FMA take its broadcast operand straight from
	// memory (AVX-512 embedded broadcast), saving a register and an
	// instruction per row but loading each A element twice. Measured on
	// the Zen 5 this project runs on, it was about 10% slower than one
	// VBROADCAST per row, so no kernel uses it now; kept for other CPUs.
	embedded bool
	// prefetchA, if not 0, is how far ahead (bytes) to prefetch the A
	// micro-panel each k step, as non-temporal (PREFETCHNTA) so that the
	// A stream, used once per call, does not push the B micro-panel, used
	// by every call, out of L1.
	prefetchA int
}

func (s spec) suffix() string {
	if s.elem == 4 {
		return "PS"
	}
	return "PD"
}

func (s spec) bcast() string {
	if s.elem == 4 {
		return "VBROADCASTSS"
	}
	return "VBROADCASTSD"
}

func (s spec) nr() int { return 2 * s.vbytes / s.elem }

func (s spec) reg(i int) string { return fmt.Sprintf("%s%d", s.vreg, i) }

// acc is the accumulator for row i, vector v.
func (s spec) acc(i, v int) string { return s.reg(2*i + v) }

func (s spec) goType() string {
	if s.elem == 4 {
		return "float32"
	}
	return "float64"
}

func log2(n int) int {
	l := 0
	for 1<<l < n {
		l++
	}
	return l
}

func gen(w *bytes.Buffer, s spec) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	b0, b1 := s.reg(2*s.mr), s.reg(2*s.mr+1)
	tmp := s.reg(2*s.mr + 2) // broadcast temporary (AVX2 only)
	alphaReg, betaReg := b0, b1
	sfx := s.suffix()
	mov := "VMOVUP" + sfx[1:]
	betaOff := 44
	loadCOff := 48
	frame := 56
	if s.elem == 8 {
		betaOff, loadCOff, frame = 48, 56, 64
	}
	nr := s.nr()
	rowBytes := nr * s.elem

	p("// func %s(k int, a, b, c *%s, ldc int, alpha, beta %s, loadC int)", s.name, s.goType(), s.goType())
	p("// C[0:%d, 0:%d] (row stride ldc) = alpha*Apanel*Bpanel + (loadC != 0 ? beta*C : 0)", s.mr, nr)
	p("TEXT ·%s(SB), NOSPLIT, $0-%d", s.name, frame)
	p("\tMOVQ k+0(FP), CX")
	p("\tMOVQ a+8(FP), SI")
	p("\tMOVQ b+16(FP), DI")
	p("\tMOVQ c+24(FP), DX")
	p("\tMOVQ ldc+32(FP), R8")
	p("\tSHLQ $%d, R8", log2(s.elem))
	prologue(w, s)
	p("\tMOVQ CX, R9")
	p("\tSHRQ $%d, CX", log2(s.unroll))
	p("\tANDQ $%d, R9", s.unroll-1)
	p("\tTESTQ CX, CX")
	p("\tJEQ %s_tail", s.name)
	step := func(u int) {
		if s.prefetchA > 0 {
			p("\tPREFETCHNTA %d(SI)", s.prefetchA+u*s.mr*s.elem)
		}
		bOff := u * rowBytes
		p("\t%s %d(DI), %s", mov, bOff, b0)
		p("\t%s %d(DI), %s", mov, bOff+s.vbytes, b1)
		for i := 0; i < s.mr; i++ {
			aOff := (u*s.mr + i) * s.elem
			if s.embedded {
				p("\tVFMADD231%s.BCST %d(SI), %s, %s", sfx, aOff, b0, s.acc(i, 0))
				p("\tVFMADD231%s.BCST %d(SI), %s, %s", sfx, aOff, b1, s.acc(i, 1))
			} else {
				p("\t%s %d(SI), %s", s.bcast(), aOff, tmp)
				p("\tVFMADD231%s %s, %s, %s", sfx, tmp, b0, s.acc(i, 0))
				p("\tVFMADD231%s %s, %s, %s", sfx, tmp, b1, s.acc(i, 1))
			}
		}
	}
	p("%s_loop:", s.name)
	for u := 0; u < s.unroll; u++ {
		step(u)
	}
	p("\tADDQ $%d, SI", s.unroll*s.mr*s.elem)
	p("\tADDQ $%d, DI", s.unroll*rowBytes)
	p("\tDECQ CX")
	p("\tJNE %s_loop", s.name)
	p("%s_tail:", s.name)
	p("\tTESTQ R9, R9")
	p("\tJEQ %s_store", s.name)
	p("%s_tailloop:", s.name)
	step(0)
	p("\tADDQ $%d, SI", s.mr*s.elem)
	p("\tADDQ $%d, DI", rowBytes)
	p("\tDECQ R9")
	p("\tJNE %s_tailloop", s.name)
	p("%s_store:", s.name)
	p("\t%s alpha+40(FP), %s", s.bcast(), alphaReg)
	p("\tMOVQ loadC+%d(FP), R10", loadCOff)
	p("\tTESTQ R10, R10")
	p("\tJNE %s_beta", s.name)
	// beta == 0: C is overwritten and never read, so NaNs in C do not leak.
	for i := 0; i < s.mr; i++ {
		for v := 0; v < 2; v++ {
			p("\tVMUL%s %s, %s, %s", sfx, alphaReg, s.acc(i, v), s.acc(i, v))
			p("\t%s %s, %d(DX)", mov, s.acc(i, v), v*s.vbytes)
		}
		if i < s.mr-1 {
			p("\tADDQ R8, DX")
		}
	}
	p("\tVZEROUPPER")
	p("\tRET")
	p("%s_beta:", s.name)
	p("\t%s beta+%d(FP), %s", s.bcast(), betaOff, betaReg)
	for i := 0; i < s.mr; i++ {
		for v := 0; v < 2; v++ {
			p("\tVMUL%s %s, %s, %s", sfx, alphaReg, s.acc(i, v), s.acc(i, v))
			p("\tVFMADD231%s %d(DX), %s, %s", sfx, v*s.vbytes, betaReg, s.acc(i, v))
			p("\t%s %s, %d(DX)", mov, s.acc(i, v), v*s.vbytes)
		}
		if i < s.mr-1 {
			p("\tADDQ R8, DX")
		}
	}
	p("\tVZEROUPPER")
	p("\tRET")
	p("")
}

// prologue prefetches the C tile (DX, row stride R8 bytes) so its lines
// arrive while the k loop runs, and zeroes the accumulators.
func prologue(w *bytes.Buffer, s spec) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("\tMOVQ DX, R11")
	for i := 0; i < s.mr; i++ {
		for off := 0; off < s.nr()*s.elem; off += 64 {
			p("\tPREFETCHT0 %d(R11)", off)
		}
		if i < s.mr-1 {
			p("\tADDQ R8, R11")
		}
	}
	// VPXORD rather than VXORPS on zmm: the latter needs AVX512DQ.
	zero := "VXOR" + s.suffix()
	if s.vreg == "Z" {
		zero = "VPXORD"
	}
	for i := 0; i < 2*s.mr; i++ {
		p("\t%s %s, %s, %s", zero, s.reg(i), s.reg(i), s.reg(i))
	}
}

// genStrided writes a strided variant of s: the same mr-row tile and the
// same k loop (one FMA per row and vector, k in order, so a tile's sums
// are bit for bit those of the packed kernel), with vecs vectors a row
// (vecs 1 halves the work of a tile whose valid columns fit one vector).
// A element (i, p) is read at a + i*rs + p*ks and B row p at b + p*bs
// (rs, ks, bs counted in elements: packed micro-panels have rs = 1,
// ks = mr, bs = nr; row-major A read in place has rs = lda, ks = 1; B read
// in place has bs = ldb). Only the first rows rows and the columns in mask
// are loaded from and stored to C, so edge tiles go straight into C with no
// scratch tile. The AVX-512 kernels load B through the same masks (zeroing
// the lanes past the edge, and masked loads never fault), so B may be read
// in place even where its last row ends before the panel does; the AVX2
// ones load whole B vectors, so they must only be given packed B.
//
// Row i of A is addressed from one of three bases, SI, R12 = SI+5·rs and
// R13 = SI+10·rs, plus 0, rs, 2·rs, 3·rs or 4·rs (AX = rs, BX = 3·rs, scaled
// by 1, 2 or 4), since x86 scales index registers only by 1, 2, 4 and 8.
// Registers Go reserves (SP, BP, R14, R15) are not touched.
func genStrided(w *bytes.Buffer, s spec, vecs int, name string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	bv := []string{s.reg(2 * s.mr), s.reg(2*s.mr + 1)} // B row vectors
	tmp := s.reg(2*s.mr + 2)
	alphaReg, betaReg := bv[0], bv[1]
	sfx := s.suffix()
	mov := "VMOVUP" + sfx[1:]
	// Frame: k a rs ks b bs c ldc (8 bytes each), alpha, beta, loadC, rows, mask.
	alphaOff, betaOff, loadCOff := 64, 68, 72
	if s.elem == 8 {
		betaOff, loadCOff = 72, 80
	}
	rowsOff, maskOff := loadCOff+8, loadCOff+16
	frame := maskOff + 8
	avx512 := s.vreg == "Z"
	maskType := "uint"
	if !avx512 {
		maskType = "*int" + fmt.Sprint(8*s.elem)
	}
	p("// func %s(k int, a *%s, rs, ks int, b *%s, bs int, c *%s, ldc int, alpha, beta %s, loadC, rows int, mask %s)", name, s.goType(), s.goType(), s.goType(), s.goType(), maskType)
	p("// C[0:rows, mask] (row stride ldc) = alpha*A*B + (loadC != 0 ? beta*C : 0), A(i,p) at a+i*rs+p*ks, B(p,j) at b+p*bs+j, %d vector(s) a row", vecs)
	p("TEXT ·%s(SB), NOSPLIT, $0-%d", name, frame)
	p("\tMOVQ k+0(FP), CX")
	p("\tMOVQ a+8(FP), SI")
	p("\tMOVQ rs+16(FP), AX")
	p("\tMOVQ ks+24(FP), R10")
	p("\tMOVQ b+32(FP), DI")
	p("\tMOVQ bs+40(FP), R9")
	p("\tMOVQ c+48(FP), DX")
	p("\tMOVQ ldc+56(FP), R8")
	for _, r := range []string{"R8", "AX", "R10", "R9"} {
		p("\tSHLQ $%d, %s", log2(s.elem), r)
	}
	p("\tLEAQ (AX)(AX*2), BX")
	if s.mr > 5 {
		p("\tLEAQ (SI)(AX*4), R12")
		p("\tADDQ AX, R12")
	}
	if s.mr > 10 {
		p("\tLEAQ (R12)(AX*4), R13")
		p("\tADDQ AX, R13")
	}
	prologue(w, s) // prefetches never fault: rows past the edge are harmless
	kreg := []string{"K1", "K2"}
	if avx512 {
		// One mask bit per lane: the low lanes-many bits for vector 0.
		p("\tMOVQ mask+%d(FP), R11", maskOff)
		p("\tKMOVW R11, K1")
		p("\tSHRQ $%d, R11", s.vbytes/s.elem)
		p("\tKMOVW R11, K2")
	}
	addr := func(i int) string {
		base := []string{"SI", "R12", "R13"}[i/5]
		return fmt.Sprintf([]string{"(%s)", "(%s)(AX*1)", "(%s)(AX*2)", "(%s)(BX*1)", "(%s)(AX*4)"}[i%5], base)
	}
	p("%s_loop:", name)
	for v := range vecs {
		if avx512 {
			p("\t%s.Z %d(DI), %s, %s", mov, v*s.vbytes, kreg[v], bv[v])
		} else {
			p("\t%s %d(DI), %s", mov, v*s.vbytes, bv[v])
		}
	}
	for i := 0; i < s.mr; i++ {
		p("\t%s %s, %s", s.bcast(), addr(i), tmp)
		for v := range vecs {
			p("\tVFMADD231%s %s, %s, %s", sfx, tmp, bv[v], s.acc(i, v))
		}
	}
	p("\tADDQ R10, SI")
	if s.mr > 5 {
		p("\tADDQ R10, R12")
	}
	if s.mr > 10 {
		p("\tADDQ R10, R13")
	}
	p("\tADDQ R9, DI")
	p("\tDECQ CX")
	p("\tJNE %s_loop", name)

	// Epilogue: row by row until rows are done.
	p("\t%s alpha+%d(FP), %s", s.bcast(), alphaOff, alphaReg)
	p("\tMOVQ rows+%d(FP), R9", rowsOff)
	if !avx512 {
		p("\tMOVQ mask+%d(FP), R11", maskOff)
	}
	maskReg := s.reg(2*s.mr + 2) // AVX2: the mask of one vector, reloaded
	cReg := s.reg(2*s.mr + 3)    // the loaded C: Y15 or Z31
	store := func(i, v int) {
		if avx512 {
			p("\t%s %s, %s, %d(DX)", mov, s.acc(i, v), kreg[v], v*s.vbytes)
			return
		}
		p("\t%s %d(R11), %s", mov, v*s.vbytes, maskReg)
		p("\tVMASKMOV%s %s, %s, %d(DX)", sfx, s.acc(i, v), maskReg, v*s.vbytes)
	}
	load := func(i, v int) {
		if avx512 {
			p("\t%s.Z %d(DX), %s, %s", mov, v*s.vbytes, kreg[v], cReg)
			return
		}
		p("\t%s %d(R11), %s", mov, v*s.vbytes, maskReg)
		p("\tVMASKMOV%s %d(DX), %s, %s", sfx, v*s.vbytes, maskReg, cReg)
	}
	p("\tMOVQ loadC+%d(FP), R10", loadCOff)
	p("\tTESTQ R10, R10")
	p("\tJNE %s_beta", name)
	for _, withBeta := range []bool{false, true} {
		if withBeta {
			p("\tJMP %s_done", name)
			p("%s_beta:", name)
			p("\t%s beta+%d(FP), %s", s.bcast(), betaOff, betaReg)
		}
		for i := 0; i < s.mr; i++ {
			for v := range vecs {
				p("\tVMUL%s %s, %s, %s", sfx, alphaReg, s.acc(i, v), s.acc(i, v))
				if withBeta {
					load(i, v)
					p("\tVFMADD231%s %s, %s, %s", sfx, cReg, betaReg, s.acc(i, v))
				}
				store(i, v)
			}
			if i < s.mr-1 {
				p("\tCMPQ R9, $%d", i+1)
				p("\tJEQ %s_done", name)
				p("\tADDQ R8, DX")
			}
		}
	}
	p("%s_done:", name)
	p("\tVZEROUPPER")
	p("\tRET")
	p("")
}

// rowVariants are the row counts of the narrower strided kernels generated
// beside each full-height one (by full height): an edge of fewer rows than
// the tile runs the smallest one that covers it instead of the full tile,
// and A read in place covers a last partial row tile with a sum of them
// (13 = 8+4+1) instead of packing it.
var rowVariants = map[int][]int{14: {8, 4, 2, 1}, 6: {4, 2, 1}}

// stridedName names a strided kernel: Strided (two vectors a row) or
// Strided1 (one), with R and the row count when it is a row variant.
func stridedName(base string, vecs, rows, mr int) string {
	name := base + "Strided"
	if vecs == 1 {
		name += "1"
	}
	if rows != mr {
		name += fmt.Sprintf("R%d", rows)
	}
	return name
}

func main() {
	specs := []spec{
		{name: "sgemmAVX2", elem: 4, vreg: "Y", vbytes: 32, mr: 6, unroll: 4},
		{name: "dgemmAVX2", elem: 8, vreg: "Y", vbytes: 32, mr: 6, unroll: 4},
		{name: "sgemmAVX512", elem: 4, vreg: "Z", vbytes: 64, mr: 14, unroll: 4, prefetchA: 1024},
		{name: "dgemmAVX512", elem: 8, vreg: "Z", vbytes: 64, mr: 14, unroll: 4, prefetchA: 1024},
	}
	var w, g bytes.Buffer
	w.WriteString("// Code generated by gen_kernels.go; DO NOT EDIT.\n\n//go:build amd64\n\n#include \"textflag.h\"\n\n")
	g.WriteString("// Code generated by gen_kernels.go; DO NOT EDIT.\n\n//go:build amd64\n\npackage simd\n\n")
	for _, s := range specs {
		gen(&w, s)
		table := fmt.Sprintf("%sRows = []rowAsm[%s, %s]{\n", s.name, s.goType(), map[bool]string{true: "uint", false: "*int" + fmt.Sprint(8*s.elem)}[s.vreg == "Z"])
		for _, rows := range append([]int{s.mr}, rowVariants[s.mr]...) {
			v := s
			v.mr = rows
			for _, vecs := range []int{2, 1} {
				genStrided(&w, v, vecs, stridedName(s.name, vecs, rows, s.mr))
			}
			two, one := stridedName(s.name, 2, rows, s.mr), stridedName(s.name, 1, rows, s.mr)
			table += fmt.Sprintf("\t{%d, %s, %s},\n", rows, two, one)
			if rows == s.mr {
				continue // declared in kernels_amd64.go
			}
			for _, name := range []string{two, one} {
				mask := "uint"
				if s.vreg != "Z" {
					mask = "*int" + fmt.Sprint(8*s.elem)
				}
				fmt.Fprintf(&g, "//go:noescape\nfunc %s(k int, a *%s, rs, ks int, b *%s, bs int, c *%s, ldc int, alpha, beta %s, loadC, rows int, mask %s)\n\n",
					name, s.goType(), s.goType(), s.goType(), s.goType(), mask)
			}
		}
		fmt.Fprintf(&g, "// %sRows are its strided kernels by height, tallest first.\nvar %s}\n\n", s.name, table)
	}
	asmOut, goOut := "kernels_amd64.s", "kernels_rows_amd64.go"
	if len(os.Args) > 2 {
		asmOut, goOut = os.Args[1], os.Args[2] // the staleness test writes elsewhere
	}
	if err := os.WriteFile(asmOut, w.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	src, err := format.Source(g.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(goOut, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
