package lower

import (
	"testing"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

var raiseSeeds = []string{
	"%0 = input \"x\" : f64[2,3]\n%1 = permute [1,0] %0 : f64[3,2]\n%2 = reshape %1 : f64[2,3]\n%3 = broadcast %2 : f64[4,2,3]\noutput \"o\" %3\n",
	"%0 = input \"x\" : f64[4,5]\n%1 = const \"ff\" : i64[2]\n%2 = gather 1 %0 %1 : f64[4,2]\n%3 = slice [1,0] [3,2] %2 : f64[2,2]\n%4 = scatter [1,1] %3 : f64[3,3]\n%5 = select 0 2 %4 : f64[3]\noutput \"o\" %5\n",
	"%0 = input \"x\" : f64[2,3]\n%1 = einsum \"ab->bza\" %0 : f64[3,2,2]\n%2 = einsum \"->zz\" : f64[2,2]\n%3 = mul %2 %2 : f64[2,2]\n%4 = scale 2 %3 : f64[2,2]\n%5 = neg %4 : f64[2,2]\noutput \"a\" %1\noutput \"b\" %5\n",
	"%0 = input \"x\" : f64[2,3]\n%1 = softmax %0 : f64[2,3]\n%2 = reduce_min %1 : f64[2]\n%3 = last_dim_size %0 : f64[2]\n%4 = pow %2 %3 : f64[2]\n%5 = sum [0] %4 : f64[]\n%6 = concat 0 %4 %4 : f64[4]\noutput \"o\" %5\noutput \"x\" %0\noutput \"c\" %6\n",
	"%0 = scalar 1.5 : f64[1,2]\n%1 = const \"ab\" : f64[2]\n%2 = add %0 %1 : f64[1,2]\n%3 = reshape %2 : f64[]\n",
	"%0 = input \"i\" : i64[2]\n%1 = input \"x\" : f64[3]\n%2 = gather 0 %1 %0 : f64[2]\noutput \"g\" %2\n",
}

// FuzzRaise: Raise never panics on a parsed program, and when it succeeds on
// a small program the raised circuits evaluate to what the runtime computes.
func FuzzRaise(f *testing.F) {
	for _, s := range raiseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := ir.Parse("fuzz.ir", []byte(src), nil)
		if err != nil {
			return
		}
		cs, err := Raise(p)
		if err != nil {
			return
		}
		if len(cs) != len(p.Outputs) {
			t.Fatalf("%d circuits for %d outputs", len(cs), len(p.Outputs))
		}
		var elems int64
		for _, v := range p.Values {
			elems += v.Type.NumElements()
		}
		if elems > 1<<14 {
			return // value checks only for small programs
		}
		bind := map[string]*tensor.Tensor{}
		for i, in := range p.Inputs() {
			if in.DType() != tensor.Float64 && in.DType() != tensor.Float32 {
				return
			}
			x, err := tensor.RandN(tensor.Float64, in.Shape(), uint64(i))
			if err != nil {
				return
			}
			name := in.Attrs.String("name")
			bind[name] = x
			if name == "" {
				bind[SymbolUUID(name)] = x // an unnamed Symbol binds by uuid
			}
		}
		want, _, err := runtime.Run(p, bind, tensor.Float64)
		if err != nil {
			return
		}
		for i, c := range cs {
			w := want[p.Outputs[i].Name]
			if c.Name() != p.Outputs[i].Name {
				t.Fatalf("circuit %d named %q, want %q", i, c.Name(), p.Outputs[i].Name)
			}
			if w.HasNaN() {
				continue // NaN handling differs between the runtime and the naive evaluator
			}
			got, err := circuit.Evaluate(c, circuit.EvalOptions{DType: tensor.Float64, Bindings: bind})
			if err != nil {
				t.Fatalf("evaluate raised %q: %v\n%s", c.Name(), err, p)
			}
			if err := closeTo(got, w); err != nil {
				t.Fatalf("output %q: %v\n%s", c.Name(), err, p)
			}
		}
	})
}
