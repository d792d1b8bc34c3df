package runtime

import (
	"context"
	"fmt"

	"github.com/circopt/circopt/blas"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/tensor"
)

// ContextExecutor is an Executor that can be stopped: RunContext returns
// an error wrapping ctx.Err() soon after ctx is done.
type ContextExecutor interface {
	Executor
	RunContext(ctx context.Context, p *ir.Program, inputs map[string]*tensor.Tensor, dtype tensor.DType) (map[string]*tensor.Tensor, *Stats, error)
}

// RunContext is Run stopped early when ctx is done. An executor installed
// with Use that cannot be stopped is checked before and after its run.
func RunContext(ctx context.Context, p *ir.Program, inputs map[string]*tensor.Tensor, dtype tensor.DType) (map[string]*tensor.Tensor, *Stats, error) {
	mu.RLock()
	e := current
	mu.RUnlock()
	if ce, ok := e.(ContextExecutor); ok {
		return ce.RunContext(ctx, p, inputs, dtype)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("runtime: %w", err)
	}
	out, st, err := e.Run(p, inputs, dtype)
	if err == nil && ctx.Err() != nil {
		return nil, nil, fmt.Errorf("runtime: %w", ctx.Err())
	}
	return out, st, err
}

// canceled reports whether x's run should stop (a dry run never does).
func (x *execState) canceled() bool {
	return x != nil && x.ctx != nil && x.ctx.Err() != nil
}

// backendFor is the BLAS a run calls: b when named, else blas.ForRun's.
func backendFor(b blas.Backend) (blas.Backend, error) {
	if b.F32 != nil && b.F64 != nil {
		return b, nil
	}
	return blas.ForRun()
}
