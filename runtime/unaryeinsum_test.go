package runtime

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// TestUnaryEinsumsSkipReference: one-operand einsums that sum with new
// size-1 labels (layer norm's "abc->abd"), broadcast along new labels or
// permute match the reference without its kernel, in both dtypes, on
// contiguous and transposed operands; the ones left to it (a sum with a
// broadcast or a reordering, a repeated label) still match.
func TestUnaryEinsumsSkipReference(t *testing.T) {
	var refs atomic.Int64
	referenceHook = func(*ir.Value) { refs.Add(1) }
	defer func() { referenceHook = nil }()
	dts := map[string]tensor.DType{"f32": tensor.Float32, "f64": tensor.Float64}
	run := func(spec, a, out string, transposed bool) {
		for _, dt := range []string{"f32", "f64"} {
			src := fmt.Sprintf("%%0 = input \"x0\" : %s%s\n%%1 = einsum %q %%0 : %s%s\noutput \"y\" %%1\n", dt, a, spec, dt, out)
			if transposed { // the operand through a permute view: strided reads
				src = fmt.Sprintf("%%0 = input \"x0\" : %s%s\n%%1 = permute [1,0,2] %%0 : %s%s\n%%2 = einsum %q %%1 : %s%s\noutput \"y\" %%2\n",
					dt, swap01(a), dt, a, spec, dt, out)
			}
			p := program(t, src)
			for _, f := range []Fast{{}, {Workers: 1}, {Workers: 3}} {
				compareRuns(t, p, randInputs(p, 7), dts[dt], f)
			}
		}
	}
	for _, c := range []struct{ spec, a, out string }{
		{"abc->abd", "[5,7,9]", "[5,7,1]"},
		{"abc->adb", "[5,7,9]", "[5,1,7]"},
		{"abc->dacef", "[5,7,9]", "[1,5,9,1,1]"},
		{"abc->bd", "[5,7,9]", "[7,1]"},
		{"abc->d", "[5,7,9]", "[1]"},
		{"abc->abcd", "[5,7,9]", "[5,7,9,4]"},
		{"abc->dabc", "[5,7,9]", "[3,5,7,9]"},
		{"abc->cab", "[5,7,9]", "[9,5,7]"},
		{"abc->cbad", "[5,7,9]", "[9,7,5,2]"},
		{"abc->abd", "[5,0,9]", "[5,0,1]"},
	} {
		run(c.spec, c.a, c.out, false)
		run(c.spec, c.a, c.out, true)
	}
	if n := refs.Load(); n != 0 {
		t.Errorf("%d unary einsums took the reference kernel", n)
	}
	for _, c := range []struct{ spec, a, out string }{
		{"abc->abd", "[5,7,9]", "[5,7,3]"}, // a sum broadcast along d
		{"abc->ba", "[5,7,9]", "[7,5]"},    // a sum reordering what it keeps
		{"aab->ab", "[4,4,3]", "[4,3]"},    // a diagonal
	} {
		run(c.spec, c.a, c.out, false)
	}
	if refs.Load() == 0 {
		t.Error("the einsums left to the reference kernel did not reach it")
	}
}

// swap01 is a bracketed shape with its first two dims exchanged.
func swap01(s string) string {
	var a, b, c int
	fmt.Sscanf(s, "[%d,%d,%d]", &a, &b, &c)
	return fmt.Sprintf("[%d,%d,%d]", b, a, c)
}
