package simd

// genericKernel is the portable 4×4 micro-kernel.
func genericKernel[T float](k int, a, b, c []T, ldc int, alpha, beta T, loadC bool) {
	genericTile(k, a, 1, 4, b, 4, c, ldc, alpha, beta, loadC, 4, 4)
}

// genericStrided is the portable stridedKernel. It reads all four rows of
// A and all four columns of B (so its kernel is not bInPlace) and stores
// the rows×cols corner.
func genericStrided[T float](k int, a []T, rs, ks int, b []T, bs int, c []T, ldc int, alpha, beta T, loadC bool, rows, cols int) {
	genericTile(k, a, rs, ks, b, bs, c, ldc, alpha, beta, loadC, rows, cols)
}

// genericTile computes a 4×4 tile, A(i, p) at a[i*rs+p*ks] and B row p at
// b[p*bs:], and stores its rows×cols corner. Both generic kernels are this
// one loop, so their sums agree bit for bit whatever the compiler fuses
// (with GOAMD64=v3 it makes FMAs of multiply-adds whose operands are in
// registers, not of those with a memory operand). It makes two passes over
// k, rows 0–1 then rows 2–3: eight accumulators plus the six operands of a
// step fit in amd64's sixteen float registers, where sixteen accumulators
// would spill to the stack every step.
func genericTile[T float](k int, a []T, rs, ks int, b []T, bs int, c []T, ldc int, alpha, beta T, loadC bool, rows, cols int) {
	for half := 0; half < 4; half += 2 {
		var c00, c01, c02, c03 T
		var c10, c11, c12, c13 T
		for p := range k {
			bp := b[p*bs : p*bs+4 : p*bs+4]
			a0, a1 := a[half*rs+p*ks], a[(half+1)*rs+p*ks]
			b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
		}
		if half < rows {
			storeRow(c[half*ldc:], cols, alpha, beta, loadC, [4]T{c00, c01, c02, c03})
		}
		if half+1 < rows {
			storeRow(c[(half+1)*ldc:], cols, alpha, beta, loadC, [4]T{c10, c11, c12, c13})
		}
	}
}

// storeRow writes the first cols sums of a tile row into c.
func storeRow[T float](c []T, cols int, alpha, beta T, loadC bool, v [4]T) {
	c = c[:cols]
	if loadC {
		for j := range c {
			c[j] = alpha*v[j] + beta*c[j]
		}
		return
	}
	for j := range c {
		c[j] = alpha * v[j]
	}
}
