package runtime

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/ir/interp"
	"github.com/circopt/circopt/tensor"
)

// ValueStat is what executing one value cost.
type ValueStat struct {
	ID    int
	Op    ir.Op
	Time  time.Duration
	FLOPs int64
	Bytes int64 // logical size of the result
}

// OpStat aggregates ValueStats by op.
type OpStat struct {
	Op    ir.Op
	Count int
	Time  time.Duration
	FLOPs int64
}

// Stats reports one Run.
type Stats struct {
	Values     []ValueStat // one per executed value, in program order
	TotalFLOPs int64
	PeakBytes  int64 // see the package doc for the definition
	Elapsed    time.Duration

	// The fast executor also reports:
	PredictedPeakBytes int64 // its schedule's prediction of PeakBytes (see Schedule)
	AllocatedBytes     int64 // buffer bytes taken from the Go heap
	ReusedBytes        int64 // buffer bytes served again from freed buffers
	Workers            int   // values allowed in flight at once
}

// ByOp sums the per-value stats per op, most time first (ties by name).
func (s *Stats) ByOp() []OpStat {
	m := map[ir.Op]*OpStat{}
	for _, v := range s.Values {
		o := m[v.Op]
		if o == nil {
			o = &OpStat{Op: v.Op}
			m[v.Op] = o
		}
		o.Count++
		o.Time += v.Time
		o.FLOPs += v.FLOPs
	}
	out := make([]OpStat, 0, len(m))
	for _, o := range m {
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Time != out[j].Time {
			return out[i].Time > out[j].Time
		}
		return out[i].Op < out[j].Op
	})
	return out
}

// Executor runs programs. A faster runtime implements it and is installed
// with Use.
type Executor interface {
	Run(p *ir.Program, inputs map[string]*tensor.Tensor, dtype tensor.DType) (map[string]*tensor.Tensor, *Stats, error)
}

var (
	mu      sync.RWMutex
	current Executor = Fast{}
)

// Use installs e as the executor behind Run (nil restores the default,
// Fast{}); Use(Reference{}) selects the reference interpreter.
func Use(e Executor) {
	mu.Lock()
	defer mu.Unlock()
	if e == nil {
		e = Fast{}
	}
	current = e
}

// Run executes p with the installed executor: inputs binds each input
// value's name, dtype (float32 or float64) is the precision of float values.
// It returns the outputs by name.
func Run(p *ir.Program, inputs map[string]*tensor.Tensor, dtype tensor.DType) (map[string]*tensor.Tensor, *Stats, error) {
	return RunContext(context.Background(), p, inputs, dtype)
}

// Reference is the straightforward interpreter: one value at a time, in
// program order, freeing each value after its last use.
type Reference struct{}

// Run implements Executor.
func (r Reference) Run(p *ir.Program, inputs map[string]*tensor.Tensor, dt tensor.DType) (map[string]*tensor.Tensor, *Stats, error) {
	return r.RunContext(context.Background(), p, inputs, dt)
}

// RunContext implements ContextExecutor: ctx is checked between values.
func (Reference) RunContext(ctx context.Context, p *ir.Program, inputs map[string]*tensor.Tensor, dt tensor.DType) (map[string]*tensor.Tensor, *Stats, error) {
	if p == nil {
		return nil, nil, fmt.Errorf("runtime: nil program")
	}
	if !dt.IsFloat() {
		return nil, nil, fmt.Errorf("runtime: run dtype must be float32 or float64, got %v", dt)
	}
	// Kernels trust their operands, so ill-formed programs are refused
	// up front; dead values are harmless here (computed, then freed).
	for _, e := range ir.Verify(p) {
		if ve, ok := e.(*ir.VerifyError); ok && ve.Dead {
			continue
		}
		return nil, nil, fmt.Errorf("runtime: invalid program: %w", e)
	}
	start := time.Now()
	last := p.LastUse()
	env := make(map[int]*tensor.Tensor, len(p.Values))
	stats := &Stats{Values: make([]ValueStat, 0, len(p.Values))}
	var held int64
	for i, v := range p.Values {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("runtime: %w", err)
		}
		if _, dup := env[v.ID]; dup {
			return nil, nil, fmt.Errorf("runtime: %v: id %%%d defined twice", v, v.ID)
		}
		t0 := time.Now()
		var t *tensor.Tensor
		var err error
		if v.Op == ir.OpInput {
			t, err = bindInput(v, inputs, dt)
		} else {
			args := make([]*tensor.Tensor, len(v.Operands))
			for j, o := range v.Operands {
				args[j] = env[o]
			}
			t, err = safeEval(p, v, args, dt)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("runtime: %w", err)
		}
		bytes := t.Bytes()
		stats.Values = append(stats.Values, ValueStat{ID: v.ID, Op: v.Op, Time: time.Since(t0), FLOPs: ir.FLOPsOf(p, v), Bytes: bytes})
		env[v.ID] = t
		held += bytes
		stats.PeakBytes = max(stats.PeakBytes, held)
		// Free operands (and a never-used result) whose last use is this step.
		for _, o := range append(slices.Clone(v.Operands), v.ID) {
			if last[o] == i {
				if ot, ok := env[o]; ok {
					held -= ot.Bytes()
					delete(env, o)
				}
			}
		}
	}
	out := make(map[string]*tensor.Tensor, len(p.Outputs))
	for _, o := range p.Outputs {
		t, ok := env[o.ID]
		if !ok {
			return nil, nil, fmt.Errorf("runtime: output %q: value %%%d was not computed", o.Name, o.ID)
		}
		out[o.Name] = t.Contiguous()
	}
	for _, s := range stats.Values {
		stats.TotalFLOPs += s.FLOPs
	}
	stats.Elapsed = time.Since(start)
	return out, stats, nil
}

// bindInput checks a bound tensor against the input's declaration and
// converts floats to the run dtype.
func bindInput(v *ir.Value, inputs map[string]*tensor.Tensor, dt tensor.DType) (*tensor.Tensor, error) {
	name := v.Attrs.String("name")
	t, ok := inputs[name]
	if !ok || t == nil {
		return nil, fmt.Errorf("input %q is not bound (%v)", name, v)
	}
	if !slices.Equal(t.Shape(), v.Shape()) {
		return nil, fmt.Errorf("input %q has shape %v, the program declares %v", name, t.Shape(), v.Type)
	}
	want := valueDType(v, dt)
	switch {
	case t.DType() == want:
		return t, nil
	case want == tensor.Int64:
		return nil, fmt.Errorf("input %q has dtype %v, the program declares %v", name, t.DType(), v.Type)
	default:
		return t.Cast(want), nil
	}
}

// safeEval is interp.EvalValue with a last-resort guard: a kernel panic (a bug, since
// the program was verified) becomes an error naming the value instead of
// crashing the caller.
func safeEval(p *ir.Program, v *ir.Value, args []*tensor.Tensor, dt tensor.DType) (t *tensor.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("%v: kernel panic: %v", v, r)
		}
	}()
	return interp.EvalValue(p, v, args, dt)
}
