package vec32

// The slice forms of scalar.go's element functions: dst[i] = f(a[i]).

func Exps(dst, a []float32)     { split512(dst, a, expsAVX512, expsAVX2, expsGo) }
func Sigmoids(dst, a []float32) { split512(dst, a, sigmoidsAVX512, sigmoidsAVX2, sigmoidsGo) }
func Tanhs(dst, a []float32)    { split512(dst, a, tanhsAVX512, tanhsAVX2, tanhsGo) }
func GeluNews(dst, a []float32) { split512(dst, a, geluNewsAVX512, geluNewsAVX2, geluNewsGo) }

func Logs(dst, a []float32) { split512(dst, a, logsAVX512, logsAVX2, logsGo) }
