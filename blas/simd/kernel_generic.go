package simd

// genericKernel is the portable 4×4 micro-kernel. It makes two passes over
// k, rows 0–1 then rows 2–3: eight accumulators plus the six operands of a
// step fit in amd64's sixteen float registers, where sixteen accumulators
// would spill to the stack every step.
func genericKernel[T float](k int, a, b, c []T, ldc int, alpha, beta T, loadC bool) {
	a = a[:4*k]
	b = b[:4*k]
	for half := 0; half < 4; half += 2 {
		var c00, c01, c02, c03 T
		var c10, c11, c12, c13 T
		for p := 0; p < len(b); p += 4 {
			bp := b[p : p+4 : p+4]
			ap := a[p+half : p+half+2 : p+half+2]
			b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
			a0, a1 := ap[0], ap[1]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
		}
		r := half * ldc
		storeRow(c[r:r+4:r+4], alpha, beta, loadC, c00, c01, c02, c03)
		r += ldc
		storeRow(c[r:r+4:r+4], alpha, beta, loadC, c10, c11, c12, c13)
	}
}

func storeRow[T float](c []T, alpha, beta T, loadC bool, v0, v1, v2, v3 T) {
	if loadC {
		c[0] = alpha*v0 + beta*c[0]
		c[1] = alpha*v1 + beta*c[1]
		c[2] = alpha*v2 + beta*c[2]
		c[3] = alpha*v3 + beta*c[3]
		return
	}
	c[0] = alpha * v0
	c[1] = alpha * v1
	c[2] = alpha * v2
	c[3] = alpha * v3
}

// genericStrided is the portable stridedKernel: per element of the
// rows×cols corner, the same products summed over k in the same order as
// genericKernel.
func genericStrided[T float](k int, a []T, rs, ks int, b []T, bs int, c []T, ldc int, alpha, beta T, loadC bool, rows, cols int) {
	for i := range rows {
		ci := c[i*ldc : i*ldc+cols]
		for j := range ci {
			var s T
			for p := range k {
				s += a[i*rs+p*ks] * b[p*bs+j]
			}
			if loadC {
				ci[j] = alpha*s + beta*ci[j]
			} else {
				ci[j] = alpha * s
			}
		}
	}
}
