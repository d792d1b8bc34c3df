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

// Pass is one row of the pass table.
type Pass struct {
	Name string
	// Fn returns the rewritten program; it must not modify its input.
	Fn func(*ir.Program, *Context) (*ir.Program, error)
	// Required passes cannot be disabled: later stages rely on them.
	Required bool
	// Reason says in one line why the pass is in the pipeline.
	Reason string
}

// Table is the pipeline, in order. The same function may appear under two
// names; the name is the identity.
var Table = []Pass{
	{Name: "early deadcode", Fn: deadcode, Reason: "drop values the outputs never read before anything spends time on them"},
	{Name: "cse", Fn: cse, Reason: "merge structurally equal values so later passes see shared work once"},
	{Name: "constfold", Fn: constfold, Reason: "compute values of constants at compile time (small results only)"},
	{Name: "rearrange", Fn: rearrange, Reason: "fuse reshape/permute/broadcast chains, drop identities (even when the passes before are disabled)"},
	{Name: "index", Fn: indexFusion, Reason: "fuse slice/select chains, drop identity slices (even when the passes before are disabled)"},
	{Name: "pushdown", Fn: pushdown, Reason: "move slice/select/gather towards the inputs so less is computed"},
	{Name: "late cse", Fn: cse, Reason: "push-down may create equal sliced operands; merge them"},
	{Name: "addfold", Fn: addfold, Reason: "flatten sums, merge scalar terms, turn k equal terms into one scale"},
	{Name: "einsum", Fn: einsumFusion, Reason: "flatten einsum trees, absorb permutes and scalars, choose the contraction order"},
	{Name: "late constfold", Fn: constfold, Reason: "fold what push-down sliced, addfold scaled and fusion split into cheap pairwise contractions"},
	{Name: "late pushdown", Fn: pushdown, Reason: "absorbing permutes into einsums frees them for the index ops that also read them"},
	{Name: "late einsum", Fn: einsumFusion, Reason: "push-down moves index ops below scales and permutes that fusion can now absorb"},
	{Name: "batchgather", Fn: batchGather, Reason: "f(x[i]) is f(x)[i] when f is batch-wise and f(x) is computed anyway (late: fusion and push-down create such f(x[i]))"},
	{Name: "late index", Fn: indexFusion, Reason: "batchgather's commuted index ops may stack on others: fuse (and normalise layout ops)"},
	{Name: "final cse", Fn: cse, Reason: "fusion and push-down re-create values that already exist; merge them"},
	{Name: "deadcode", Fn: deadcode, Required: true, Reason: "the verifier and the runtime require a program without dead values"},
	{Name: "memplan", Fn: memplan, Required: true, Reason: "liveness, buffer reuse and the peak-bytes estimate the runtime and stats use"},
}

// Order lists ordering constraints: Order[i][0] must run before Order[i][1]
// whenever both are enabled. Checked against Table at init.
var Order = [][2]string{
	{"cse", "constfold"},           // folding once per distinct value, not once per copy
	{"constfold", "addfold"},       // scalar terms must already be scalars to merge
	{"rearrange", "pushdown"},      // push-down walks through one permute, not a chain
	{"index", "pushdown"},          // push-down expects fused slices
	{"pushdown", "einsum"},         // slices pushed into einsum operands shrink the contraction before planning
	{"einsum", "deadcode"},         // fusion leaves inner einsums unused
	{"deadcode", "memplan"},        // the plan must not allocate dead values
	{"pushdown", "late constfold"}, // late constfold exists for what push-down exposes
	{"einsum", "late constfold"},   // a constant chain folds in the contraction order fusion chose, not as one naive einsum
	{"pushdown", "addfold"},        // push-down rebuilds sums; addfold puts them in normal form
	{"late cse", "batchgather"},    // f(x) is found by structure: copies must be merged first
	{"batchgather", "final cse"},   // it re-creates gathers that may already exist
}

// orderReason documents Order entries for `circopt passes` (same index).
var orderReason = []string{
	"folding once per distinct value, not once per copy",
	"scalar terms must already be scalars to merge",
	"push-down walks through one permute, not a chain",
	"push-down expects fused slices",
	"slices pushed into einsum operands shrink the contraction before planning",
	"fusion leaves inner einsums unused",
	"the plan must not allocate dead values",
	"late constfold exists for what push-down exposes",
	"a constant chain folds in the contraction order fusion chose, not as one naive einsum",
	"push-down rebuilds sums; addfold puts them in normal form",
	"f(x) is found by structure: copies must be merged first",
	"it re-creates gathers that may already exist",
}

func init() {
	if err := checkTable(Table, Order); err != nil {
		panic("passes: " + err.Error()) // programming error in the table, not user input
	}
	if len(orderReason) != len(Order) {
		panic("passes: every Order entry needs a reason")
	}
}

// checkTable reports duplicate or empty names, missing functions or
// reasons, and Order constraints that name unknown passes or are violated.
func checkTable(t []Pass, order [][2]string) error {
	pos := map[string]int{}
	for i, p := range t {
		switch {
		case p.Name == "":
			return fmt.Errorf("table row %d has no name", i)
		case p.Fn == nil:
			return fmt.Errorf("pass %q has no function", p.Name)
		case p.Reason == "":
			return fmt.Errorf("pass %q has no reason", p.Name)
		}
		if _, dup := pos[p.Name]; dup {
			return fmt.Errorf("pass %q is in the table twice", p.Name)
		}
		pos[p.Name] = i
	}
	for _, c := range order {
		a, ok1 := pos[c[0]]
		b, ok2 := pos[c[1]]
		if !ok1 || !ok2 {
			return fmt.Errorf("order constraint %q before %q names an unknown pass", c[0], c[1])
		}
		if a >= b {
			return fmt.Errorf("order constraint violated: %q must run before %q", c[0], c[1])
		}
	}
	return nil
}

// Names returns the pass names in pipeline order.
func Names() []string {
	out := make([]string, len(Table))
	for i, p := range Table {
		out[i] = p.Name
	}
	return out
}

// Lookup returns the pass called name.
func Lookup(name string) (Pass, bool) {
	for _, p := range Table {
		if p.Name == name {
			return p, true
		}
	}
	return Pass{}, false
}

// Constraints returns the ordering constraints with their reasons, one
// "a before b: reason" line each.
func Constraints() []string {
	out := make([]string, len(Order))
	for i, c := range Order {
		out[i] = fmt.Sprintf("%s before %s: %s", c[0], c[1], orderReason[i])
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
	// (0: no cap). When no order fits, the least-memory order is used and a
	// note says so.
	MemCap int64
}

// Context is what a pass sees besides the program.
type Context struct {
	Opts   Options
	pass   string
	notes  []Note
	memory *MemoryPlan
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
	// Memory is the plan memplan computed for the final program (nil if
	// memplan did not run).
	Memory *MemoryPlan
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
		ps, ok := Lookup(name)
		if !ok {
			return nil, nil, fmt.Errorf("passes: -disable %q: no such pass (have %s)", name, strings.Join(Names(), ", "))
		}
		if ps.Required {
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
	for _, ps := range Table {
		if disabled[ps.Name] {
			continue
		}
		if n >= 0 && ran >= n {
			break
		}
		ran++
		ctx.pass = ps.Name
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
			if err := verifyErr("pass "+ps.Name, q, false); err != nil {
				return nil, rep, err
			}
		}
		text := before
		if q != p { // a pass returning its input unchanged costs no print
			text = q.String()
		}
		rep.Passes = append(rep.Passes, PassStat{Name: ps.Name, ValuesAfter: len(q.Values), Ms: ms, Changed: text != before, Stop: ctx.stop, Sweeps: ctx.sweeps})
		before = text // the next pass's input
		if opts.Dump != nil && (dumpAll || dump[ps.Name]) {
			fmt.Fprintf(opts.Dump, "# after %s\n", ps.Name)
			if fp := rep.Passes[len(rep.Passes)-1].Fixpoint(); fp != "" {
				fmt.Fprintf(opts.Dump, "# %s\n", fp)
			}
			for _, nt := range ctx.notes[firstNote:] {
				fmt.Fprintf(opts.Dump, "# %s\n", nt.Text)
			}
			io.WriteString(opts.Dump, text)
		}
		p = q
		if after != nil {
			stop, err := after(ps.Name, q)
			if err != nil {
				return nil, rep, err
			}
			if stop {
				break
			}
		}
	}
	rep.Notes = ctx.notes
	rep.Memory = ctx.memory
	return p, rep, nil
}

// runOne runs one pass, turning a panic into an error naming the pass.
func runOne(ps Pass, p *ir.Program, ctx *Context) (q *ir.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			q, err = nil, fmt.Errorf("pass %s panicked: %v", ps.Name, r)
		}
	}()
	q, err = ps.Fn(p, ctx)
	if err != nil {
		return nil, fmt.Errorf("pass %s: %w", ps.Name, err)
	}
	if q == nil {
		return nil, fmt.Errorf("pass %s returned no program", ps.Name)
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
