package tensor

// Map applies f to every element and returns a new contiguous tensor of t's
// dtype. It is meant for float tensors; an int64 tensor goes through float64
// and f's result is truncated back to int64.
func Map(t *Tensor, f func(float64) float64) *Tensor {
	out := mustZeros(t.dtype, t.shape)
	// Contiguous float inputs skip forEachOffset's per-element closure and
	// dtype switch: one tight loop over the backing slices.
	switch t.dtype {
	case Float64:
		if src := t.Float64Data(); src != nil {
			dst := out.f64
			for i, v := range src {
				dst[i] = f(v)
			}
			return out
		}
		mapRows(out.f64, t.f64, t, func(v float64) float64 { return f(v) })
	case Float32:
		if src := t.Float32Data(); src != nil {
			dst := out.f32
			for i, v := range src {
				dst[i] = float32(f(float64(v)))
			}
			return out
		}
		mapRows(out.f32, t.f32, t, func(v float32) float32 { return float32(f(float64(v))) })
	case Int64:
		mapRows(out.i64, t.i64, t, func(v int64) int64 { return int64(f(float64(v))) })
	}
	return out
}

// mapRows applies g over a strided source row by row into contiguous dst.
func mapRows[T float32 | float64 | int64](dst, src []T, t *Tensor, g func(T) T) {
	l := newRowLoop(t.shape, ContiguousStrides(t.shape), t.strides)
	n, ss := l.RowLen(), l.Stride(1)
	l.Each(0, l.Rows(), []int{0, t.offset}, func(p []int) {
		d := dst[p[0] : p[0]+n]
		ps := p[1]
		for j := range d {
			d[j] = g(src[ps])
			ps += ss
		}
	})
}
