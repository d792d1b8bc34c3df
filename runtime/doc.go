// Package runtime executes ir.Programs.
//
// This is the reference interpreter: it walks the values in program order,
// runs each through the tensor package's kernels (kernels.go holds one
// function per op, keyed by the op table's names), frees every value after
// its last use, and reports per-op time, FLOP estimates (from the op table)
// and peak memory in a Stats.
//
// The seam for a faster runtime is the Executor interface: Run calls the
// executor installed with Use (the Reference interpreter by default), in the
// way gonum's blas64.Use swaps BLAS implementations. EvalValue exposes the
// single-value kernels so constant folding computes exactly what Run would.
//
// Semantics and invariants:
//   - Float values are computed in the dtype passed to Run whatever their
//     declared float dtype; int64 values (gather indices) stay int64.
//     Inputs and constants are converted on entry.
//   - Every result is checked against its declared shape, so a mismatch
//     between the op table and a kernel is an error naming the value, not
//     silent garbage.
//   - Peak bytes is the maximum, over execution steps, of the summed logical
//     sizes (elements × element size in the run dtype) of the values live at
//     that step, counting an op's operands and its result together. Views and
//     broadcast fills are counted at their logical size: it is what a runtime
//     that materialises every value would hold, and the quantity the memory
//     planner estimates.
//   - Returned outputs are contiguous tensors; inputs are never modified.
package runtime
