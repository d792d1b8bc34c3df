package remix

import (
	"fmt"

	"github.com/circopt/circopt/ablate"
	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
)

// Experiment is one variant of a model: a name and the rewritten circuit
// computing its logits.
type Experiment struct {
	Name    string
	Circuit circuit.Circuit
}

// DefaultSeeds are the shuffle seeds of the resampling and patching
// experiments (three runs each, as in the notebook).
var DefaultSeeds = []uint64{0, 1, 2}

// ExperimentNames lists the experiments Experiments builds for seeds, in
// order: baseline, zero_first, mean_relu, then resample_first_<seed>,
// patch_skip_only_<seed> and patch_first_only_<seed> for each seed.
func ExperimentNames(seeds []uint64) []string {
	names := []string{"baseline", "zero_first", "mean_relu"}
	for _, kind := range []string{"resample_first", "patch_skip_only", "patch_first_only"} {
		for _, s := range seeds {
			names = append(names, fmt.Sprintf("%s_%d", kind, s))
		}
	}
	return names
}

// Matchers of the experiments, in the CLI's MATCHER text form.
const (
	// MatchSkipInput is the x feeding the skip connection directly.
	MatchSkipInput = "'skip' > 'x'"
	// MatchFirstInput is the x feeding first (through first's matmul).
	MatchFirstInput = "'first' >> 'x'"
)

// Experiments rewrites the baseline model (as built by BuildModel) into
// every experiment of ExperimentNames(seeds):
//
//	baseline            the model itself
//	zero_first          'first' replaced by a zero Scalar of its shape
//	mean_relu           'relu' replaced by its mean over the batch, broadcast back
//	resample_first_s    'first' replaced by first(x[perm_s])
//	patch_skip_only_s   the x on the path 'skip' > 'x' replaced by x[perm_s]
//	patch_first_only_s  the x on the path 'first' >> 'x' replaced by x[perm_s]
//
// where perm_s = ablate.Shuffle(s, batch). resample_first_s and patch_first_only_s
// are the same function reached by two different rewrites (the output of
// first resampled, versus first's input patched); they share the shuffled
// subtree x[perm_s], named "x shuffled <s>".
func Experiments(model circuit.Circuit, seeds []uint64) ([]Experiment, error) {
	x, err := match.GetUnique(model, match.Name(NameX))
	if err != nil {
		return nil, fmt.Errorf("remix: the model must have one input named %q: %w", NameX, err)
	}
	if x.Rank() < 1 {
		return nil, fmt.Errorf("remix: input %q has no batch axis", NameX)
	}
	batch := x.Shape()[0]
	out := []Experiment{{"baseline", model}}
	add := func(name string, c circuit.Circuit, err error) error {
		if err != nil {
			return fmt.Errorf("remix: experiment %s: %w", name, err)
		}
		out = append(out, Experiment{name, c})
		return nil
	}
	c, err := ablate.ZeroAblate(model, match.Name(NameFirst))
	if err := add("zero_first", c, err); err != nil {
		return nil, err
	}
	c, err = ablate.MeanAblate(model, match.Name(NameRelu))
	if err := add("mean_relu", c, err); err != nil {
		return nil, err
	}
	skipM, err := match.ParseMatcher(MatchSkipInput)
	if err != nil {
		return nil, err
	}
	firstM, err := match.ParseMatcher(MatchFirstInput)
	if err != nil {
		return nil, err
	}
	perms := make([][]int64, len(seeds))
	for i, s := range seeds {
		perms[i] = ablate.Shuffle(s, batch)
	}
	for i, s := range seeds {
		c, err := ablate.ResampleAblate(model, match.Name(NameFirst), NameX, shuffledName(s), perms[i])
		if err := add(fmt.Sprintf("resample_first_%d", s), c, err); err != nil {
			return nil, err
		}
	}
	for i, s := range seeds {
		c, err := ablate.PatchPath(model, skipM, shuffledName(s), perms[i])
		if err := add(fmt.Sprintf("patch_skip_only_%d", s), c, err); err != nil {
			return nil, err
		}
	}
	for i, s := range seeds {
		c, err := ablate.PatchPath(model, firstM, shuffledName(s), perms[i])
		if err := add(fmt.Sprintf("patch_first_only_%d", s), c, err); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func shuffledName(seed uint64) string { return fmt.Sprintf("x shuffled %d", seed) }
