package rewrite

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/circopt/circopt/circuit"
)

// Func is a rewrite at one node: it returns the replacement and true, or
// (nil, false, nil) when it does not apply. It never returns true with a
// circuit equal to its input.
type Func func(c circuit.Circuit) (circuit.Circuit, bool, error)

// Rule is one named rewrite.
type Rule struct {
	Name string
	Fn   Func
	// Doc is a one-line description for `circopt rewrite -list`.
	Doc string
	// Simp marks the rules in the aggressive simplifier set: local,
	// shrinking rewrites that cannot undo one another (merging included).
	Simp bool
}

// rules is the table of every rewrite, in the order Simp tries them at a
// node. Unexported and indexed once at init: read it through AllRules,
// RuleNames and Lookup.
var rules = []Rule{
	{"add_flatten", AddFlatten, "an Add child of an Add is spliced into its parent", true},
	{"add_elim_zeros", AddElimZeros, "zero Scalar terms of an Add are dropped (when the shape is kept)", true},
	{"add_collapse_scalar_inputs", AddCollapseScalarInputs, "several Scalar terms of an Add become one Scalar", true},
	{"add_deduplicate", AddDeduplicate, "k equal terms of an Add become one term scaled by k", true},
	{"add_fuse_scalar_multiples", AddFuseScalarMultiples, "terms a·x and b·x of an Add become (a+b)·x", true},
	{"remove_add_few_input", RemoveAddFewInput, "an Add of no inputs is Scalar 0; of one input, that input", true},
	{"einsum_flatten", EinsumFlatten, "Einsum operands that are Einsums are merged into one Einsum", true},
	{"einsum_elim_zero", EinsumElimZero, "an Einsum with a zero Scalar operand is a zero Scalar", true},
	{"einsum_merge_scalars", EinsumMergeScalars, "Scalar operands of an Einsum are multiplied into one (dropped if 1)", true},
	{"einsum_of_permute_merge", EinsumOfPermuteMerge, "a permuting Rearrange operand of an Einsum is absorbed into its axes", true},
	{"permute_of_einsum_merge", PermuteOfEinsumMerge, "a permuting Rearrange of an Einsum is absorbed into its output axes", true},
	{"einsum_elim_identity", EinsumElimIdentity, "an Einsum that returns its one operand unchanged is that operand; none is Scalar 1", true},
	{"einsum_permute_to_rearrange", EinsumPermuteToRearrange, "an Einsum that only permutes its one operand becomes a Rearrange", false},
	{"rearrange_fuse", RearrangeFuse, "a Rearrange of a Rearrange becomes one Rearrange", true},
	{"rearrange_elim_identity", RearrangeElimIdentity, "an identity Rearrange is its input", true},
	{"index_fuse", IndexFuse, "an Index of an Index becomes one Index", true},
	{"index_elim_identity", IndexElimIdentity, "an Index that keeps every axis whole is its input", true},
	{"index_merge_scalar", IndexMergeScalar, "an Index of a Scalar is a smaller Scalar", true},
	{"concat_elim_identity", ConcatElimIdentity, "a Concat of one input is that input", true},
	{"concat_fuse", ConcatFuse, "a Concat child of a Concat on the same axis is spliced into its parent", true},
	{"generalfunction_merge_inverses", GeneralFunctionMergeInverses, "f(g(x)) is x for inverse pairs (reciprocal∘reciprocal, log∘exp, logit∘sigmoid)", true},
	{"distribute_once", DistributeOnceRule, "an Einsum over an Add operand becomes an Add of Einsums (first Add operand)", false},
	{"push_down_index_once", PushDownIndexOnce, "an Index moves below its input (Add, Einsum, GeneralFunction, Rearrange, Concat, Scalar) one level", false},
	{"push_down_index", PushDownIndexRule, "an Index moves below its input as far as it can go", false},
	{"module_substitute", ModuleSubstitute, "a Module becomes its spec with the arguments bound (everywhere: substitute all modules)", false},
	{"module_remove_unused_inputs", ModuleRemoveUnusedInputs, "a Module's arguments whose symbol its spec does not use are dropped", false},
	{"module_conform", ModuleConform, "a Module's symbols and spec take its arguments' shapes, so nothing is batched (everywhere: conform all modules)", false},
	{"module_push_down", ModulePushDown, "a Module moves one level into its spec: the spec's root over its children, each wrapped in a Module of the symbols it uses", false},
	{"elim_no_input_module", ElimNoInputModule, "a Module with no arguments is its spec", true},
	{"strip_names_and_tags", StripNamesAndTagsRule, "a Tag is removed and a given name replaced by the automatic one (Arrays and Symbols keep theirs)", false},
	{"deep_canonicalize", DeepCanonicalizeRule, "Add terms sorted by hash, Einsum operands sorted and relabelled, Index written canonically, all the way down", false},
}

var ruleIndex = func() map[string]int {
	m := map[string]int{}
	for i, r := range rules {
		if _, dup := m[r.Name]; dup {
			panic("rewrite: rule " + r.Name + " listed twice")
		}
		m[r.Name] = i
	}
	return m
}()

// Lookup finds a rule by name.
func Lookup(name string) (Rule, bool) {
	i, ok := ruleIndex[name]
	if !ok {
		return Rule{}, false
	}
	return rules[i], true
}

// AllRules returns every rule in table order (a copy: changing it changes
// nothing).
func AllRules() []Rule { return slices.Clone(rules) }

// RuleNames lists every rule name, sorted.
func RuleNames() []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = r.Name
	}
	sort.Strings(out)
	return out
}

// rustCircuitSimp is rust_circuit's default simp (SimpFnSubset.default()),
// as far as circopt has its rules: no einsum or add merging, and a permuting
// Einsum becomes a Rearrange.
var rustCircuitSimp = map[string]bool{
	"remove_add_few_input": true, "add_elim_zeros": true, "add_deduplicate": true,
	"einsum_elim_zero": true, "einsum_elim_identity": true, "einsum_of_permute_merge": true,
	"einsum_permute_to_rearrange": true, "index_elim_identity": true, "index_merge_scalar": true,
	"rearrange_elim_identity": true, "rearrange_fuse": true, "permute_of_einsum_merge": true,
	"concat_elim_identity": true, "concat_fuse": true, "elim_no_input_module": true,
}

// SimpRuleNames lists the default simplifier rules, rust_circuit's default
// set, in table order.
func SimpRuleNames() []string {
	var out []string
	for _, r := range rules {
		if rustCircuitSimp[r.Name] {
			out = append(out, r.Name)
		}
	}
	return out
}

// AggressiveSimpRuleNames lists the larger set (einsum and add merging,
// scalar folding, index fusing) in table order.
func AggressiveSimpRuleNames() []string {
	var out []string
	for _, r := range rules {
		if r.Simp {
			out = append(out, r.Name)
		}
	}
	return out
}

// SimpRuleSet resolves a named rule set: "default" (rust_circuit's) or
// "aggressive".
func SimpRuleSet(name string) ([]string, error) {
	switch name {
	case "default", "":
		return SimpRuleNames(), nil
	case "aggressive":
		return AggressiveSimpRuleNames(), nil
	}
	return nil, fmt.Errorf("unknown simp rule set %q (want default or aggressive)", name)
}

// lookupAll resolves names to rules, naming the first unknown one.
func lookupAll(names []string) ([]Rule, error) {
	out := make([]Rule, 0, len(names))
	for _, n := range names {
		r, ok := Lookup(n)
		if !ok {
			return nil, fmt.Errorf("unknown rewrite rule %q (see `circopt rewrite -list`)", n)
		}
		out = append(out, r)
	}
	return out, nil
}

// ParseRuleNames reads a comma-separated rule list as given to
// `circopt rewrite -rule NAME[,NAME...]`: names are trimmed, must be known,
// and the list must name at least one rule. Duplicates are kept (a rule
// listed twice runs twice per node per pass).
func ParseRuleNames(list string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(list, ",") {
		n := strings.TrimSpace(part)
		if n == "" {
			return nil, fmt.Errorf("rule list %q has an empty name", list)
		}
		if _, ok := Lookup(n); !ok {
			return nil, fmt.Errorf("unknown rewrite rule %q (see `circopt rewrite -list`)", n)
		}
		out = append(out, n)
	}
	return out, nil
}
