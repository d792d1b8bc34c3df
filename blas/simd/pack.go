package simd

// packA copies the mc×kc block of op(A) whose top-left element is
// op(A)[i0, p0] into dst as ceil(mc/mr) micro-panels of mr×kc, each stored
// column by column (kc groups of mr elements). Rows past mc are left as
// they were: only the strided kernel sees a short panel, and it stores
// none of their results (lanes are independent, so whatever they hold
// cannot reach a stored element).
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
			}
			continue
		}
		// eight rows at once: each p writes one 32-byte run of d, where one
		// row at a time wrote every element to another run (1.5x faster)
		i := 0
		for ; i+8 <= rows; i += 8 {
			at := func(r int) []T { o := (r0+i+r)*lda + p0; return a[o : o+kc] }
			s0, s1, s2, s3, s4, s5, s6, s7 := at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7)
			for p := range kc {
				col := d[p*mr+i : p*mr+i+8]
				col[0], col[1], col[2], col[3] = s0[p], s1[p], s2[p], s3[p]
				col[4], col[5], col[6], col[7] = s4[p], s5[p], s6[p], s7[p]
			}
		}
		for ; i < rows; i++ {
			src := a[(r0+i)*lda+p0:]
			src = src[:kc]
			for p, v := range src {
				d[p*mr+i] = v
			}
		}
	}
}

// packBSlice is how many rows of a transposed B panel are packed at a time.
const packBSlice = 16

// packB copies the kc×nc block of op(B) whose top-left element is
// op(B)[p0, j0] into dst as ceil(nc/nr) micro-panels of kc×nr, each stored
// row by row (kc groups of nr elements). Columns past nc are left as they
// were, as packA leaves rows.
// op(B)[p, j] is b[p*ldb+j], or b[j*ldb+p] when bTrans.
//
// t8, if not nil, transposes 8×8 blocks (transposer); the rest of a
// transposed B, and all of it without t8, is copied element by element.
func packB[T float](dst []T, bTrans bool, b []T, ldb, p0, kc, j0, nc, nr int, t8 transposer[T]) {
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
			}
			continue
		}
		// A transpose, in slices of packBSlice rows of the panel: each column's
		// slice is one or two cache lines read, and the slice's rows of d stay
		// in L1 while every column writes them (a whole k×nr panel does not fit,
		// and writing it column by column missed on nearly every store).
		for ps := 0; ps < kc; ps += packBSlice {
			pe := min(ps+packBSlice, kc)
			w := pe - ps
			j := 0
			for ; j+8 <= cols; j += 8 { // eight columns at once: one 32-byte run of d per row
				q := 0
				if t8 != nil {
					for ; q+8 <= w; q += 8 {
						t8(d[(ps+q)*nr+j:], nr, b[(c0+j)*ldb+p0+ps+q:], ldb)
					}
				}
				at := func(c int) []T { o := (c0+j+c)*ldb + p0 + ps; return b[o : o+w] }
				s0, s1, s2, s3, s4, s5, s6, s7 := at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7)
				for ; q < w; q++ {
					row := d[(ps+q)*nr+j : (ps+q)*nr+j+8]
					row[0], row[1], row[2], row[3] = s0[q], s1[q], s2[q], s3[q]
					row[4], row[5], row[6], row[7] = s4[q], s5[q], s6[q], s7[q]
				}
			}
			for ; j < cols; j++ {
				src := b[(c0+j)*ldb+p0+ps : (c0+j)*ldb+p0+pe]
				for q, v := range src {
					d[(ps+q)*nr+j] = v
				}
			}
		}
	}
}

// transposer copies an 8×8 block transposed, dst[c*ldd+r] = src[r*lds+c]
// for r, c < 8: one vector load and store per row instead of 64 scalar
// moves. nil where there is no assembly one.
type transposer[T float] func(dst []T, ldd int, src []T, lds int)
