package passes

import (
	"testing"

	"github.com/circopt/circopt/ir"
)

const numRandomPrograms = 240

// TestPropertyEachPass: every pass alone, on random programs, verifies and
// preserves values.
func TestPropertyEachPass(t *testing.T) {
	for seed := range uint64(numRandomPrograms) {
		// Dead-free, as every pass after "early deadcode" sees it.
		p, err := prune(randomProgram(seed))
		if err != nil {
			t.Fatal(err)
		}
		for _, ps := range table {
			q, err := runOne(ps, p, &Context{})
			if err != nil {
				t.Fatalf("seed %d: %v\n%s", seed, err, p)
			}
			if errs := ir.Verify(q); len(errs) > 0 {
				t.Fatalf("seed %d: pass %s: %v\nbefore:\n%s\nafter:\n%s", seed, ps.name, errs, p, q)
			}
			if err := equivalent(p, q, seed); err != nil {
				t.Fatalf("seed %d: pass %s: %v\nbefore:\n%s\nafter:\n%s", seed, ps.name, err, p, q)
			}
		}
	}
}

// TestPropertyPipeline: the whole pipeline verifies after every pass,
// preserves values, and is idempotent.
func TestPropertyPipeline(t *testing.T) {
	changed := 0
	for seed := range uint64(numRandomPrograms) {
		p := randomProgram(seed)
		q, rep, err := Run(p, Options{Check: true})
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, p)
		}
		if err := equivalent(p, q, seed); err != nil {
			t.Fatalf("seed %d: %v\nbefore:\n%s\nafter:\n%s", seed, err, p, q)
		}
		for _, v := range q.Values {
			if v.Op == ir.OpEinsum && len(v.Operands) > 2 {
				t.Fatalf("seed %d: %v was not lowered to binary steps\n%s", seed, v, q)
			}
		}
		q2, _, err := Run(q, Options{Check: true})
		if err != nil {
			t.Fatalf("seed %d: second run: %v", seed, err)
		}
		if q.String() != q2.String() {
			t.Fatalf("seed %d: not idempotent\ninput:\n%s\nfirst:\n%s\nsecond:\n%s", seed, p, q, q2)
		}
		for _, s := range rep.Passes {
			if s.Changed && s.Name != "early deadcode" && s.Name != "deadcode" {
				changed++
				break
			}
		}
	}
	// The generator is meant to give the passes work; make sure it does.
	if changed < numRandomPrograms/2 {
		t.Errorf("only %d of %d random programs were rewritten", changed, numRandomPrograms)
	}
}

// TestPropertyPassesFire: the random programs exercise every rewriting pass
// of the pipeline (a property test whose rewrites never fire proves nothing).
func TestPropertyPassesFire(t *testing.T) {
	changed := map[string]int{}
	for seed := range uint64(numRandomPrograms) {
		_, rep, err := Run(randomProgram(seed), Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range rep.Passes {
			if s.Changed {
				changed[s.Name]++
			}
		}
	}
	for _, name := range []string{"cse", "constfold", "addfold", "pushdown", "einsum"} {
		if changed[name] < numRandomPrograms/20 {
			t.Errorf("pass %s changed only %d of %d programs", name, changed[name], numRandomPrograms)
		}
	}
	// rearrange and index run after constfold, which already normalises
	// layout and index chains through the shared constructors; they must
	// fire when run alone.
	for _, fn := range []passFn{rearrange, indexFusion} {
		n := 0
		for seed := range uint64(numRandomPrograms) {
			p := randomProgram(seed)
			q, err := fn(p, &Context{})
			if err != nil {
				t.Fatal(err)
			}
			if d, _ := prune(p); d.String() != q.String() {
				n++
			}
		}
		if n < numRandomPrograms/20 {
			t.Errorf("a layout pass alone changed only %d programs", n)
		}
	}
	t.Logf("changed: %v", changed)
}
