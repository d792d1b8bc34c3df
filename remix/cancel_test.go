package remix

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/tensor"
)

// hangGuard bounds how long a test waits for a run that should already have
// stopped: a run that ignores cancellation fails here instead of hanging.
const hangGuard = 30 * time.Second

// A run whose context is already cancelled never starts the evaluator.
func TestRunModelCancelledBeforeStart(t *testing.T) {
	_, x := randomImages(t, 3, 1)
	model := mustBuild(t, newToy(1).stateDict(t), 3)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := 0
	count := func(ctx context.Context, cs []circuit.Circuit, b map[string]*tensor.Tensor, dt tensor.DType) ([]*tensor.Tensor, error) {
		calls++
		return NaiveEval(ctx, cs, b, dt)
	}
	_, err := RunModel(ctx, "A", model, x, []int{0, 1, 2}, Options{Eval: count})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if calls != 0 {
		t.Errorf("the evaluator ran %d times after cancellation", calls)
	}
	for _, eval := range []EvalFunc{NaiveEval, CompiledEval} {
		if _, err := eval(ctx, []circuit.Circuit{model}, map[string]*tensor.Tensor{NameX: x}, tensor.Float64); !errors.Is(err, context.Canceled) {
			t.Errorf("evaluator on a cancelled context: error %v, want context.Canceled", err)
		}
	}
}

// Cancelling during an evaluation that cannot stop returns at once: RunModel
// returns context.Canceled while the evaluator is still blocked.
func TestRunModelStopsDuringEvaluation(t *testing.T) {
	_, x := randomImages(t, 3, 2)
	model := mustBuild(t, newToy(2).stateDict(t), 3)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	stuck := func(context.Context, []circuit.Circuit, map[string]*tensor.Tensor, tensor.DType) ([]*tensor.Tensor, error) {
		close(started)
		<-release // an evaluator that ignores ctx
		return nil, errors.New("released")
	}
	done := make(chan error, 1)
	go func() {
		_, err := RunModel(ctx, "A", model, x, []int{0, 1, 2}, Options{Eval: stuck})
		done <- err
	}()
	<-started
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("RunModel waited for an evaluator after its context was cancelled")
	}
}

// Results that arrive after cancellation are dropped, not scored.
func TestRunModelCancelledDuringEvaluationDropsResults(t *testing.T) {
	_, x := randomImages(t, 3, 3)
	model := mustBuild(t, newToy(3).stateDict(t), 3)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cancelling := func(ctx context.Context, cs []circuit.Circuit, b map[string]*tensor.Tensor, dt tensor.DType) ([]*tensor.Tensor, error) {
		outs, err := NaiveEval(ctx, cs, b, dt)
		cancel() // SIGINT arrives as the evaluation finishes
		return outs, err
	}
	rows, err := RunModel(ctx, "A", model, x, []int{0, 1, 2}, Options{Eval: cancelling})
	if !errors.Is(err, context.Canceled) || rows != nil {
		t.Fatalf("rows %v, error %v; want none and context.Canceled", rows, err)
	}
}

// RunDir and FigureData check the context before each model: with it
// cancelled they stop before loading (the model files here are empty, so
// loading one would fail with a different error).
func TestRunDirAndFigureDataCancelled(t *testing.T) {
	dir := t.TempDir()
	for _, m := range ModelFiles {
		if err := os.WriteFile(filepath.Join(dir, m.File), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, x := randomImages(t, 2, 4)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := RunDir(ctx, dir, x, []int{0, 1}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("RunDir: error %v, want context.Canceled", err)
	}
	if _, err := FigureData(ctx, dir, x, []int{0, 1}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("FigureData: error %v, want context.Canceled", err)
	}
	if _, err := BaselineLogits(ctx, mustBuild(t, newToy(4).stateDict(t), 2), x, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("BaselineLogits: error %v, want context.Canceled", err)
	}
	// the same empty files with a live context fail on loading instead
	if _, err := RunDir(t.Context(), dir, x, []int{0, 1}, Options{}); err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("RunDir on empty model files: error %v, want a load error", err)
	}
}
