package passes

import (
	"math"
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

// FuzzPipeline feeds parsed programs to the pipeline. Whatever parses and
// verifies must optimize without error or panic, verify after every pass,
// and — when its outputs are finite — keep its values.
func FuzzPipeline(f *testing.F) {
	f.Add([]byte(smallIR))
	f.Add([]byte(chainIR))
	f.Add([]byte(`%0 = input "x" : f64[3]
%1 = scalar 0 : f64[2,3]
%2 = add %0 %1 %0 : f64[2,3]
%3 = slice [0,1] [1,3] %2 : f64[1,2]
output "y" %3
`))
	f.Add([]byte(`%0 = input "x" : f64[4,4]
%1 = permute [1,0] %0 : f64[4,4]
%2 = einsum "ab,bc->ac" %1 %0 : f64[4,4]
%3 = gather 0 %2 %4 : f64[2,4]
output "y" %2
`))
	f.Add([]byte(`%0 = input "x" : f64[2,3]
%1 = const "ab12" : f64[3]
%2 = mul %0 %1 : f64[2,3]
%3 = select 1 2 %2 : f64[2]
%4 = concat 0 %3 %3 : f64[4]
output "y" %4
`))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := ir.Parse("fuzz", src, nil)
		if err != nil {
			return
		}
		if verifyErr("input", p, true) != nil {
			return
		}
		for _, v := range p.Values {
			if v.Type.NumElements() > 1<<12 {
				return // keep runs fast
			}
		}
		q, _, err := Run(p, Options{Check: true})
		if err != nil {
			t.Fatalf("%v\n%s", err, p)
		}
		in, err := randomInputs(p, 1)
		if err != nil {
			return
		}
		a, _, err := runtime.Reference{}.Run(p, in, tensor.Float64)
		if err != nil {
			return // e.g. a gather index out of range: not the optimizer's business
		}
		for _, t := range a {
			for _, x := range t.Float64s() {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return // x - x = 0 is only true for finite x
				}
			}
		}
		b, _, err := runtime.Reference{}.Run(q, in, tensor.Float64)
		if err != nil {
			t.Fatalf("optimized program fails: %v\n%s\n%s", err, p, q)
		}
		for name, x := range a {
			if !tensor.AllClose(b[name], x, 1e-6, 1e-9) {
				t.Fatalf("output %q changed\n%s\n%s", name, p, q)
			}
		}
	})
}

// FuzzRandomProgram explores the random-program generator's seed space
// beyond the fixed seeds of the property tests: every pass and the pipeline
// keep values, and the pipeline is idempotent.
func FuzzRandomProgram(f *testing.F) {
	f.Add(uint64(0))
	f.Add(uint64(2302))
	f.Fuzz(func(t *testing.T, seed uint64) {
		p := randomProgram(seed)
		q, _, err := Run(p, Options{Check: true})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if err := equivalent(p, q, seed); err != nil {
			t.Fatalf("seed %d: %v\n%s\n%s", seed, err, p, q)
		}
		q2, _, err := Run(q, Options{Check: true})
		if err != nil || q2.String() != q.String() {
			t.Fatalf("seed %d: second run: %v\n%s\n%s", seed, err, q, q2)
		}
	})
}
