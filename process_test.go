package circopt_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/mat"

	"github.com/circopt/circopt"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// sharedNameText is x(uuid 1…) + 10·x(uuid 2…): two Symbols named x.
const sharedNameText = `0 'sum' Add
  1 'x' [2] Symbol 11111111-1111-4111-8111-111111111111
  'scaled' Einsum a,->a
    2 'x' [2] Symbol 22222222-2222-4222-8222-222222222222
    'ten' [] Scalar 10
`

func parse(t *testing.T, text string) []circuit.Circuit {
	t.Helper()
	cs, err := circuit.ParseCircuits(text, circuit.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func vec(t *testing.T, v ...float64) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromFloat64([]int{len(v)}, v)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestCompiledBindsSymbolsSharingANameByUUID(t *testing.T) {
	cs := parse(t, sharedNameText)
	bind := map[string]*tensor.Tensor{
		"11111111-1111-4111-8111-111111111111": vec(t, 1, 2),
		"22222222-2222-4222-8222-222222222222": vec(t, 3, 4),
	}
	got, err := circopt.EvaluateMany(cs, bind, circopt.Options{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	want, err := circuit.EvaluateAll(cs, circuit.EvalOptions{DType: tensor.Float64, Bindings: bind})
	if err != nil {
		t.Fatal(err)
	}
	if g, w := got[0].Float64s(), want[0].Float64s(); !reflect.DeepEqual(g, w) || g[0] != 31 || g[1] != 42 {
		t.Fatalf("compiled %v, naive %v, want [31 42]", g, w)
	}
	_, err = circopt.EvaluateMany(cs, map[string]*tensor.Tensor{"x": vec(t, 1, 2)}, circopt.Options{})
	if err == nil || !strings.Contains(err.Error(), "11111111") || !strings.Contains(err.Error(), "22222222") {
		t.Fatalf("binding the shared name: got %v, want an error naming both Symbols", err)
	}
}

// TestLibraryLeavesGonumsBLASAlone: compiling and running a plan does not
// install a BLAS behind gonum's global swap point.
func TestLibraryLeavesGonumsBLASAlone(t *testing.T) {
	before32, before64 := blas32.Implementation(), blas64.Implementation()
	mine := gonum.Implementation{}
	blas64.Use(mine)
	blas32.Use(mine)
	defer func() { blas32.Use(before32); blas64.Use(before64) }()

	out, x := mlp(t)
	plan, err := circopt.Compile([]circuit.Circuit{out}, circopt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	xt, _ := tensor.RandN(tensor.Float32, x.Shape(), 1)
	if _, _, err := plan.Run(map[string]*tensor.Tensor{"x": xt}); err != nil {
		t.Fatal(err)
	}
	if blas64.Implementation() != mine || blas32.Implementation() != mine {
		t.Fatalf("gonum's BLAS was swapped: blas64 %T, blas32 %T", blas64.Implementation(), blas32.Implementation())
	}
	a := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	var c mat.Dense
	c.Mul(a, a)
	if want := []float64{7, 10, 15, 22}; !reflect.DeepEqual(c.RawMatrix().Data, want) {
		t.Fatalf("gonum/mat after a run: %v, want %v", c.RawMatrix().Data, want)
	}
}

// chainText is a chain of n products of [d,d] matrices: n GEMMs in a row.
func chainText(n, d int) string {
	var sb strings.Builder
	for i := n; i > 0; i-- {
		fmt.Fprintf(&sb, "%*s%d 'm%d' Einsum ab,bc->ac\n", 2*(n-i), "", i, i)
	}
	fmt.Fprintf(&sb, "%*s'w' [%d,%d] Symbol\n", 2*n, "", d, d)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&sb, "%*s'x%d' [%d,%d] Symbol\n", 2*(n-i+1), "", i, d, d)
	}
	return sb.String()
}

func TestRunContextStopsALongRun(t *testing.T) {
	const n, d = 60, 384
	cs := parse(t, chainText(n, d))
	plan, err := circopt.Compile(cs, circopt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := tensor.RandN(tensor.Float32, []int{d, d}, 1)
	bind := map[string]*tensor.Tensor{"w": w}
	for i := 1; i <= n; i++ {
		bind[fmt.Sprintf("x%d", i)] = w
	}
	// The bound is 100 ms, or a few times one GEMM where the machine is
	// too loaded (or instrumented) for one GEMM to take a few milliseconds.
	t0 := time.Now()
	if _, _, err := plan.Run(bind); err != nil {
		t.Fatal(err)
	}
	whole := time.Since(t0)
	bound := max(100*time.Millisecond, 5*whole/n)
	if raceEnabled {
		bound *= 10
	}
	for i := range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		at := make(chan time.Time, 1)
		timer := time.AfterFunc(whole/4, func() { at <- time.Now(); cancel() })
		_, _, err := plan.RunContext(ctx, bind)
		returned := time.Now()
		timer.Stop()
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("run %d: got %v, want context.Canceled (an uncanceled run takes %v)", i, err, whole)
		}
		if d := returned.Sub(<-at); d > bound {
			t.Errorf("run %d: returned %v after the cancel, want within %v", i, d, bound)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := circopt.EvaluateManyContext(ctx, cs, bind, circopt.Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("EvaluateManyContext with a canceled context: %v", err)
	}
}

// TestPlanRunsConcurrently: one plan run from 8 goroutines with different
// bindings gives each the naive float64 answer.
func TestPlanRunsConcurrently(t *testing.T) {
	out, x := mlp(t)
	plan, err := circopt.Compile([]circuit.Circuit{out}, circopt.Options{DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			xt, _ := tensor.RandN(tensor.Float64, x.Shape(), uint64(100+g))
			bind := map[string]*tensor.Tensor{"x": xt}
			for range 5 {
				got, _, err := plan.Run(bind)
				if err != nil {
					errs[g] = err
					return
				}
				want, err := circuit.Evaluate(out, circuit.EvalOptions{DType: tensor.Float64, Bindings: bind})
				if err != nil {
					errs[g] = err
					return
				}
				if !tensor.AllClose(got[0], want, 1e-12, 1e-12) {
					errs[g] = fmt.Errorf("goroutine %d: compiled result differs from the naive one", g)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

func TestCompileRefusesOverMemory(t *testing.T) {
	out, _ := mlp(t)
	plan, err := circopt.Compile([]circuit.Circuit{out}, circopt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	need := plan.PeakBytes()
	if need <= 0 {
		t.Fatalf("PeakBytes %d", need)
	}
	_, err = circopt.Compile([]circuit.Circuit{out}, circopt.Options{MaxMemory: need / 4})
	if !errors.Is(err, circopt.ErrOverMemory) {
		t.Fatalf("MaxMemory %d under the estimate %d: got %v, want ErrOverMemory", need/4, need, err)
	}
	if _, err := circopt.Compile([]circuit.Circuit{out}, circopt.Options{MaxMemory: need}); err != nil {
		t.Fatalf("MaxMemory at the estimate: %v", err)
	}
}
