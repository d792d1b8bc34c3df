package tensor

import (
	"fmt"
	"math"
)

// BinaryOp is an elementwise operation of two tensors.
type BinaryOp uint8

const (
	OpAdd BinaryOp = iota + 1
	OpSub
	OpMul
	OpDiv
	OpPow
	OpMax
	OpMin
)

func (op BinaryOp) String() string {
	switch op {
	case OpAdd:
		return "add"
	case OpSub:
		return "sub"
	case OpMul:
		return "mul"
	case OpDiv:
		return "div"
	case OpPow:
		return "pow"
	case OpMax:
		return "max"
	case OpMin:
		return "min"
	}
	return fmt.Sprintf("op(%d)", uint8(op))
}

// WiderDType is the result dtype of mixing a and b: float64 > float32 > int64.
func WiderDType(a, b DType) DType {
	rank := func(d DType) int {
		switch d {
		case Float64:
			return 3
		case Float32:
			return 2
		case Int64:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// Binary applies op elementwise with numpy broadcasting (shapes aligned on
// the right). The result has the wider of the two dtypes. Max and Min
// propagate NaN like numpy's maximum/minimum. On int64, Div truncates
// toward zero and a zero divisor gives 0 (rather than a Go panic), and Pow
// with a negative exponent goes through float64 and truncates.
func Binary(op BinaryOp, a, b *Tensor) (*Tensor, error) {
	if op < OpAdd || op > OpMin {
		return nil, fmt.Errorf("binary: unknown op %v", op)
	}
	shape, err := BroadcastShapes(a.shape, b.shape)
	if err != nil {
		return nil, fmt.Errorf("binary %v: %w", op, err)
	}
	dt := WiderDType(a.dtype, b.dtype)
	// Converting the narrower operand up front (at its own size, before
	// broadcasting) keeps the inner loops single-typed.
	if a.dtype != dt {
		a = a.Cast(dt)
	}
	if b.dtype != dt {
		b = b.Cast(dt)
	}
	ab, err := a.BroadcastTo(shape)
	if err != nil {
		return nil, err
	}
	bb, err := b.BroadcastTo(shape)
	if err != nil {
		return nil, err
	}
	out, err := Zeros(dt, shape)
	if err != nil {
		return nil, err
	}
	l := newRowLoop(shape, out.strides, ab.strides, bb.strides)
	n, sa, sb := l.RowLen(), l.Stride(1), l.Stride(2)
	base := []int{0, ab.offset, bb.offset}
	switch dt {
	case Float64:
		l.Each(0, l.Rows(), base, func(p []int) { floatRow(op, out.f64[p[0]:p[0]+n], ab.f64, p[1], sa, bb.f64, p[2], sb) })
	case Float32:
		l.Each(0, l.Rows(), base, func(p []int) { floatRow(op, out.f32[p[0]:p[0]+n], ab.f32, p[1], sa, bb.f32, p[2], sb) })
	case Int64:
		l.Each(0, l.Rows(), base, func(p []int) { intRow(op, out.i64[p[0]:p[0]+n], ab.i64, p[1], sa, bb.i64, p[2], sb) })
	}
	return out, nil
}

// floatRow computes one contiguous output row; the op switch sits outside
// the element loops so each loop body is a single arithmetic instruction.
func floatRow[T float32 | float64](op BinaryOp, o, a []T, pa, sa int, b []T, pb, sb int) {
	switch op {
	case OpAdd:
		for j := range o {
			o[j] = a[pa] + b[pb]
			pa += sa
			pb += sb
		}
	case OpSub:
		for j := range o {
			o[j] = a[pa] - b[pb]
			pa += sa
			pb += sb
		}
	case OpMul:
		for j := range o {
			o[j] = a[pa] * b[pb]
			pa += sa
			pb += sb
		}
	case OpDiv:
		for j := range o {
			o[j] = a[pa] / b[pb]
			pa += sa
			pb += sb
		}
	case OpPow:
		for j := range o {
			o[j] = T(math.Pow(float64(a[pa]), float64(b[pb])))
			pa += sa
			pb += sb
		}
	case OpMax:
		for j := range o {
			o[j] = T(math.Max(float64(a[pa]), float64(b[pb])))
			pa += sa
			pb += sb
		}
	case OpMin:
		for j := range o {
			o[j] = T(math.Min(float64(a[pa]), float64(b[pb])))
			pa += sa
			pb += sb
		}
	}
}

func intRow(op BinaryOp, o, a []int64, pa, sa int, b []int64, pb, sb int) {
	for j := range o {
		x, y := a[pa], b[pb]
		var v int64
		switch op {
		case OpAdd:
			v = x + y
		case OpSub:
			v = x - y
		case OpMul:
			v = x * y
		case OpDiv:
			if y != 0 {
				v = x / y
			}
		case OpPow:
			v = intPow(x, y)
		case OpMax:
			v = max(x, y)
		case OpMin:
			v = min(x, y)
		}
		o[j] = v
		pa += sa
		pb += sb
	}
}

// intPow is x**y by squaring (wrapping on overflow like Go's int64
// arithmetic); negative exponents fall back to float64.
func intPow(x, y int64) int64 {
	if y < 0 {
		return int64(math.Pow(float64(x), float64(y)))
	}
	r := int64(1)
	for y > 0 {
		if y&1 == 1 {
			r *= x
		}
		x *= x
		y >>= 1
	}
	return r
}

// AddN sums ts with numpy broadcasting; the result has the widest dtype.
// It accumulates into one output buffer rather than building n-1
// intermediates.
func AddN(ts []*Tensor) (*Tensor, error) {
	if len(ts) == 0 {
		return nil, fmt.Errorf("AddN: no tensors")
	}
	shapes := make([][]int, len(ts))
	dt := ts[0].dtype
	for i, t := range ts {
		shapes[i] = t.shape
		dt = WiderDType(dt, t.dtype)
	}
	shape, err := BroadcastShapes(shapes...)
	if err != nil {
		return nil, fmt.Errorf("AddN: %w", err)
	}
	out, err := Zeros(dt, shape)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.dtype != dt {
			t = t.Cast(dt)
		}
		tb, err := t.BroadcastTo(shape)
		if err != nil {
			return nil, err
		}
		l := newRowLoop(shape, out.strides, tb.strides)
		n, st := l.RowLen(), l.Stride(1)
		base := []int{0, tb.offset}
		switch dt {
		case Float64:
			l.Each(0, l.Rows(), base, func(p []int) { accRow(out.f64[p[0]:p[0]+n], tb.f64, p[1], st) })
		case Float32:
			l.Each(0, l.Rows(), base, func(p []int) { accRow(out.f32[p[0]:p[0]+n], tb.f32, p[1], st) })
		case Int64:
			l.Each(0, l.Rows(), base, func(p []int) { accRow(out.i64[p[0]:p[0]+n], tb.i64, p[1], st) })
		}
	}
	return out, nil
}

func accRow[T float32 | float64 | int64](o, a []T, pa, sa int) {
	for j := range o {
		o[j] += a[pa]
		pa += sa
	}
}

// Scale returns t * s in t's dtype (int64 results truncate).
func Scale(t *Tensor, s float64) *Tensor {
	switch t.dtype {
	case Float32:
		s32 := float32(s)
		return Map(t, func(v float64) float64 { return float64(float32(v) * s32) })
	case Int64:
		out := mustZeros(Int64, t.shape)
		i := 0
		t.forEachOffset(func(p int) { out.i64[i] = int64(float64(t.i64[p]) * s); i++ })
		return out
	}
	return Map(t, func(v float64) float64 { return v * s })
}
