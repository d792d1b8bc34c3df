package vec32

import "golang.org/x/sys/cpu"

//go:generate go run gen_vec32.go vec32_amd64.s

// useAVX2 selects the assembly kernels (vec32_amd64.s), useAVX512 the
// transcendental ones' AVX-512 forms (twice the lanes: 1.6–1.8× faster
// on the Zen 5 this project runs on); x/sys/cpu folds in whether the OS
// saves the vector state. Variables so tests can run every path on the
// same machine.
var (
	useAVX2   = cpu.X86.HasAVX2
	useAVX512 = useAVX2 && cpu.X86.HasAVX512F
	// hasAVX512VL: SoftmaxRows's kernel also masks eight-lane registers.
	hasAVX512VL = cpu.X86.HasAVX512VL
)

// The assembly kernels each take a length that is a multiple of 8 (dst's;
// operands at least as long); ExpSum's and ExpStore's add their lanes into
// s in place.

//go:noescape
func expsAVX2(dst, a []float32)

//go:noescape
func sigmoidsAVX2(dst, a []float32)

//go:noescape
func tanhsAVX2(dst, a []float32)

//go:noescape
func geluNewsAVX2(dst, a []float32)

//go:noescape
func expSumAVX2(r []float32, m float64, s *[4]float64)

//go:noescape
func expStoreAVX2(dst, r []float32, m float64, s *[4]float64)

//go:noescape
func addAVX2(dst, a, b []float32)

//go:noescape
func addToAVX2(dst, a []float32)

//go:noescape
func mulAVX2(dst, a, b []float32)

//go:noescape
func scaleAVX2(dst, a []float32, f float32)

//go:noescape
func reluAVX2(dst, a []float32)

//go:noescape
func negAVX2(dst, a []float32)

//go:noescape
func mulF64AVX2(dst, a []float32, f float64)

//go:noescape
func subF64AVX2(dst, a []float32, f float64)

//go:noescape
func maxAVX2(r []float32, lanes *[8]float32) bool

//go:noescape
func logsAVX2(dst, a []float32)

// The AVX-512 forms of the transcendental kernels take a length that is
// a multiple of 16.

//go:noescape
func expsAVX512(dst, a []float32)

//go:noescape
func sigmoidsAVX512(dst, a []float32)

//go:noescape
func tanhsAVX512(dst, a []float32)

//go:noescape
func geluNewsAVX512(dst, a []float32)

//go:noescape
func logsAVX512(dst, a []float32)

//go:noescape
func expSumAVX512(r []float32, m float64, s *[4]float64)

//go:noescape
func expStoreAVX512(dst, r []float32, m float64, s *[4]float64)

// softmaxRowsAVX512 is SoftmaxRows's kernel (gen_vec32.go's
// genSoftmaxRows): the rows a[offs[r]:][:d] into dst[r*d:], fullBytes the
// bytes of a row's whole chunks of eight, lastMask and fullMask the last
// chunk's elements and whole groups of four, rem where the last len%4 sit
// (0 none, 1 the last chunk's low four, 2 its high four); ms and ss get
// each row's max (any value when the row holds a NaN, its outputs NaN
// regardless) and sum; t, nil for log_softmax, holds a softmax row's
// float32(e) before scaling.
//
//go:noescape
func softmaxRowsAVX512(dst, a []float32, offs []int, ms, ss []float64, t *[2 * RowsMaxD]float64, fullBytes, lastMask, fullMask, rem, d int)

// subRowsAVX512 is log_softmax's last step for SoftmaxRows: dst row r is
// float32(float64(x) − ls[r]) over a[offs[r]:][:d].
//
//go:noescape
func subRowsAVX512(dst, a []float32, offs []int, ls []float64, fullBytes, lastMask, d int)
