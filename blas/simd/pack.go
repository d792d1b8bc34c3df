package simd

// packA copies the mc×kc block of op(A) whose top-left element is
// op(A)[i0, p0] into dst as ceil(mc/mr) micro-panels of mr×kc, each stored
// column by column (kc groups of mr elements), rows past mc zero-filled.
// op(A)[i, p] is a[i*lda+p], or a[p*lda+i] when aTrans.
func packA[T float](dst []T, aTrans bool, a []T, lda, i0, mc, p0, kc, mr int) {
	for ip := 0; ip < mc; ip += mr {
		rows := min(mr, mc-ip)
		d := dst[ip*kc : ip*kc+mr*kc]
		r0 := i0 + ip
		if aTrans {
			// Column p of the panel is contiguous in a.
			for p := 0; p < kc; p++ {
				src := a[(p0+p)*lda+r0:]
				dp := d[p*mr : p*mr+mr]
				copy(dp, src[:rows])
				clear(dp[rows:])
			}
			continue
		}
		for i := 0; i < rows; i++ {
			src := a[(r0+i)*lda+p0:]
			src = src[:kc]
			for p, v := range src {
				d[p*mr+i] = v
			}
		}
		if rows < mr {
			for p := 0; p < kc; p++ {
				clear(d[p*mr+rows : p*mr+mr])
			}
		}
	}
}

// packB copies the kc×nc block of op(B) whose top-left element is
// op(B)[p0, j0] into dst as ceil(nc/nr) micro-panels of kc×nr, each stored
// row by row (kc groups of nr elements), columns past nc zero-filled.
// op(B)[p, j] is b[p*ldb+j], or b[j*ldb+p] when bTrans.
func packB[T float](dst []T, bTrans bool, b []T, ldb, p0, kc, j0, nc, nr int) {
	for jp := 0; jp < nc; jp += nr {
		cols := min(nr, nc-jp)
		d := dst[jp*kc : jp*kc+nr*kc]
		c0 := j0 + jp
		if !bTrans {
			// Row p of the panel is contiguous in b.
			for p := 0; p < kc; p++ {
				src := b[(p0+p)*ldb+c0:]
				dp := d[p*nr : p*nr+nr]
				copy(dp, src[:cols])
				clear(dp[cols:])
			}
			continue
		}
		for j := 0; j < cols; j++ {
			src := b[(c0+j)*ldb+p0:]
			src = src[:kc]
			for p, v := range src {
				d[p*nr+j] = v
			}
		}
		if cols < nr {
			for p := 0; p < kc; p++ {
				clear(d[p*nr+cols : p*nr+nr])
			}
		}
	}
}
