package passes

import (
	"math"
	"testing"

	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

// A residual stream of flat sums: each sum reuses the longest earlier sum
// of its leading terms; a sum of another type (broadcast to a wider shape)
// or of the same terms in another order is not reused; the outputs keep
// their bits in float32 and float64.
func TestAddshareReusesLeadingSums(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f32[4,6]
%1 = input "a" : f32[4,6]
%2 = input "b" : f32[4,6]
%3 = add %0 %1 : f32[4,6]
%4 = add %0 %1 %2 : f32[4,6]
%5 = relu %4 : f32[4,6]
%6 = add %0 %1 %2 %5 : f32[4,6]
%7 = tanh %6 : f32[4,6]
%8 = add %0 %1 %2 %5 %7 : f32[4,6]
%9 = input "w" : f32[3,4,6]
%10 = add %0 %1 %9 : f32[3,4,6]
%11 = add %1 %0 %2 : f32[4,6]
output "r" %8
output "r1" %3
output "wide" %10
output "swapped" %11
`)
	q := runPass(t, addshare, p)
	wantIR(t, q, `
%0 = input "x" : f32[4,6]
%1 = input "a" : f32[4,6]
%2 = input "b" : f32[4,6]
%3 = add %0 %1 : f32[4,6]
%4 = add %3 %2 : f32[4,6]
%5 = relu %4 : f32[4,6]
%6 = add %4 %5 : f32[4,6]
%7 = tanh %6 : f32[4,6]
%8 = add %6 %7 : f32[4,6]
%9 = input "w" : f32[3,4,6]
%10 = add %0 %1 %9 : f32[3,4,6]
%11 = add %1 %0 %2 : f32[4,6]
output "r" %8
output "r1" %3
output "wide" %10
output "swapped" %11
`)
	wantStable(t, addshare, q)
	in, err := randomInputs(p, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		for _, e := range []runtime.Executor{runtime.Fast{}, runtime.Reference{}} {
			want, _, err := e.Run(p, in, dt)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := e.Run(q, in, dt)
			if err != nil {
				t.Fatal(err)
			}
			for name, w := range want {
				if !sameBits(got[name], w) {
					t.Errorf("%v %T: output %q changed bits", dt, e, name)
				}
			}
		}
	}
}

// sameBits compares float values bit for bit (through float64, exact for
// float32).
func sameBits(a, b *tensor.Tensor) bool {
	x, y := a.Float64s(), b.Float64s()
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
			return false
		}
	}
	return true
}
