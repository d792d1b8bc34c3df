// Package order chooses the contraction order for an einsum: given the axis
// labels of its operands, the output labels and the size of every label, it
// returns a sequence of pairwise contractions (a Path) that computes the
// einsum with few floating-point operations while keeping every
// intermediate under an optional memory cap. It is the planning half of the
// einsum-fusion pass and knows nothing about the IR: labels are plain ints.
//
// # Methods
//
//   - Plan: exact dynamic programming over operand subsets (DP) for at most
//     DPThreshold operands, a greedy search beyond. The einsum pass calls DP
//     itself up to 10 operands (at 10, DP is faster than greedy with its
//     refinement) and Plan beyond.
//   - DP: the exact subset DP alone (at most DPMaxOperands operands).
//   - Greedy: a greedy search (any number of operands) whose tree is then
//     improved by re-planning windows of up to 8 subtrees exactly with the
//     same DP (subtree reconfiguration). It may miss the optimum, and may
//     miss a cap-respecting order that exists.
//   - LeftToRight: ((A0 A1) A2) ... , the naive order, for comparison.
//   - Exhaustive: brute force over every contraction sequence (at most
//     ExhaustiveMaxOperands operands), an independent oracle for tests.
//
// # Path semantics
//
// Steps use numpy's einsum_path convention: the planner keeps a list of
// current operands, initially the inputs in order; a step removes the
// operands at Left and Right (Left < Right, indices into the list as it is
// before the step) and appends the result at the end. A step with Right ==
// -1 is a reduction of the single operand at Left (only emitted when the
// einsum has exactly one operand whose labels differ from the output's).
//
// # Cost model
//
// Labels repeated inside one operand (a diagonal) count once. When two
// operands A and B are contracted, the result keeps the labels of A ∪ B that
// the output or some other remaining operand still needs; the others are
// summed. FLOPs = 2·∏size(A ∪ B) when a label is summed (a multiply-add per
// term), ∏size(A ∪ B) for a pure outer/elementwise product. A single-operand
// reduction costs ∏size(operand). Element counts saturate at MaxInt64 and
// FLOPs are float64 (+Inf on overflow) so huge sizes never wrap.
//
// # Invariants of a returned Path
//
//   - Replaying the steps leaves exactly one operand (none for an einsum with
//     no operands) whose labels are Path.Final: the output labels that occur
//     in some operand, in output order, each once. Output labels that occur in
//     no operand (broadcast) are the caller's job, as are diagonals,
//     transposes and repeated output labels: the planner only orders
//     contractions.
//   - Every label that is in some operand and not in the output is summed in
//     exactly one step; Step.Summed lists them.
//   - Path.FLOPs is the sum of the steps' FLOPs; Path.MaxIntermediate is the
//     largest Elements of any step except the last (the output itself is not
//     an intermediate, and inputs are not either).
//   - MemCap (when > 0) bounds every intermediate. If no order fits (or,
//     for Greedy, none was found), Plan and DP return the order with the smallest possible peak (fewest FLOPs
//     among those) with OverCap set, together with an error wrapping
//     ErrMemCap: the path is still valid and usable.
//   - Plans are deterministic: the same Problem gives the same Path.
package order
