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
	"fmt"
	"io"

	"github.com/circopt/circopt/blas"
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
	// MaxMemory bounds, in bytes, the planned peak memory of a run; Compile
	// refuses a plan whose estimate exceeds it. 0 means no bound.
	MaxMemory int64
}

// Plan is a compiled, optimized program for a list of circuits.
type Plan struct {
	// Program is the optimized program; output i is circuit i.
	Program *ir.Program
	// Report says what each pass did.
	Report *passes.Report
	dtype  tensor.DType
	// inputName maps a symbol's uuid to the program input that carries it.
	inputName map[string]string
	maxMemory int64
	schedule  *runtime.Schedule // the memory-bounded order, when maxMemory is set
}

// Compile lowers circuits into one program (shared work appears once) and
// optimizes it.
func Compile(cs []circuit.Circuit, opts Options) (*Plan, error) {
	// the BLAS backend CIRCOPT_BLAS names (or the CPU's default), unless the
	// program chose one with blas.Use
	if _, err := blas.Ensure(); err != nil {
		return nil, err
	}
	dt := opts.DType
	if dt == 0 {
		dt = tensor.Float32
	}
	prog, err := lower.Lower(cs, lower.Options{DType: dt})
	if err != nil {
		return nil, err
	}
	popts := passes.Options{Disable: opts.Disable, Check: opts.Check, DumpAfter: opts.DumpAfter, Dump: opts.Dump, MemCap: opts.MaxMemory}
	opt, rep, err := passes.Run(prog, popts)
	if err != nil {
		return nil, err
	}
	// The runtime's own schedule decides MaxMemory: it knows which values are
	// views and what GEMM scratch costs. It reorders to fit, or refuses here,
	// before anything runs.
	var sch *runtime.Schedule
	if opts.MaxMemory > 0 {
		if sch, err = runtime.PlanSchedule(opt, dt, opts.MaxMemory); err != nil {
			return nil, fmt.Errorf("compile: %w", err)
		}
	}
	// A uuid binds the input of the one symbol that has it; symbols written
	// without a uuid share the nil uuid, so theirs binds nothing.
	names := map[string]string{}
	count := map[string]int{}
	for _, s := range circuit.FreeSymbols(cs...) {
		count[s.UUID]++
		if s.Name() != "" {
			names[s.UUID] = s.Name()
		} else {
			names[s.UUID] = s.UUID
		}
	}
	for u, n := range count {
		if n > 1 {
			delete(names, u)
		}
	}
	return &Plan{Program: opt, Report: rep, dtype: dt, inputName: names, maxMemory: opts.MaxMemory, schedule: sch}, nil
}

// DType is the plan's computation dtype.
func (p *Plan) DType() tensor.DType { return p.dtype }

// Run executes the plan with Symbols bound by name or uuid and returns one
// tensor per compiled circuit, in order.
func (p *Plan) Run(bindings map[string]*tensor.Tensor) ([]*tensor.Tensor, *runtime.Stats, error) {
	isInput := map[string]bool{}
	for _, v := range p.Program.Inputs() {
		isInput[v.Attrs.String("name")] = true
	}
	in := make(map[string]*tensor.Tensor, len(bindings))
	for k, v := range bindings {
		if name, ok := p.inputName[k]; ok && !isInput[k] {
			in[name] = v
		} else {
			in[k] = v
		}
	}
	for _, v := range p.Program.Inputs() {
		if _, ok := in[v.Attrs.String("name")]; !ok {
			return nil, nil, fmt.Errorf("unbound Symbol %q of shape %v", v.Attrs.String("name"), v.Shape())
		}
	}
	var outs map[string]*tensor.Tensor
	var stats *runtime.Stats
	var err error
	if p.maxMemory > 0 {
		outs, stats, err = runtime.Fast{MaxMemory: p.maxMemory, Order: p.schedule.Order}.Run(p.Program, in, p.dtype)
	} else {
		outs, stats, err = runtime.Run(p.Program, in, p.dtype) // through the runtime.Use swap point
	}
	if err != nil {
		return nil, nil, err
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
	p, err := Compile(cs, opts)
	if err != nil {
		return nil, err
	}
	out, _, err := p.Run(bindings)
	return out, err
}
