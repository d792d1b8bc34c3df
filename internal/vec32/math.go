package vec32

// The slice forms of scalar.go's element functions: dst[i] = f(a[i]).

func Exps(dst, a []float32)     { split(dst, a, expsAVX2, expsGo) }
func Sigmoids(dst, a []float32) { split(dst, a, sigmoidsAVX2, sigmoidsGo) }
func Tanhs(dst, a []float32)    { split(dst, a, tanhsAVX2, tanhsGo) }
func GeluNews(dst, a []float32) { split(dst, a, geluNewsAVX2, geluNewsGo) }

func Logs(dst, a []float32) { split(dst, a, logsAVX2, logsGo) }
