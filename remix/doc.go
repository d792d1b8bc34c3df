// Package remix reproduces the REMIX Day 1 experiments on the two MNIST
// models (TwoLayerSkip: logits = last(x + relu(first(x)))) with circopt
// circuits: the model is built from its PyTorch state dict with the
// notebook's names, every experiment (zero, mean and resampling ablation,
// path patching) is a circuit rewrite through package match, and all
// variants of one model are evaluated together so work they share is done
// once: CompiledEval (circopt.EvaluateMany, one optimized program with CSE
// across the variants; the default) or NaiveEval (circuit.EvaluateAll, the
// reference evaluator, whose memo shares hash-equal subtrees).
//
// The day3*.go files do REMIX day 3 (causal scrubbing of induction heads) on
// the model trained by training/induction and shipped in examples/day3:
// Day3Loss builds the day's per-example loss with the heads split and the
// induction heads' q/k/v inputs on separate nodes; RunDay3 scrubs the
// hypothesis files there with package scrub, all in one compiled plan.
// The day4b*.go files do REMIX day 4b on the paren balancer trained by
// training/parens: BuildParen is its loss circuit, ParenExperiments the
// day's hypotheses, RunParen the table.
//
// Both days run through RunScrubs (scrubs.go, scrub.RunMany): every scrub
// of a table in one compiled plan, the model evaluated once on the union U of the rows
// any scrub samples. A subtree that reads a single sampled index vector v
// is a subtree of the model, so it is computed as that model subtree on U
// and gathered at v's positions; only what mixes vectors runs per scrub.
// Day 4b's 42 per-position draws of head 2.1 (experiments 3a, 3b, 4) are
// then 42 gathers of one forward pass, not 42 forward passes.
//
// Invariants:
//   - The model circuit is a pure function of the state dict and the batch
//     size: the input is a Symbol named "x" with a fixed uuid (InputUUID),
//     so the printed circuit and every hash are the same from run to run.
//   - Every experiment is a rewrite of the baseline circuit; none edits
//     tensors by hand. Rewrites that should find something are run with
//     ErrorIfNothingMatched, so a renamed node is an error, not a silent
//     no-op that reports baseline numbers under an ablation's name.
//   - The rewrites themselves (zero, mean and resample ablation, path
//     patching, seeded shuffles) are package ablate's; this package only
//     names the notebook's nodes and experiments.
//   - Every run entry point takes a context and, once it is done, returns
//     an error wrapping ctx.Err() without waiting for an evaluation that
//     cannot stop (that one finishes in the background, its result dropped).
//   - The shipped models (models/*.safetensors, embedded) hold exactly the
//     tensors of the notebook's .pt state dicts (checked by a test when the
//     originals are present); the empty models directory means them.
//   - The figures' data (confusion matrices, last-layer weights) are
//     gathered here; cmd/remix draws them, so gonum/plot is not a dependency.
//   - Day 3's loss circuit is a pure function of the model file and the head
//     split (fixed Symbol uuids), so examples/day3/loss.circ can be checked
//     against a fresh build.
//   - RunScrubs gives the values each scrub's own Experiment.Run gives (to
//     rounding; checked in float64 against the reference evaluator): the
//     gathered rows are the same rows, only computed once.
//   - Loss and accuracy are computed from the logits exactly as the
//     notebook's test(): cross-entropy with label smoothing (mean over
//     examples) and argmax accuracy (ties go to the lowest class, as torch).
package remix
