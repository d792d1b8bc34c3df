package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/ir"
	"github.com/circopt/circopt/lower"
	"github.com/circopt/circopt/passes"
	"github.com/circopt/circopt/progress"
	"github.com/circopt/circopt/runtime"
	"github.com/circopt/circopt/tensor"
)

func init() {
	register("opt", "opt [-emit ir|circuit] [-disable PASS,...] [-dump-after PASS,...|all] [-tensors DIR] [-q] FILE|-", "optimize and print the program (-emit ir|circuit)", runOpt)
	register("verify", "verify [-seed N] [-rtol R] [-atol A] [-bisect] [-format text|json] [-disable PASS,...] [-bind NAME=FILE.npy]... [-tensors DIR] [-q] FILE|-", "check the optimized program against the naive float64 evaluator", runVerify)
	register("stats", "stats [-format text|json] [-disable PASS,...] [-tensors DIR] [-q] FILE|-", "node, value, FLOP and memory counts before and after optimization", runStats)
	register("passes", "passes", "list the pass pipeline and its ordering constraints", runPasses)
}

// compilerInput parses a file for the compiler commands. Array hashes
// resolve in the tensor store (-tensors, else the default one); a hash it
// lacks is drawn at random when standIns is set or no -tensors is given:
// the compiler's answers do not depend on the values. So opt and stats
// never need a tensor, and verify only those of an explicit -tensors DIR.
func compilerInput(in *inputFlags, path string, dt tensor.DType, standIns bool) ([]circuit.Circuit, error) {
	if standIns || in.tensorsDir == "" {
		in.randomTensors = true
	}
	return in.loadValues(path, dt, os.Stdin)
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// compilerFlags are the flags opt, verify and stats share: the input
// flags, -disable and (where the command has one) -format.
type compilerFlags struct {
	fs      *flag.FlagSet
	in      inputFlags
	disable *string
	format  *string
	quiet   *bool
}

func newCompilerFlags(name string, stderr io.Writer, withFormat bool) *compilerFlags {
	c := &compilerFlags{fs: newFlags(name, stderr)}
	c.in.register(c.fs)
	c.disable = c.fs.String("disable", "", "comma-separated `PASSES` to skip")
	c.quiet = c.fs.Bool("q", false, "no progress bar (drawn on stderr only when it is a terminal)")
	if withFormat {
		c.format = c.fs.String("format", "text", "output `text|json`")
	}
	return c
}

// parse reads args and checks what every compiler command checks: one
// FILE, a known -format, known pass names in -disable.
func (c *compilerFlags) parse(args []string) (path string, err error) {
	if err := parseFlags(c.fs, args); err != nil {
		return "", err
	}
	if path, err = oneFile(c.fs); err != nil {
		return "", err
	}
	if c.format != nil && *c.format != "text" && *c.format != "json" {
		return "", usagef("-format must be text or json, got %q", *c.format)
	}
	return path, checkPassNames(c.disabled(), false)
}

func (c *compilerFlags) disabled() []string { return splitList(*c.disable) }

// progress starts a bar on stderr (when it is a terminal and -q is not
// given) with one step per enabled pass plus extra.
func (c *compilerFlags) progress(stderr io.Writer, what string, extra int) progress.Reporter {
	bar := progress.Auto(stderr, *c.quiet)
	bar.Start(len(enabledPasses(c.disabled()))+extra, what)
	return bar
}

func (c *compilerFlags) json() bool { return c.format != nil && *c.format == "json" }

func runOpt(args []string, stdout, stderr io.Writer) error {
	cf := newCompilerFlags("opt", stderr, false)
	emit := cf.fs.String("emit", "ir", "`ir|circuit`: print the optimized program, or the program raised back to circuits")
	dump := cf.fs.String("dump-after", "", "print the program after each of `PASSES` (comma-separated, or all: every pass that changed it, then a line naming those that did not)")
	path, err := cf.parse(args)
	if err != nil {
		return err
	}
	if *emit != "ir" && *emit != "circuit" {
		return usagef("-emit must be ir or circuit, got %q", *emit)
	}
	if err := checkPassNames(splitList(*dump), true); err != nil {
		return err
	}
	cs, err := compilerInput(&cf.in, path, tensor.Float32, true)
	if err != nil {
		return err
	}
	path = fileLabel(path)
	prog, err := lower.Lower(cs, lower.Options{DType: tensor.Float32})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// -dump-after all shows only the passes that changed the program.
	var dumpTo io.Writer = stdout
	sections := &dumpSections{}
	dumpAll := slices.Contains(splitList(*dump), "all")
	if dumpAll {
		dumpTo = sections
	}
	bar := cf.progress(stderr, "opt", 0)
	opt, rep, err := passes.Run(prog, passes.Options{Disable: cf.disabled(), DumpAfter: splitList(*dump), Dump: dumpTo, Check: true, AfterPass: func(string) { bar.Add(1) }})
	bar.Finish()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if dumpAll {
		if err := sections.flush(stdout, rep); err != nil {
			return fmt.Errorf("%s: -dump-after all: %w", path, err)
		}
	}
	for _, s := range rep.Unsettled() { // the program is valid, but not fully optimized
		fmt.Fprintf(stderr, "%s: %s\n", path, s.Fixpoint())
	}
	if *emit == "ir" {
		_, err = fmt.Fprint(stdout, opt.String())
		return err
	}
	raised, err := lower.Raise(opt)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return cf.in.printCircuits(stdout, stderr, raised, circuit.PrintOptions{})
}

// checkPassNames checks -dump-after's (allowAll) or -disable's pass names:
// unknown names and disabling a required pass are usage errors.
func checkPassNames(names []string, allowAll bool) error {
	for _, n := range names {
		if allowAll && n == "all" {
			continue
		}
		p, ok := passes.Lookup(n)
		if !ok {
			return usagef("unknown pass %q (see circopt passes)", n)
		}
		if !allowAll && p.Required {
			return usagef("pass %q is required and cannot be disabled (see circopt passes)", n)
		}
	}
	return nil
}

type verifyOutput struct {
	Name      string  `json:"name"`
	MaxAbsErr float64 `json:"max_abs_err"`
	MaxRelErr float64 `json:"max_rel_err"`
	ok        bool
}

func runVerify(args []string, stdout, stderr io.Writer) error {
	cf := newCompilerFlags("verify", stderr, true)
	cf.fs.Uint64Var(&cf.in.seed, "seed", 0, "`N` seeds the random inputs and the Array rand draws")
	rtol := cf.fs.Float64("rtol", 1e-6, "relative tolerance `R`")
	atol := cf.fs.Float64("atol", 1e-9, "absolute tolerance `A`")
	bisect := cf.fs.Bool("bisect", false, "print the result after each pass prefix, not only the first bad pass")
	var bindFlags multiFlag
	cf.fs.Var(&bindFlags, "bind", "`NAME=FILE.npy` binds the free Symbol NAME (or uuid) to a float .npy file (repeatable; the others get random values)")
	path, err := cf.parse(args)
	if err != nil {
		return err
	}
	if *rtol < 0 || math.IsNaN(*rtol) || *atol < 0 || math.IsNaN(*atol) {
		return usagef("-rtol and -atol must be numbers at least 0, got %g and %g", *rtol, *atol)
	}
	binds, err := loadBindings(bindFlags)
	if err != nil {
		return err
	}
	cs, err := compilerInput(&cf.in, path, tensor.Float64, false)
	if err != nil {
		return err
	}
	path = fileLabel(path)
	if need, limit := naiveBytes(cs, tensor.Float64), cf.in.memLimit(); limit > 0 && need > limit {
		return fmt.Errorf("%s: the naive float64 evaluation needs about %d bytes, more than the %d available", path, need, limit)
	}
	bound, err := bindSymbols(path, cs, binds, true)
	if err != nil {
		return err
	}
	inputs, err := randomBindings(cs, bound, cf.in.seed)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// steps: the naive evaluation, each pass, the optimized run
	bar := cf.progress(stderr, "verify", 2)
	defer bar.Finish()
	ref, err := circuit.EvaluateAll(cs, circuit.EvalOptions{DType: tensor.Float64, Bindings: inputs})
	bar.Add(1)
	if err != nil {
		return fmt.Errorf("%s: naive evaluation: %w", path, err)
	}
	prog, err := lower.Lower(cs, lower.Options{DType: tensor.Float64})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	popts := passes.Options{Disable: cf.disabled(), Check: true}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// compare runs the first n passes (n < 0: all) and checks every output.
	compare := func(n int) ([]verifyOutput, bool, error) {
		opt, _, err := passes.RunPrefix(prog, popts, n)
		if err != nil {
			return nil, false, err
		}
		got, _, err := runtime.RunContext(ctx, opt, inputs, tensor.Float64)
		if err != nil {
			return nil, false, err
		}
		var outs []verifyOutput
		all := true
		for i, o := range opt.Outputs {
			v := verifyOutput{Name: o.Name}
			g := got[o.Name]
			if g == nil {
				return nil, false, fmt.Errorf("output %q missing from the optimized program", o.Name)
			}
			abs, rel, cerr := tensor.Compare(g, ref[i])
			v.MaxAbsErr, v.MaxRelErr = abs, rel
			v.ok = cerr == nil && tensor.AllClose(g, ref[i], *rtol, *atol)
			if cerr != nil {
				v.MaxAbsErr, v.MaxRelErr = math.Inf(1), math.Inf(1)
			}
			all = all && v.ok
			outs = append(outs, v)
		}
		return outs, all, nil
	}
	popts.AfterPass = func(string) { bar.Add(1) }
	outs, ok, err := compare(-1)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	bar.Add(1)
	popts.AfterPass = nil
	firstBad := ""
	if !ok || *bisect {
		names := enabledPasses(cf.disabled())
		bar.Start(len(names), "bisect")
		for n := 1; n <= len(names); n++ {
			_, good, err := compare(n)
			bar.Add(1)
			if err != nil {
				return fmt.Errorf("%s: after pass %s: %w", path, names[n-1], err)
			}
			if *bisect && !cf.json() {
				fmt.Fprintf(stdout, "after %-16s %s\n", names[n-1], okWord(good))
			}
			if !good && firstBad == "" {
				firstBad = names[n-1]
			}
		}
	}
	if cf.json() {
		type jsonOut struct {
			Name      string    `json:"name"`
			MaxAbsErr jsonFloat `json:"max_abs_err"`
			MaxRelErr jsonFloat `json:"max_rel_err"`
		}
		res := struct {
			OK           bool      `json:"ok"`
			Outputs      []jsonOut `json:"outputs"`
			FirstBadPass *string   `json:"first_bad_pass"`
		}{OK: ok}
		for _, o := range outs {
			res.Outputs = append(res.Outputs, jsonOut{o.Name, jsonFloat(o.MaxAbsErr), jsonFloat(o.MaxRelErr)})
		}
		if firstBad != "" {
			res.FirstBadPass = &firstBad
		}
		if err := json.NewEncoder(stdout).Encode(res); err != nil {
			return err
		}
	} else {
		for _, o := range outs {
			fmt.Fprintf(stdout, "%s %s max_abs_err=%.3g max_rel_err=%.3g\n", okWord(o.ok), quoteName(o.Name), o.MaxAbsErr, o.MaxRelErr)
		}
	}
	if !ok {
		var bad []string
		for _, o := range outs {
			if !o.ok {
				bad = append(bad, quoteName(o.Name))
			}
		}
		msg := fmt.Sprintf("%s: optimized program differs from the naive evaluator on %s", path, strings.Join(bad, ", "))
		if firstBad != "" {
			msg += "; first bad pass: " + firstBad
		}
		return fmt.Errorf("%s", msg)
	}
	if !cf.json() {
		fmt.Fprintf(stdout, "ok: %d output(s) match within rtol=%g atol=%g\n", len(outs), *rtol, *atol)
	}
	return nil
}

func okWord(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISMATCH"
}

// enabledPasses lists the pipeline's pass names in order, without the disabled ones.
func enabledPasses(disabled []string) []string {
	off := map[string]bool{}
	for _, d := range disabled {
		off[d] = true
	}
	var out []string
	for _, p := range passes.Passes() {
		if !off[p.Name] {
			out = append(out, p.Name)
		}
	}
	return out
}

// symbolKey is how a free Symbol is bound: by name when it has one (symbols
// written without a uuid all share the nil uuid), else by uuid. It is also
// the name lowering gives the symbol's program input.
func symbolKey(s *circuit.Symbol) string {
	if s.Name() != "" {
		return s.Name()
	}
	return s.UUID
}

// randomBindings binds every free Symbol, keyed by symbolKey: from bound
// when given, otherwise to a normal draw seeded by seed and the symbol's hash.
func randomBindings(cs []circuit.Circuit, bound map[string]*tensor.Tensor, seed uint64) (map[string]*tensor.Tensor, error) {
	out := map[string]*tensor.Tensor{}
	shapeOf := map[string]*circuit.Symbol{}
	for _, s := range circuit.FreeSymbols(cs...) {
		// Symbols are bound by name: two of one name must agree on the shape.
		if prev, ok := shapeOf[symbolKey(s)]; ok && !slices.Equal(prev.Shape(), s.Shape()) {
			return nil, fmt.Errorf("two free Symbols named %s have shapes %s and %s; give them distinct names",
				quoteName(symbolKey(s)), shapeText(prev.Shape()), shapeText(s.Shape()))
		}
		shapeOf[symbolKey(s)] = s
		if t, ok := bound[s.Name()]; ok && s.Name() != "" {
			out[symbolKey(s)] = t
			continue
		}
		if t, ok := bound[s.UUID]; ok {
			out[symbolKey(s)] = t
			continue
		}
		h := s.Hash()
		var mix uint64
		for _, b := range h[:8] {
			mix = mix<<8 | uint64(b)
		}
		t, err := tensor.RandN(tensor.Float64, s.Shape(), seed^mix)
		if err != nil {
			//lint:ignore ST1005 the message starts with the node kind's name
			return nil, fmt.Errorf("Symbol %s: %w", circuit.Label(s), err)
		}
		out[symbolKey(s)] = t
	}
	return out, nil
}

func programFLOPs(p *ir.Program) int64 {
	var n int64
	for _, v := range p.Values {
		n += ir.FLOPsOf(p, v)
	}
	return n
}

func runStats(args []string, stdout, stderr io.Writer) error {
	cf := newCompilerFlags("stats", stderr, true)
	path, err := cf.parse(args)
	if err != nil {
		return err
	}
	cs, err := compilerInput(&cf.in, path, tensor.Float32, true)
	if err != nil {
		return err
	}
	path = fileLabel(path)
	nodes := 0
	circuit.Walk(cs, func(circuit.Circuit) { nodes++ })
	start := time.Now()
	prog, err := lower.Lower(cs, lower.Options{DType: tensor.Float32})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	bar := cf.progress(stderr, "stats", 0)
	opt, rep, err := passes.Run(prog, passes.Options{Disable: cf.disabled(), AfterPass: func(string) { bar.Add(1) }})
	bar.Finish()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	total := time.Since(start)
	type passRow struct {
		Name        string  `json:"name"`
		ValuesAfter int     `json:"values_after"`
		Ms          float64 `json:"ms"`
		Fixpoint    string  `json:"fixpoint,omitempty"`
	}
	res := struct {
		CircuitNodes   int       `json:"circuit_nodes"`
		ValuesBefore   int       `json:"ir_values_before"`
		ValuesAfter    int       `json:"ir_values_after"`
		FLOPsNaive     int64     `json:"flops_naive"`
		FLOPsOptimized int64     `json:"flops_optimized"`
		PeakBytes      int64     `json:"peak_bytes"`
		Passes         []passRow `json:"passes"`
	}{CircuitNodes: nodes, ValuesBefore: len(prog.Values), ValuesAfter: len(opt.Values),
		FLOPsNaive: programFLOPs(prog), FLOPsOptimized: programFLOPs(opt)}
	// The runtime's schedule estimate: what -max-memory and Options.MaxMemory check.
	if res.PeakBytes, err = runtime.PredictPeak(opt, tensor.Float32); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, p := range rep.Passes {
		fp := ""
		if p.Stop != 0 {
			fp = p.Stop.After(p.Sweeps, "sweep")
		}
		res.Passes = append(res.Passes, passRow{p.Name, p.ValuesAfter, p.Ms, fp})
	}
	if cf.json() {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "circuit nodes      %d\n", res.CircuitNodes)
	fmt.Fprintf(stdout, "ir values          %d -> %d\n", res.ValuesBefore, res.ValuesAfter)
	fmt.Fprintf(stdout, "flops              %d -> %d\n", res.FLOPsNaive, res.FLOPsOptimized)
	fmt.Fprintf(stdout, "peak bytes (plan)  %d\n", res.PeakBytes)
	fmt.Fprintf(stdout, "blas backend       %s\n", blasBackend())
	fmt.Fprintf(stdout, "compile time       %.1f ms\n", float64(total.Microseconds())/1000)
	for _, p := range res.Passes {
		fmt.Fprintf(stdout, "  %-16s %6d values %8.2f ms", p.Name, p.ValuesAfter, p.Ms)
		if p.Fixpoint != "" {
			fmt.Fprintf(stdout, "  %s", p.Fixpoint)
		}
		fmt.Fprintln(stdout)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(stdout, "  # %s: %s\n", n.Pass, n.Text)
	}
	return nil
}

func runPasses(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("passes", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	for _, p := range passes.Passes() {
		req := ""
		if p.Required {
			req = " (required)"
		}
		fmt.Fprintf(stdout, "%-16s %s%s\n", p.Name, p.Reason, req)
	}
	fmt.Fprintln(stdout, "\nordering constraints:")
	for _, c := range passes.Constraints() {
		fmt.Fprintf(stdout, "  %s\n", c)
	}
	return nil
}
