//go:build !amd64

package vec32

// Only amd64 has assembly kernels; elsewhere the Go kernels run and the
// vector names, never called, stand for them.
var useAVX2, useAVX512, hasAVX512VL = false, false, false

var (
	expsAVX2, sigmoidsAVX2, tanhsAVX2, geluNewsAVX2 = expsGo, sigmoidsGo, tanhsGo, geluNewsGo
	addToAVX2, reluAVX2, negAVX2                    = addToGo, reluGo, negGo
	addAVX2, mulAVX2                                = addGo, mulGo
	scaleAVX2                                       = scaleGo
	mulF64AVX2, subF64AVX2                          = mulF64Go, subF64Go
	logsAVX2                                        = logsGo
	expsAVX512, sigmoidsAVX512, tanhsAVX512         = expsGo, sigmoidsGo, tanhsGo
	geluNewsAVX512, logsAVX512                      = geluNewsGo, logsGo
)

func maxAVX2(r []float32, lanes *[8]float32) bool { panic("vec32: no AVX2") }

func expSumAVX2(r []float32, m float64, s *[4]float64)          { panic("vec32: no AVX2") }
func expSumAVX512(r []float32, m float64, s *[4]float64)        { panic("vec32: no AVX-512") }
func expStoreAVX512(dst, r []float32, m float64, s *[4]float64) { panic("vec32: no AVX-512") }
func expStoreAVX2(dst, r []float32, m float64, s *[4]float64)   { panic("vec32: no AVX2") }

func softmaxRowsAVX512(dst, a []float32, offs []int, ms, ss []float64, t *[2 * RowsMaxD]float64, fullBytes, lastMask, fullMask, rem, d int) {
	panic("vec32: no AVX-512")
}

func subRowsAVX512(dst, a []float32, offs []int, ls []float64, fullBytes, lastMask, d int) {
	panic("vec32: no AVX-512")
}
