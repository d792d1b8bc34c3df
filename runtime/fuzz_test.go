package runtime

import (
	"strings"
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// FuzzRun: any program the ir parser accepts either runs or returns an
// error; the interpreter never panics. Inputs are bound to small random
// tensors of their declared types.
func FuzzRun(f *testing.F) {
	for _, s := range []string{
		"%0 = input \"x\" : f32[2,3]\n%1 = softmax %0 : f32[2,3]\n%2 = sum [0] %1 : f32[3]\noutput \"y\" %2\n",
		"%0 = input \"x\" : f64[3]\n%1 = const \"ab\" : i64[2]\n%2 = gather 0 %0 %1 : f64[2]\n%3 = scatter [1] %2 : f64[4]\noutput \"y\" %3\n",
		"%0 = input \"x\" : f32[2,2]\n%1 = einsum \"aa->a\" %0 : f32[2]\n%2 = einsum \"a->aab\" %1 : f32[2,2,3]\n%3 = reduce_min %2 : f32[2,2]\noutput \"y\" %3\n",
		"%0 = input \"x\" : f32[0,3]\n%1 = reduce_max %0 : f32[0]\n%2 = concat 0 %0 %0 : f32[0,3]\noutput \"y\" %1\noutput \"z\" %2\n",
		"%0 = input \"x\" : f32[3]\n%1 = scalar 2 : f32[]\n%2 = pow %0 %1 : f32[3]\n%3 = logit %2 : f32[3]\n%4 = last_dim_size %3 : f32[]\noutput \"y\" %4\n",
		"%0 = input \"i\" : i64[2]\n%1 = reshape %0 : i64[2,1]\n%2 = permute [1,0] %1 : i64[1,2]\n%3 = slice [0,1] [1,2] %2 : i64[1,1]\noutput \"y\" %3\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := ir.Parse("fuzz.ir", []byte(src), nil)
		if err != nil {
			return
		}
		in := map[string]*tensor.Tensor{}
		for _, v := range p.Inputs() {
			if v.Type.NumElements() > 1<<12 || v.Type.NumElements() < 0 {
				return
			}
			var x *tensor.Tensor
			if v.DType().IsFloat() {
				x, err = tensor.RandN(v.DType(), v.Shape(), 1)
			} else {
				x, err = tensor.Zeros(v.DType(), v.Shape())
			}
			if err != nil {
				return
			}
			in[v.Attrs.String("name")] = x
		}
		for _, v := range p.Values {
			if v.Type.NumElements() > 1<<14 || v.Type.NumElements() < 0 {
				return // keep each execution small
			}
		}
		if _, _, err := Run(p, in, tensor.Float32); err != nil && strings.Contains(err.Error(), "kernel panic") {
			t.Fatalf("%v\n%s", err, p)
		}
	})
}
