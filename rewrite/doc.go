// Package rewrite holds circopt's algebraic rewrites on circuits and the
// simplifier that runs them to a fixed point, modelled on rust_circuit's
// circuit_rewrites (algebraic_rewrite.rs, canonicalize.rs, simp.rs).
//
// Every rewrite is a partial function (Func): given a node it either
// returns a new circuit with the same value and true, or reports that it
// does not apply (false) — it never returns an equal circuit with true.
// Errors are reserved for genuinely broken input. The rewrites are listed in
// one table, Rules, so the CLI can list and apply them by name; Apply runs
// named rewrites bottom-up at matched nodes, and Simp runs a rule set to a
// fixed point with an iteration bound and cycle detection.
//
// Invariants:
//   - Value preservation: a rewrite changes the value of a circuit only by
//     floating-point reassociation (sums and products may be reordered), so
//     tests compare against circuit.Evaluate with tolerances.
//   - Shape preservation: the result of a rewrite has the shape of the node
//     it replaces.
//   - Naming: a rewrite that eliminates a node returns the inner node as it
//     is — the inner node keeps its own name — and no rewrite ever renames an
//     Array or a Symbol. A node that a rewrite builds in place of a node c
//     takes c's name, except when c's name was derived automatically
//     ("a + b"), in which case the new node is autonamed from its new
//     children so the name stays truthful.
//   - Rewrites never mutate circuits (circuits are immutable); they share
//     every untouched subtree.
//   - Deep traversals (Simp, Apply, StripNamesAndTags, DeepCanonicalize)
//     visit each distinct node once per pass and do not rewrite inside a
//     Module's spec circuit (only its arguments): a rewrite there could drop
//     the last use of an argument symbol and invalidate the Module.
//
// Files: one concern each — add.go, einsum.go, rearrange.go, index.go,
// concat.go, generalfunction.go (local rewrites by node kind),
// distribute.go, residual.go, pushdown.go (rewrites that move structure),
// strip.go, canonicalize.go (whole-tree normal forms), rule.go (the table),
// simp.go (the fixed-point loop, Simp and Apply), names.go (naming rules).
package rewrite
