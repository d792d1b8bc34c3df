package ablate

import (
	"fmt"
	"strings"

	"github.com/circopt/circopt/circuit"
	"github.com/circopt/circopt/match"
)

// The rewrites below are the notebook's experiments, each a match.Update
// of the baseline circuit. All of them fail when their matcher finds
// nothing, so a misspelled node name cannot masquerade as an ablation.

var mustFind = match.UpdateOptions{ErrorIfNothingMatched: true}

// ZeroAblate replaces every node m finds by a zero Scalar of its shape.
func ZeroAblate(root circuit.Circuit, m match.IterativeMatcher) (circuit.Circuit, error) {
	return match.Update(root, m, func(c circuit.Circuit) (circuit.Circuit, error) {
		return circuit.NewScalar(0, c.Shape(), zeroName(c))
	}, mustFind)
}

// MeanAblate replaces every node m finds by its mean over the batch axis
// (axis 0), broadcast back to the node's shape. The mean is part of the
// circuit (an Einsum over the node itself), so it is taken over whatever
// batch the circuit is evaluated on: the whole test set here.
func MeanAblate(root circuit.Circuit, m match.IterativeMatcher) (circuit.Circuit, error) {
	return match.Update(root, m, func(c circuit.Circuit) (circuit.Circuit, error) {
		if c.Rank() < 1 {
			return nil, fmt.Errorf("ablate: mean ablation of %s: it has no batch axis", circuit.Label(c))
		}
		mean, err := circuit.Mean(c.Name()+" mean", c, 0)
		if err != nil {
			return nil, err
		}
		// "a1 -> 10000 a1": the remaining axes kept, the batch axis
		// repeated in front.
		axes := make([]string, 0, c.Rank()-1)
		for i := 1; i < c.Rank(); i++ {
			axes = append(axes, fmt.Sprintf("a%d", i))
		}
		kept := strings.Join(axes, " ")
		spec := strings.TrimSpace(fmt.Sprintf("%s -> %d %s", kept, c.Shape()[0], kept))
		return circuit.NewRearrangeString(c.Name()+" mean ablated", spec, mean)
	}, mustFind)
}

// ResampleAblate replaces the output of every node m finds by that node
// computed on a shuffled batch: within the found node's subtree, the input
// named inputName is replaced by Shuffled(input, perm). The shuffled input
// is named shuffledName, so equal (input, perm, name) give shared subtrees.
func ResampleAblate(root circuit.Circuit, m match.IterativeMatcher, inputName, shuffledName string, perm []int64) (circuit.Circuit, error) {
	return match.Update(root, m, func(c circuit.Circuit) (circuit.Circuit, error) {
		return PatchPath(c, match.Name(inputName), shuffledName, perm)
	}, mustFind)
}

// PatchPath replaces, along the paths m finds, the found node by the same
// node on a shuffled batch (Shuffled with perm). Elsewhere the node is kept:
// with m = 'skip' > 'x' the x feeding skip is shuffled and the x feeding
// first is not.
func PatchPath(root circuit.Circuit, m match.IterativeMatcher, shuffledName string, perm []int64) (circuit.Circuit, error) {
	return match.Update(root, m, func(c circuit.Circuit) (circuit.Circuit, error) {
		return Shuffled(shuffledName, c, perm)
	}, mustFind)
}

func zeroName(c circuit.Circuit) string {
	if c.Name() == "" {
		return "zero"
	}
	return c.Name() + " zero"
}
