// Package ablate holds the causal-intervention rewrites of interpretability
// experiments, for any circuit: zero ablation, mean ablation, resample
// ablation, path patching, and the seeded batch shuffles they use. Each is
// a match.Update of the given root; nothing evaluates.
//
// Invariants:
//   - Every rewrite fails when its matcher finds nothing
//     (ErrorIfNothingMatched), so a misspelled node name is an error, not a
//     silent no-op that reports the unablated numbers under an ablation's
//     name.
//   - Axis 0 is the batch axis: mean ablation averages over it and shuffles
//     permute it.
//   - Shuffle is a pure function of (seed, n), implemented here (splitmix64
//   - Fisher–Yates) so a permutation never changes with the Go release.
//   - Shuffled gathers with an explicit Index (x[perm]) rather than a new
//     array, and equal (x, perm, name) give hash-equal circuits, so shuffled
//     subtrees are shared across experiments and the compiler can commute
//     the gather with batch-wise work.
package ablate
