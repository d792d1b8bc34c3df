package passes

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/circopt/circopt/ir"
	fix "github.com/circopt/circopt/ir/fixpoint"
)

// PassFunc is a pass: it returns the rewritten program and must not modify
// its input.
type PassFunc func(*ir.Program, *Context) (*ir.Program, error)

// pass is one row of the pass table.
type pass struct {
	name string
	fn   PassFunc
	// required passes cannot be disabled: later stages rely on them.
	required bool
	// reason says in one line why the pass is in the pipeline.
	reason string
}

// PassInfo describes one pass of the pipeline (a copy of its table row).
type PassInfo struct {
	Name     string
	Required bool   // cannot be disabled: later stages rely on it
	Reason   string // one line: why the pass is in the pipeline
}

// table is the pipeline, in order. The same function may appear under two
// names; the name is the identity. Unexported and checked at init, so it
// cannot drift from the constraints: callers read it through Passes and Lookup.
var table = []pass{
	{name: "early deadcode", fn: deadcode, reason: "drop values the outputs never read before anything spends time on them"},
	{name: "cse", fn: cse, reason: "merge structurally equal values so later passes see shared work once"},
	{name: "constfold", fn: constfold, reason: "compute values of constants at compile time (small results only)"},
	{name: "rearrange", fn: rearrange, reason: "fuse reshape/permute/broadcast chains, drop identities (even when the passes before are disabled)"},
	{name: "index", fn: indexFusion, reason: "fuse slice/select chains, drop identity slices (even when the passes before are disabled)"},
	{name: "pushdown", fn: pushdown, reason: "move slice/select/gather towards the inputs so less is computed"},
	{name: "late cse", fn: cse, reason: "push-down may create equal sliced operands; merge them"},
	{name: "addfold", fn: addfold, reason: "flatten sums, merge scalar terms, turn k equal terms into one scale"},
	{name: "einsum", fn: einsumFusion, reason: "flatten einsum trees, absorb permutes and scalars, choose the contraction order"},
	{name: "late constfold", fn: constfold, reason: "fold what push-down sliced, addfold scaled and fusion split into cheap pairwise contractions"},
	{name: "late pushdown", fn: pushdown, reason: "absorbing permutes into einsums frees them for the index ops that also read them"},
	{name: "late einsum", fn: einsumFusion, reason: "push-down moves index ops below scales and permutes that fusion can now absorb"},
	{name: "batchgather", fn: batchGather, reason: "f(x[i]) is f(x)[i] when f is batch-wise and f(x) is computed anyway (late: fusion and push-down create such f(x[i]))"},
	{name: "late index", fn: indexFusion, reason: "batchgather's commuted index ops may stack on others: fuse (and normalise layout ops)"},
	{name: "addshare", fn: addshare, reason: "a sum reuses an earlier sum of its leading terms (a residual stream's layers): each term read once, the same bits"},
	{name: "final cse", fn: cse, reason: "fusion and push-down re-create values that already exist; merge them"},
	{name: "chunk", fn: chunk, reason: "values of a big batch that are computed row by row run in chunks of rows, so their intermediates stay in cache"},
	{name: "deadcode", fn: deadcode, required: true, reason: "the verifier and the runtime require a program without dead values"},
}

// constraint says before must run before after whenever both are enabled,
// and why.
type constraint struct{ before, after, reason string }

// constraints lists the ordering constraints, each with its reason; checked
// against table at init.
var constraints = []constraint{
	{"cse", "constfold", "folding once per distinct value, not once per copy"},
	{"constfold", "addfold", "scalar terms must already be scalars to merge"},
	{"rearrange", "pushdown", "push-down walks through one permute, not a chain"},
	{"index", "pushdown", "push-down expects fused slices"},
	{"pushdown", "einsum", "slices pushed into einsum operands shrink the contraction before planning"},
	{"einsum", "deadcode", "fusion leaves inner einsums unused"},
	{"pushdown", "late constfold", "late constfold exists for what push-down exposes"},
	{"einsum", "late constfold", "a constant chain folds in the contraction order fusion chose, not as one naive einsum"},
	{"pushdown", "addfold", "push-down rebuilds sums; addfold puts them in normal form"},
	{"late cse", "batchgather", "f(x) is found by structure: copies must be merged first"},
	{"batchgather", "final cse", "it re-creates gathers that may already exist"},
	{"addfold", "addshare", "prefixes are found among flattened sums"},
	{"final cse", "chunk", "chunk copies of one value are distinct; merge shared work before copying it per chunk"},
}

func init() {
	if err := checkTable(table, constraints); err != nil {
		panic("passes: " + err.Error()) // programming error in the table, not user input
	}
}

// checkTable reports duplicate or empty names, missing functions or
// reasons, and order constraints that name unknown passes, have no reason
// or are violated.
func checkTable(t []pass, cs []constraint) error {
	pos := map[string]int{}
	for i, p := range t {
		switch {
		case p.name == "":
			return fmt.Errorf("table row %d has no name", i)
		case p.fn == nil:
			return fmt.Errorf("pass %q has no function", p.name)
		case p.reason == "":
			return fmt.Errorf("pass %q has no reason", p.name)
		}
		if _, dup := pos[p.name]; dup {
			return fmt.Errorf("pass %q is in the table twice", p.name)
		}
		pos[p.name] = i
	}
	for _, c := range cs {
		a, ok1 := pos[c.before]
		b, ok2 := pos[c.after]
		switch {
		case !ok1 || !ok2:
			return fmt.Errorf("order constraint %q before %q names an unknown pass", c.before, c.after)
		case c.reason == "":
			return fmt.Errorf("order constraint %q before %q has no reason", c.before, c.after)
		case a >= b:
			return fmt.Errorf("order constraint violated: %q must run before %q", c.before, c.after)
		}
	}
	return nil
}

func (p pass) info() PassInfo { return PassInfo{Name: p.name, Required: p.required, Reason: p.reason} }

// Passes returns the pipeline in order (a copy: changing it changes
// nothing).
func Passes() []PassInfo {
	out := make([]PassInfo, len(table))
	for i, p := range table {
		out[i] = p.info()
	}
	return out
}

// Names returns the pass names in pipeline order.
func Names() []string {
	out := make([]string, len(table))
	for i, p := range table {
		out[i] = p.name
	}
	return out
}

// lookup returns the table row of the pass called name.
func lookup(name string) (pass, bool) {
	for _, p := range table {
		if p.name == name {
			return p, true
		}
	}
	return pass{}, false
}

// Lookup describes the pass called name.
func Lookup(name string) (PassInfo, bool) {
	p, ok := lookup(name)
	return p.info(), ok
}

// RunPass runs the named pass alone on p (no verification, no other pass),
// e.g. to see what one pass does to a lowered program.
func RunPass(name string, p *ir.Program, opts Options) (*ir.Program, error) {
	ps, ok := lookup(name)
	if !ok {
		return nil, fmt.Errorf("passes: no such pass %q", name)
	}
	return runOne(ps, p, &Context{Opts: opts, pass: name})
}

// Override wraps the named pass's function until restore is called: for
// tests that break a pass on purpose to check that bisection finds it. The
// table's names, order and reasons cannot change. Not safe to call while a
// pipeline runs.
func Override(name string, wrap func(PassFunc) PassFunc) (restore func(), err error) {
	for i := range table {
		if table[i].name == name {
			old := table[i].fn
			table[i].fn = wrap(old)
			return func() { table[i].fn = old }, nil
		}
	}
	return nil, fmt.Errorf("passes: no such pass %q", name)
}

// Constraints returns the ordering constraints with their reasons, one
// "a before b: reason" line each.
func Constraints() []string {
	out := make([]string, len(constraints))
	for i, c := range constraints {
		out[i] = fmt.Sprintf("%s before %s: %s", c.before, c.after, c.reason)
	}
	return out
}

// Options control Run.
type Options struct {
	// Disable names passes to skip; disabling a Required pass is an error.
	Disable []string
	// DumpAfter names passes after which the program is printed to Dump;
	// "all" dumps after every pass.
	DumpAfter []string
	// Check verifies the program after every pass.
	Check bool
	// Dump receives dumps (nil discards them).
	Dump io.Writer
	// MemCap bounds, in bytes, every intermediate einsum fusion creates
	// (0: no cap): contraction ordering's memory cap, the only memory model
	// the optimizer has (the runtime's schedule predicts a run's peak). When no order fits, the least-memory order is used and a
	// note says so.
	MemCap int64
	// AfterPass, when set, is called with each pass's name after it ran
	// (progress reporting; it cannot change the run).
	AfterPass func(pass string)
}

// Context is what a pass sees besides the program.
type Context struct {
	Opts  Options
	pass  string
	notes []Note
	// stop and sweeps are what the current pass's fixed-point loop
	// reported (zero: the pass has no loop).
	stop   fix.Stop
	sweeps int
}

// stopped records why the current pass's fixed-point loop ended.
func (c *Context) stopped(s fix.Stop, sweeps int) {
	if c != nil {
		c.stop, c.sweeps = s, sweeps
	}
}

// Note is a remark a pass made, e.g. the contraction path it chose.
type Note struct {
	Pass string
	Text string
}

// Notef records a note for the current pass.
func (c *Context) Notef(format string, args ...any) {
	if c == nil {
		return
	}
	c.notes = append(c.notes, Note{Pass: c.pass, Text: fmt.Sprintf(format, args...)})
}

// PassStat is one pass's entry in the Report.
type PassStat struct {
	Name        string
	ValuesAfter int
	Ms          float64
	Changed     bool // the printed program differs from the pass's input
	// Stop is why the pass's fixed-point loop ended after Sweeps sweeps
	// (zero for passes without a loop); anything but fixpoint.FixedPoint
	// means another run of the pass could still change the program.
	Stop   fix.Stop
	Sweeps int
}

// Fixpoint is the pass's loop report, "pushdown: fixed point after 2
// sweeps", or "" for a pass without a loop.
func (s PassStat) Fixpoint() string {
	if s.Stop == 0 {
		return ""
	}
	return s.Name + ": " + s.Stop.After(s.Sweeps, "sweep")
}

// Report is what Run did.
type Report struct {
	ValuesBefore int
	Passes       []PassStat
	Notes        []Note
}

// Unsettled lists the passes whose fixed-point loop stopped without
// reaching a fixed point (limit reached or cycle found).
func (r *Report) Unsettled() []PassStat {
	var out []PassStat
	for _, s := range r.Passes {
		if s.Stop != 0 && s.Stop != fix.FixedPoint {
			out = append(out, s)
		}
	}
	return out
}

// Run optimizes p with every enabled pass of Table.
func Run(p *ir.Program, opts Options) (*ir.Program, *Report, error) {
	return RunPrefix(p, opts, -1)
}

// RunPrefix is Run stopping after the first n enabled passes (n < 0: all).
// Bisecting n finds the first pass that breaks equivalence. With a prefix,
// Required passes that are cut off simply do not run.
func RunPrefix(p *ir.Program, opts Options, n int) (*ir.Program, *Report, error) {
	return runPipeline(p, opts, n, nil)
}

// FirstBadPass runs the pipeline and calls bad after every pass; it
// returns the name of the first pass after which bad reports true, with the
// program that pass produced ("" and the final program when none does).
// `circopt verify -bisect` passes a bad that compares outputs with the
// unoptimized program's.
func FirstBadPass(p *ir.Program, opts Options, bad func(*ir.Program) (bool, error)) (string, *ir.Program, error) {
	name := ""
	q, _, err := runPipeline(p, opts, -1, func(pass string, q *ir.Program) (bool, error) {
		isBad, err := bad(q)
		if err != nil {
			return true, fmt.Errorf("after pass %s: %w", pass, err)
		}
		if isBad {
			name = pass
		}
		return isBad, nil
	})
	return name, q, err
}

// runPipeline runs the first n enabled passes (all when n < 0), calling
// after (when non-nil) after each; after returning stop=true ends the run
// there.
func runPipeline(p *ir.Program, opts Options, n int, after func(pass string, q *ir.Program) (stop bool, err error)) (*ir.Program, *Report, error) {
	if p == nil {
		return nil, nil, errors.New("passes: nil program")
	}
	disabled := map[string]bool{}
	for _, name := range opts.Disable {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		ps, ok := lookup(name)
		if !ok {
			return nil, nil, fmt.Errorf("passes: -disable %q: no such pass (have %s)", name, strings.Join(Names(), ", "))
		}
		if ps.required {
			return nil, nil, fmt.Errorf("passes: pass %q is required and cannot be disabled", name)
		}
		disabled[name] = true
	}
	dumpAll := slices.Contains(opts.DumpAfter, "all")
	dump := map[string]bool{}
	for _, name := range opts.DumpAfter {
		if name == "all" {
			continue
		}
		if _, ok := Lookup(name); !ok {
			return nil, nil, fmt.Errorf("passes: -dump-after %q: no such pass", name)
		}
		dump[name] = true
	}
	if err := verifyErr("input", p, true); err != nil {
		return nil, nil, err
	}
	ctx := &Context{Opts: opts}
	rep := &Report{ValuesBefore: len(p.Values)}
	ran := 0
	before := "" // the printed input of the next pass, computed once
	for _, ps := range table {
		if disabled[ps.name] {
			continue
		}
		if n >= 0 && ran >= n {
			break
		}
		ran++
		ctx.pass = ps.name
		ctx.stop, ctx.sweeps = 0, 0
		firstNote := len(ctx.notes)
		if before == "" {
			before = p.String()
		}
		start := time.Now()
		q, err := runOne(ps, p, ctx)
		ms := float64(time.Since(start).Microseconds()) / 1000
		if err != nil {
			rep.Notes = ctx.notes
			return nil, rep, err
		}
		if opts.Check {
			if err := verifyErr("pass "+ps.name, q, false); err != nil {
				return nil, rep, err
			}
		}
		text := before
		if q != p { // a pass returning its input unchanged costs no print
			text = q.String()
		}
		rep.Passes = append(rep.Passes, PassStat{Name: ps.name, ValuesAfter: len(q.Values), Ms: ms, Changed: text != before, Stop: ctx.stop, Sweeps: ctx.sweeps})
		before = text // the next pass's input
		if opts.Dump != nil && (dumpAll || dump[ps.name]) {
			fmt.Fprintf(opts.Dump, "# after %s\n", ps.name)
			if fp := rep.Passes[len(rep.Passes)-1].Fixpoint(); fp != "" {
				fmt.Fprintf(opts.Dump, "# %s\n", fp)
			}
			for _, nt := range ctx.notes[firstNote:] {
				fmt.Fprintf(opts.Dump, "# %s\n", nt.Text)
			}
			io.WriteString(opts.Dump, text)
		}
		p = q
		if opts.AfterPass != nil {
			opts.AfterPass(ps.name)
		}
		if after != nil {
			stop, err := after(ps.name, q)
			if err != nil {
				return nil, rep, err
			}
			if stop {
				break
			}
		}
	}
	rep.Notes = ctx.notes
	return p, rep, nil
}

// runOne runs one pass, turning a panic into an error naming the pass.
func runOne(ps pass, p *ir.Program, ctx *Context) (q *ir.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			q, err = nil, fmt.Errorf("pass %s panicked: %v", ps.name, r)
		}
	}()
	q, err = ps.fn(p, ctx)
	if err != nil {
		return nil, fmt.Errorf("pass %s: %w", ps.name, err)
	}
	if q == nil {
		return nil, fmt.Errorf("pass %s returned no program", ps.name)
	}
	return q, nil
}

// VerifyError is a program failing ir.Verify before the first pass or after
// one; Errs holds every verifier message.
type VerifyError struct {
	Stage string // "input" or "pass <name>"
	Errs  []error
}

func (e *VerifyError) Error() string {
	var sb strings.Builder
	if e.Stage == "input" {
		sb.WriteString("passes: input program does not verify:")
	} else {
		fmt.Fprintf(&sb, "passes: %s left a program that does not verify:", e.Stage)
	}
	for _, x := range e.Errs {
		sb.WriteString("\n  " + x.Error())
	}
	return sb.String()
}

// verifyErr runs ir.Verify; allowDead tolerates dead values (the input may
// have them: deadcode removes them).
func verifyErr(stage string, p *ir.Program, allowDead bool) error {
	var errs []error
	for _, e := range ir.Verify(p) {
		var ve *ir.VerifyError
		if allowDead && errors.As(e, &ve) && ve.Dead {
			continue
		}
		errs = append(errs, e)
	}
	if len(errs) == 0 {
		return nil
	}
	return &VerifyError{Stage: stage, Errs: errs}
}
