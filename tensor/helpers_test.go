package tensor

import (
	"math"
	"slices"
	"testing"
)

func f64(t *testing.T, shape []int, data ...float64) *Tensor {
	t.Helper()
	x, err := FromFloat64(shape, data)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func f32(t *testing.T, shape []int, data ...float32) *Tensor {
	t.Helper()
	x, err := FromFloat32(shape, data)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func i64(t *testing.T, shape []int, data ...int64) *Tensor {
	t.Helper()
	x, err := FromInt64(shape, data)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// arange returns a float64 tensor 0, 1, 2, ... of shape.
func arange(t *testing.T, shape ...int) *Tensor {
	t.Helper()
	n, err := NumElements(shape)
	if err != nil {
		t.Fatal(err)
	}
	d := make([]float64, n)
	for i := range d {
		d[i] = float64(i)
	}
	return f64(t, shape, d...)
}

// mk returns a must-succeed unwrapper bound to t.
func mk(t *testing.T) func(*Tensor, error) *Tensor {
	return func(x *Tensor, err error) *Tensor {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
}

// expect checks shape, dtype and values (to 1e-12 relative, or exactly for
// int64; NaN matches NaN).
func expect(t *testing.T, got *Tensor, dt DType, shape []int, want ...float64) {
	t.Helper()
	if got.DType() != dt {
		t.Fatalf("dtype %v, want %v", got.DType(), dt)
	}
	if !slices.Equal(got.Shape(), shape) {
		t.Fatalf("shape %v, want %v", got.Shape(), shape)
	}
	vals := got.Float64s()
	if len(vals) != len(want) {
		t.Fatalf("%d values, want %d", len(vals), len(want))
	}
	tol := 1e-12
	if dt == Float32 {
		tol = 1e-6
	}
	for i := range vals {
		g, w := vals[i], want[i]
		if math.IsNaN(w) && math.IsNaN(g) || g == w {
			continue
		}
		if math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) {
			t.Fatalf("element %d = %v, want %v (all %v, want %v)", i, g, w, vals, want)
		}
	}
}

func wantErr(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: expected an error", what)
	}
}
