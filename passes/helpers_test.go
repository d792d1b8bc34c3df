package passes

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

const (
	testRtol = 1e-9
	testAtol = 1e-12
)

// parseIR reads a program in the printed form (constants invented from
// their prefixes).
func parseIR(t testing.TB, src string) *ir.Program {
	t.Helper()
	p, err := ir.Parse("test.ir", []byte(strings.TrimSpace(src)+"\n"), nil)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return p
}

// verifyClean fails on any verifier message (dead values included).
func verifyClean(t testing.TB, what string, p *ir.Program) {
	t.Helper()
	if errs := ir.Verify(p); len(errs) > 0 {
		t.Fatalf("%s does not verify: %v\n%s", what, errors.Join(errs...), p)
	}
}

type passFn func(*ir.Program, *Context) (*ir.Program, error)

// runPass runs fn between two verifier calls (the input may hold dead
// values; the output may not) and checks values are unchanged.
func runPass(t testing.TB, fn passFn, p *ir.Program) *ir.Program {
	t.Helper()
	if err := verifyErr("input", p, true); err != nil {
		t.Fatal(err)
	}
	before := p.String()
	q, err := fn(p, &Context{})
	if err != nil {
		t.Fatalf("pass: %v\n%s", err, p)
	}
	if p.String() != before {
		t.Fatalf("pass modified its input")
	}
	verifyClean(t, "pass output", q)
	checkEquivalent(t, p, q, 1)
	return q
}

// randomInputs draws float inputs from a normal distribution and int64
// inputs (gather indices) uniformly in [0, limit) where limit is the
// smallest axis any gather reading them indexes.
func randomInputs(p *ir.Program, seed uint64) (map[string]*tensor.Tensor, error) {
	limit := map[int]int{}
	for _, v := range p.Values {
		if v.Op == ir.OpGather {
			n := p.Value(v.Operands[0]).Type.Shape[v.Attrs.Int("axis")]
			if l, ok := limit[v.Operands[1]]; !ok || n < l {
				limit[v.Operands[1]] = n
			}
		}
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	in := map[string]*tensor.Tensor{}
	for i, v := range p.Inputs() {
		name := v.Attrs.String("name")
		if v.Type.DType == tensor.Int64 {
			n := int(v.Type.NumElements())
			data := make([]int64, n)
			for k := range data {
				if l := limit[v.ID]; l > 0 {
					data[k] = int64(rng.IntN(l))
				}
			}
			t, err := tensor.FromInt64(v.Type.Shape, data)
			if err != nil {
				return nil, err
			}
			in[name] = t
			continue
		}
		t, err := tensor.RandN(tensor.Float64, v.Type.Shape, seed*1000+uint64(i))
		if err != nil {
			return nil, err
		}
		in[name] = t
	}
	return in, nil
}

// equivalent runs both programs on the same random inputs in float64 with
// the reference interpreter (the semantics, whatever executor is
// installed) and compares every output.
func equivalent(p, q *ir.Program, seed uint64) error {
	in, err := randomInputs(p, seed)
	if err != nil {
		return err
	}
	a, _, err := runtime.Reference{}.Run(p, in, tensor.Float64)
	if err != nil {
		return fmt.Errorf("before: %w", err)
	}
	b, _, err := runtime.Reference{}.Run(q, in, tensor.Float64)
	if err != nil {
		return fmt.Errorf("after: %w", err)
	}
	for name, x := range a {
		y, ok := b[name]
		if !ok {
			return fmt.Errorf("output %q missing after", name)
		}
		if !tensor.AllClose(y, x, testRtol, testAtol) {
			abs, rel, _ := tensor.Compare(y, x)
			return fmt.Errorf("output %q differs: max abs %g, max rel %g", name, abs, rel)
		}
	}
	if len(a) != len(b) {
		return fmt.Errorf("%d outputs before, %d after", len(a), len(b))
	}
	return nil
}

func checkEquivalent(t testing.TB, p, q *ir.Program, seed uint64) {
	t.Helper()
	if err := equivalent(p, q, seed); err != nil {
		t.Fatalf("%v\nbefore:\n%s\nafter:\n%s", err, p, q)
	}
}

// wantIR compares printed programs.
func wantIR(t testing.TB, got *ir.Program, want string) {
	t.Helper()
	w := strings.TrimSpace(want) + "\n"
	if g := got.String(); g != w {
		t.Fatalf("got:\n%swant:\n%s", g, w)
	}
}

// countOps counts values with op.
func countOps(p *ir.Program, op ir.Op) int {
	n := 0
	for _, v := range p.Values {
		if v.Op == op {
			n++
		}
	}
	return n
}

// wantStable: running fn again changes nothing (the pipeline's
// idempotence, one pass at a time).
func wantStable(t *testing.T, fn passFn, q *ir.Program) {
	t.Helper()
	again := runPass(t, fn, q)
	if again.String() != q.String() {
		t.Fatalf("a second run changed the program:\n%s\nto\n%s", q, again)
	}
}
