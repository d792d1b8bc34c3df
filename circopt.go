// Package circopt is the facade over circopt's compiler: Compile lowers
// circuits to one SSA program, optimizes it with the pass pipeline and
// returns a Plan that runs many times with new input bindings; Evaluate and
// EvaluateMany compile and run once.
//
// Invariants: a Plan is immutable and safe for concurrent Run calls; its
// results agree with circuit.Evaluate (the naive reference) up to
// floating-point reassociation.
package circopt

import (
	"context"
	"fmt"
	"io"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/lower"
	"github.com/circopt/circopt/passes"
	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

// Options configure Compile.
type Options struct {
	// DType of the computation (float32 by default, as PyTorch).
	DType tensor.DType
	// Disable names passes to skip.
	Disable []string
	// Check runs the IR verifier after every pass.
	Check bool
	// DumpAfter names passes ("all" for every one) after which the program is printed to Dump.
	DumpAfter []string
	Dump      io.Writer
	// MaxMemory bounds, in bytes, the peak memory of a run as the runtime's
	// schedule estimates it (Plan.PeakBytes: inputs, constants, results,
	// GEMM and reduction scratch); Compile reorders to fit or refuses with
	// an error wrapping ErrOverMemory, and runs keep within it. 0: no bound.
	MaxMemory int64
	// AfterPass, when set, is called with each optimization pass's name
	// after it ran (for progress reports).
	AfterPass func(pass string)
}

// ErrOverMemory is wrapped by every refusal of a plan whose estimate
// exceeds Options.MaxMemory.
var ErrOverMemory = runtime.ErrOverMemory

// Plan is a compiled, optimized program for a list of circuits.
type Plan struct {
	// Program is the optimized program; output i is circuit i.
	Program *ir.Program
	// Report says what each pass did.
	Report *passes.Report
	dtype  tensor.DType
	// free are the compiled circuits' free Symbols; inputOf maps each (by
	// hash) to the program input that carries it.
	free      []*circuit.Symbol
	inputOf   map[circuit.Hash]string
	maxMemory int64
	schedule  *runtime.Schedule // the order runs follow under maxMemory, and the peak estimate
}

// Compile lowers circuits into one program (shared work appears once) and
// optimizes it.
func Compile(cs []circuit.Circuit, opts Options) (*Plan, error) {
	dt := opts.DType
	if dt == 0 {
		dt = tensor.Float32
	}
	free := circuit.FreeSymbols(cs...)
	cs, inputOf, err := distinctInputs(cs, free)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	prog, err := lower.Lower(cs, lower.Options{DType: dt})
	if err != nil {
		return nil, err
	}
	popts := passes.Options{Disable: opts.Disable, Check: opts.Check, DumpAfter: opts.DumpAfter, Dump: opts.Dump, MemCap: opts.MaxMemory, AfterPass: opts.AfterPass}
	opt, rep, err := passes.Run(prog, popts)
	if err != nil {
		return nil, err
	}
	// The runtime's own schedule decides MaxMemory: it knows which values are
	// views and what GEMM scratch costs. It reorders to fit, or refuses here,
	// before anything runs.
	sch, err := runtime.PlanSchedule(opt, dt, opts.MaxMemory)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	return &Plan{Program: opt, Report: rep, dtype: dt, free: free, inputOf: inputOf, maxMemory: opts.MaxMemory, schedule: sch}, nil
}

// PeakBytes is the runtime's estimate of a run's peak memory: the one
// model MaxMemory, circopt stats and the CLI's -max-memory use.
func (p *Plan) PeakBytes() int64 { return p.schedule.PeakBytes }

// DType is the plan's computation dtype.
func (p *Plan) DType() tensor.DType { return p.dtype }

// Run executes the plan with Symbols bound by name or uuid and returns one
// tensor per compiled circuit, in order.
func (p *Plan) Run(bindings map[string]*tensor.Tensor) ([]*tensor.Tensor, *runtime.Stats, error) {
	return p.RunContext(context.Background(), bindings)
}

// RunContext is Run stopped early when ctx is done: the runtime checks
// between values and inside long kernels, and the error wraps ctx.Err().
func (p *Plan) RunContext(ctx context.Context, bindings map[string]*tensor.Tensor) ([]*tensor.Tensor, *runtime.Stats, error) {
	in, err := p.inputs(bindings)
	if err != nil {
		return nil, nil, err
	}
	var outs map[string]*tensor.Tensor
	var stats *runtime.Stats
	if p.maxMemory > 0 {
		outs, stats, err = runtime.Fast{MaxMemory: p.maxMemory, Order: p.schedule.Order}.RunContext(ctx, p.Program, in, p.dtype)
	} else {
		outs, stats, err = runtime.RunContext(ctx, p.Program, in, p.dtype) // through the runtime.Use swap point
	}
	if err != nil {
		return nil, nil, fmt.Errorf("run: %w", err)
	}
	res := make([]*tensor.Tensor, len(p.Program.Outputs))
	for i, o := range p.Program.Outputs {
		res[i] = outs[o.Name]
	}
	return res, stats, nil
}

// Evaluate compiles and runs one circuit.
func Evaluate(c circuit.Circuit, bindings map[string]*tensor.Tensor, opts Options) (*tensor.Tensor, error) {
	out, err := EvaluateMany([]circuit.Circuit{c}, bindings, opts)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// EvaluateMany compiles many circuits into one program — common work across
// them (the unablated part of an ablation sweep, say) is computed once — and
// returns every output.
func EvaluateMany(cs []circuit.Circuit, bindings map[string]*tensor.Tensor, opts Options) ([]*tensor.Tensor, error) {
	return EvaluateManyContext(context.Background(), cs, bindings, opts)
}

// EvaluateManyContext is EvaluateMany stopped early when ctx is done (see
// Plan.RunContext).
func EvaluateManyContext(ctx context.Context, cs []circuit.Circuit, bindings map[string]*tensor.Tensor, opts Options) ([]*tensor.Tensor, error) {
	p, err := Compile(cs, opts)
	if err != nil {
		return nil, err
	}
	out, _, err := p.RunContext(ctx, bindings)
	return out, err
}
