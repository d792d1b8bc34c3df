package main

import (
	"fmt"
	"io"
	"os"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
	"github.com/circopt/circopt/rewrite"
	"github.com/circopt/circopt/tensor"
)

func init() {
	register("rewrite", "rewrite -rule NAME[,NAME...] [-at MATCHER] [-verify] [-seed N] FILE|-   or   circopt rewrite -list", "apply named rewrites and print the result (-list: the rules)", runRewrite)
	register("simp", "simp [-rules default|aggressive] [-include RULE,...] [-exclude RULE,...] FILE|-", "run the simplifier to a fixed point", runSimp)
}

func runRewrite(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rewrite", stderr)
	var in inputFlags
	in.register(fs)
	rules := fs.String("rule", "", "comma-separated rule `NAMES` (see -list)")
	at := fs.String("at", "", "apply only at nodes this `MATCHER` finds (default: everywhere)")
	verify := fs.Bool("verify", false, "check the result against the original on random inputs")
	list := fs.Bool("list", false, "list the rules, one line each")
	fs.Uint64Var(&in.seed, "seed", 0, "`N` seeds -verify's random inputs and the Array rand draws")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *list {
		if err := noArgs(fs); err != nil {
			return err
		}
		for _, r := range rewrite.AllRules() {
			fmt.Fprintf(stdout, "%-32s %s\n", r.Name, r.Doc)
		}
		return nil
	}
	path, err := oneFile(fs)
	if err != nil {
		return err
	}
	if *rules == "" {
		return usagef("-rule NAME[,NAME...] is required (see -list)")
	}
	names, err := rewrite.ParseRuleNames(*rules)
	if err != nil {
		return usagef("-rule: %v", err)
	}
	cs, err := in.load(path, tensor.Float64, os.Stdin)
	if err != nil {
		return err
	}
	path = fileLabel(path)
	var atPred func(circuit.Circuit) bool
	if *at != "" {
		m, err := match.ParseMatcher(*at)
		if err != nil {
			return usagef("-at: %v", err)
		}
		targets := map[circuit.Hash]bool{}
		for _, c := range cs {
			found, err := match.Get(c, m)
			if err != nil {
				return fmt.Errorf("%s: %v", path, err)
			}
			for _, f := range found {
				targets[f.Hash()] = true
			}
		}
		if len(targets) == 0 {
			return fmt.Errorf("%s: matcher %s found nothing", path, m)
		}
		atPred = func(c circuit.Circuit) bool { return targets[c.Hash()] }
	}
	out := make([]circuit.Circuit, len(cs))
	applied := 0
	for i, c := range cs {
		r, n, err := rewrite.Apply(c, names, atPred)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		out[i], applied = r, applied+n
	}
	if *verify {
		// checked before anything prints: -verify evaluates both sides
		if err := circuit.NeedValues(cs); err != nil {
			return fmt.Errorf("%s: -verify: %w", path, err)
		}
	}
	if err := in.printCircuits(stdout, stderr, out, circuit.PrintOptions{}); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s: %d rewrite(s) applied\n", path, applied)
	if *verify {
		return verifySame(path, cs, out, in.seed, in.memLimit(), stderr)
	}
	return nil
}

// verifySame evaluates before and after on the same random inputs.
func verifySame(path string, before, after []circuit.Circuit, seed uint64, limit int64, stderr io.Writer) error {
	all := append(append([]circuit.Circuit{}, before...), after...)
	if need := naiveBytes(all, tensor.Float64); limit > 0 && need > limit {
		return fmt.Errorf("%s: -verify needs about %d bytes, more than the %d available", path, need, limit)
	}
	inputs, err := randomBindings(all, nil, seed)
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	a, err := circuit.EvaluateAll(before, circuit.EvalOptions{DType: tensor.Float64, Bindings: inputs})
	if err != nil {
		return fmt.Errorf("%s: evaluating the original: %v", path, err)
	}
	b, err := circuit.EvaluateAll(after, circuit.EvalOptions{DType: tensor.Float64, Bindings: inputs})
	if err != nil {
		return fmt.Errorf("%s: evaluating the rewrite: %v", path, err)
	}
	for i := range a {
		abs, rel, cerr := tensor.Compare(b[i], a[i])
		if cerr != nil || !tensor.AllClose(b[i], a[i], 1e-9, 1e-12) {
			return fmt.Errorf("%s: rewrite changed the value of %s (max abs err %.3g, max rel err %.3g)", path, circuit.Label(before[i]), abs, rel)
		}
	}
	fmt.Fprintf(stderr, "%s: verified: %d circuit(s) unchanged in value\n", path, len(a))
	return nil
}

func runSimp(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("simp", stderr)
	var in inputFlags
	in.register(fs)
	include := fs.String("include", "", "comma-separated `RULES` to use instead of the rule set")
	set := fs.String("rules", "default", "rule `SET`: default (rust_circuit's simp: no einsum merging) or aggressive (circopt's larger set)")
	exclude := fs.String("exclude", "", "comma-separated `RULES` to leave out")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := oneFile(fs)
	if err != nil {
		return err
	}
	cs, err := in.load(path, tensor.Float64, os.Stdin)
	if err != nil {
		return err
	}
	path = fileLabel(path)
	names := splitList(*include)
	if names == nil {
		if names, err = rewrite.SimpRuleSet(*set); err != nil {
			return usagef("-rules: %v", err)
		}
	}
	out := make([]circuit.Circuit, len(cs))
	for i, c := range cs {
		res, err := rewrite.Simp(c, rewrite.SimpOptions{Include: names, Exclude: splitList(*exclude)})
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		out[i] = res.Circuit
		fmt.Fprintf(stderr, "%s: %s: %s\n", path, circuit.Label(c), res)
	}
	return in.printCircuits(stdout, stderr, out, circuit.PrintOptions{})
}
