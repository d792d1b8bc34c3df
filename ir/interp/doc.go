// Package interp is the reference interpreter of ir: one kernel per op, over
// the tensor package's straightforward kernels, computing a single value from
// its operands' tensors (EvalValue).
//
// It depends only on ir and tensor, so the optimizer (passes, constant
// folding) can evaluate values without importing the executor; the
// runtime's reference executor runs programs through the same kernels, and
// its fast executor falls back to them for anything it has no kernel of its
// own for.
//
// Invariants:
//   - Float values are computed in the run dtype passed to EvalValue,
//     whatever their declared float dtype; int64 values keep int64
//     (ValueDType).
//   - A result has exactly the value's declared shape, or EvalValue returns
//     an error naming the value; a wrong operand count or a nil operand is
//     an error, never a panic.
//   - Kernels never modify their operands; a result may share memory with an
//     operand (views: reshape, permute, slice, broadcast) or with a constant
//     of the program's table.
//   - The scalar functions behind the elementwise unary ops (UnaryFunc) are
//     the ones every executor uses, so all agree to the last bit per element.
package interp
