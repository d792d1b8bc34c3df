// Package scrub is causal scrubbing over circopt circuits, after
// rust_circuit's causal_scrubbing package: a hypothesis is a tree of
// InterpNodes (each with a conditional sampler and an other-inputs sampler)
// and a Correspondence sending each InterpNode to an IterativeMatcher on the
// model; an Experiment resamples every input the hypothesis says should not
// matter and measures how much of the model's behaviour survives.
//
// Data. A Dataset is a set of named arrays sharing a leading example axis of
// length N. A datum is an example index; a sampled "dataset" is a vector of
// n indices (one per reference example), never copied data.
//
// Design: one bound Symbol per distinct sampled input. The model's free
// Symbols are named after the dataset's input arrays and have per-example
// shapes. Treeify wraps every input reached through an InterpNode's matched
// paths in a Tag whose identity is (InterpNode, input) — deeper nodes retag
// their own sub-paths, as rust_circuit does. Build replaces each such Tag
// by a Symbol of shape [n, ...] standing for the input's rows at the slot's
// datum vector (gathered once, in Go, and bound by name), and
// circuit.ReplaceExpand carries the new leading axis up to the root, which
// becomes [n]. The original, scrubbed and random circuits are compiled into
// one plan and run once.
//
// Union evaluation (union.go): RunMany evaluates many scrubs in one plan,
// every subtree that reads a single index vector and that at least |U|/n
// vectors read computed once on the union U of all sampled rows and
// gathered at each vector's positions; what mixes vectors, or what fewer
// vectors read, runs per scrub on n rows. Run takes that way for one scrub
// when it does less work (unioncost.go: n·(work per distinct (node,
// vector)) against |U|·(work per distinct model node) plus the gathers and
// a measured host cost per gathered position) — a transformer whose heads
// read their own data, not day 4a's tiny model.
//
// Hypothesis files (ParseHypothesis) describe the same trees in JSON; there
// the root's datum is always the reference, while in Go a root's Cond draws
// relative to the reference as in rust_circuit.
//
// Invariants:
//   - A gathered Symbol is named INPUT@k, the k-th distinct datum vector
//     (compared by content) of that input in a fixed order of use, so
//     slots with equal vectors are the same circuit and CSE computes a
//     subtree once per distinct sampled input, however many treeified
//     copies of it the hypothesis names. Work grows with the number of
//     distinct datum assignments, not with interp nodes.
//   - The circuits depend only on n and on which slots' vectors coincide
//     (the batch's shape), never on the indices themselves: an Experiment
//     keeps the circuits and compiled plan of each shape it has run, so
//     scrubs after the first (other seeds) only gather and run.
//   - Run's float32 gathers use recycled buffers: a Result holds the
//     plan's outputs (Values converts them), never the bound inputs;
//     Build's bindings are the caller's to keep. A scrub's gathers run as
//     one split loop over all of them; a gather no circuit reads (a slot
//     every path of which a deeper node overrides) is only checked, not
//     copied or bound. An input the model reads only one element at a time
//     (an Index picking one position of its per-example axis, as day 4a
//     reads its digits) is gathered column by column, so each of its
//     columns is contiguous; the tensor is the same [n, r] array, strided.
//   - Samples drawn by range own one slab of index vectors, which Release
//     hands to the next scrub's draw; nothing else ever reuses a vector.
//   - Sampling is deterministic given the seed: every vector is drawn from
//     its own child stream of the seed's counter-based Draws, taken in this
//     order: the reference, then one independent random datum per input
//     array in name order (so the original and random baselines do not
//     depend on the hypothesis), then the interp nodes parent-first in the
//     correspondence's stable topological order (cond datum, then
//     other-inputs datum for non-leaves). A draw is a function of (stream,
//     position), so vectors are drawn in parallel and the indices never
//     depend on GOMAXPROCS.
//   - A correspondence is checked before anything is sampled; every failure
//     is a *CorrespondenceError naming the interp node, whose Kind is one of
//     the Err* sentinels (errors.Is works on the returned error).
//   - Run's way depends only on the batch's shape, n, |U| and the dataset's
//     size (never on timing): the same samples take the same way, and both
//     ways give the same values to rounding (checked per example, float64
//     naive and float32 compiled).
//   - Nothing here panics on user input; hypothesis files report FILE:LINE.
package scrub
