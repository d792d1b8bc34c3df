//go:build amd64

package simd

//go:generate go run gen_kernels.go

// The assembly micro-kernels (kernels_amd64.s); see microKernel for the
// contract. loadC is 0 or 1.

//go:noescape
func sgemmAVX2(k int, a, b, c *float32, ldc int, alpha, beta float32, loadC int)

//go:noescape
func dgemmAVX2(k int, a, b, c *float64, ldc int, alpha, beta float64, loadC int)

//go:noescape
func sgemmAVX512(k int, a, b, c *float32, ldc int, alpha, beta float32, loadC int)

//go:noescape
func dgemmAVX512(k int, a, b, c *float64, ldc int, alpha, beta float64, loadC int)

//go:noescape
func sgemmAVX2Strided(k int, a *float32, rs, ks int, b *float32, bs int, c *float32, ldc int, alpha, beta float32, loadC, rows int, mask *int32)

//go:noescape
func sgemmAVX2Strided1(k int, a *float32, rs, ks int, b *float32, bs int, c *float32, ldc int, alpha, beta float32, loadC, rows int, mask *int32)

//go:noescape
func dgemmAVX2Strided(k int, a *float64, rs, ks int, b *float64, bs int, c *float64, ldc int, alpha, beta float64, loadC, rows int, mask *int64)

//go:noescape
func dgemmAVX2Strided1(k int, a *float64, rs, ks int, b *float64, bs int, c *float64, ldc int, alpha, beta float64, loadC, rows int, mask *int64)

//go:noescape
func sgemmAVX512Strided(k int, a *float32, rs, ks int, b *float32, bs int, c *float32, ldc int, alpha, beta float32, loadC, rows int, mask uint)

//go:noescape
func sgemmAVX512Strided1(k int, a *float32, rs, ks int, b *float32, bs int, c *float32, ldc int, alpha, beta float32, loadC, rows int, mask uint)

//go:noescape
func dgemmAVX512Strided(k int, a *float64, rs, ks int, b *float64, bs int, c *float64, ldc int, alpha, beta float64, loadC, rows int, mask uint)

//go:noescape
func dgemmAVX512Strided1(k int, a *float64, rs, ks int, b *float64, bs int, c *float64, ldc int, alpha, beta float64, loadC, rows int, mask uint)

// AVX2 column masks (VMASKMOVPS/PD): the mask of an edge tile with cols
// valid columns starts cols lanes before the first zero, its second vector
// one vector further on.
var (
	avx2Mask32 = laneMasks[int32](16)
	avx2Mask64 = laneMasks[int64](8)
)

// laneMasks is nr all-ones lanes followed by nr zero lanes.
func laneMasks[I int32 | int64](nr int) []I {
	m := make([]I, 2*nr)
	for i := range nr {
		m[i] = -1
	}
	return m
}

// bitMask is the AVX-512 mask of the first cols lanes (lanes of vector 0
// in the low bits, then vector 1's).
func bitMask(cols int) uint { return 1<<uint(cols) - 1 }

//go:noescape
func transpose8x8PS(dst *float32, ldd int, src *float32, lds int)

// transpose8x8 is the transposer of float32 on CPUs with AVX (both kernel
// ISAs have it); the slices are checked here, the assembly does not.
func transpose8x8(dst []float32, ldd int, src []float32, lds int) {
	_, _ = dst[7*ldd+7], src[7*lds+7]
	transpose8x8PS(&dst[0], ldd, &src[0], lds)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Blocking. The textbook choice keeps a B micro-panel (kc×nr) in L1;
// measured on the Zen 5 this was tuned on (48 KiB L1, 1 MiB L2 per core),
// the AVX-512 kernels ran 4–5% faster at kc=512 than at 256 and 192 (calls
// alternated in one process): streaming B from L2 costs the kernel little,
// while a deeper kc halves the passes over C. mc keeps the packed A block
// (mc×kc) within L2; the packed B block (kc×nc) sits in L3. The AVX2
// kernels, for older CPUs with smaller caches, keep the textbook kc=256.
func init() {
	if hasAVX2FMA() {
		kernels32[AVX2] = &kernel[float32]{isa: AVX2, mr: 6, nr: 16, kc: 256, mc: 288, nc: 2048,
			fn: func(k int, a, b, c []float32, ldc int, alpha, beta float32, loadC bool) {
				sgemmAVX2(k, &a[0], &b[0], &c[0], ldc, alpha, beta, b2i(loadC))
			},
			strided: rowKernels(sgemmAVX2Rows, avx2Masks(avx2Mask32)), t8: transpose8x8}
		kernels64[AVX2] = &kernel[float64]{isa: AVX2, mr: 6, nr: 8, kc: 256, mc: 144, nc: 2048,
			fn: func(k int, a, b, c []float64, ldc int, alpha, beta float64, loadC bool) {
				dgemmAVX2(k, &a[0], &b[0], &c[0], ldc, alpha, beta, b2i(loadC))
			},
			strided: rowKernels(dgemmAVX2Rows, avx2Masks(avx2Mask64))}
	}
	if hasAVX512() {
		kernels32[AVX512] = &kernel[float32]{isa: AVX512, mr: 14, nr: 32, kc: 512, mc: 336, nc: 2048,
			fn: func(k int, a, b, c []float32, ldc int, alpha, beta float32, loadC bool) {
				sgemmAVX512(k, &a[0], &b[0], &c[0], ldc, alpha, beta, b2i(loadC))
			},
			strided: rowKernels(sgemmAVX512Rows, bitMask), bInPlace: true, t8: transpose8x8}
		kernels64[AVX512] = &kernel[float64]{isa: AVX512, mr: 14, nr: 16, kc: 512, mc: 168, nc: 1024,
			fn: func(k int, a, b, c []float64, ldc int, alpha, beta float64, loadC bool) {
				dgemmAVX512(k, &a[0], &b[0], &c[0], ldc, alpha, beta, b2i(loadC))
			},
			strided: rowKernels(dgemmAVX512Rows, bitMask), bInPlace: true}
	}
}

// stridedAsm is the signature of the generated strided kernels; M is the
// column mask's type (a bit mask, or a pointer into an AVX2 lane-mask table).
type stridedAsm[T float, M any] = func(k int, a *T, rs, ks int, b *T, bs int, c *T, ldc int, alpha, beta T, loadC, rows int, mask M)

// rowAsm is one height of generated strided kernel: two vectors a row and
// one (kernels_rows_amd64.go lists them).
type rowAsm[T float, M any] struct {
	rows     int
	two, one stridedAsm[T, M]
}

// rowKernels wraps generated kernels as stridedKernels; mask makes the
// column mask of cols valid columns.
func rowKernels[T float, M any](asm []rowAsm[T, M], mask func(cols int) M) []rowKernel[T] {
	wrap := func(f stridedAsm[T, M]) stridedKernel[T] {
		return func(k int, a []T, rs, ks int, b []T, bs int, c []T, ldc int, alpha, beta T, loadC bool, rows, cols int) {
			f(k, &a[0], rs, ks, &b[0], bs, &c[0], ldc, alpha, beta, b2i(loadC), rows, mask(cols))
		}
	}
	out := make([]rowKernel[T], len(asm))
	for i, r := range asm {
		out[i] = rowKernel[T]{rows: r.rows, two: wrap(r.two), one: wrap(r.one)}
	}
	return out
}

// avx2Masks returns the mask function of an AVX2 lane-mask table (nr
// ones then nr zeros).
func avx2Masks[I int32 | int64](table []I) func(cols int) *I {
	nr := len(table) / 2
	return func(cols int) *I { return &table[nr-cols] }
}
