package passes

import (
	"testing"

	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

// Zero-sized axes are legal everywhere; no pass may trip over them.
func TestPipelineZeroSizedValues(t *testing.T) {
	p := parseIR(t, `
%0 = input "x" : f64[0,3]
%1 = input "w" : f64[3,2]
%2 = einsum "ab,bc->ac" %0 %1 : f64[0,2]
%3 = exp %2 : f64[0,2]
%4 = scalar 1 : f64[2]
%5 = add %3 %3 %4 : f64[0,2]
%6 = slice [0,1] [0,2] %5 : f64[0,1]
%7 = einsum "ab->b" %2 : f64[2]
%8 = softmax %7 : f64[2]
%9 = input "i" : i64[0]
%10 = gather 1 %1 %9 : f64[3,0]
%11 = tanh %10 : f64[3,0]
output "a" %6
output "b" %8
output "c" %11
`)
	q, _, err := Run(p, Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	checkEquivalent(t, p, q, 1)
}

// A float32 program keeps its values (to float32 precision) when run in
// float32, the default precision.
func TestPipelineFloat32(t *testing.T) {
	p := bigProgram(20)
	q, _, err := Run(p, Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]*tensor.Tensor{}
	for i, v := range p.Inputs() {
		x, _ := tensor.RandN(tensor.Float32, v.Type.Shape, uint64(i))
		in[v.Attrs.String("name")] = tensor.Scale(x, 0.2)
	}
	a, _, err := runtime.Reference{}.Run(p, in, tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := runtime.Reference{}.Run(q, in, tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	for name, x := range a {
		if !tensor.AllClose(b[name], x, 1e-3, 1e-4) {
			abs, rel, _ := tensor.Compare(b[name], x)
			t.Fatalf("output %q: max abs %g, rel %g", name, abs, rel)
		}
	}
}
