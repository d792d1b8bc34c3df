// Package tensor is circopt's dense strided tensor: float32, float64 or int64
// elements in a flat backing slice, addressed through a shape, per-axis
// strides (in elements, possibly zero for broadcast axes) and an offset.
//
// Invariants:
//   - A Tensor is immutable once returned to a caller. Views (Permute, Slice,
//     BroadcastTo, Diagonal, Select, Reshape of a contiguous tensor) share the
//     backing slice and never copy; nothing in this package writes to a
//     tensor it did not allocate itself.
//   - Exactly one of the backing slices is non-nil, matching DType.
//   - Every index reached through shape, strides and offset lies inside the
//     backing slice; constructors and views check this.
//   - Shapes are never nil for a tensor: a scalar has shape [] (rank 0, size 1).
//   - Constructors, views and kernels validate their arguments (shapes,
//     axes, indices, dtypes) and return an error; they never panic on user
//     input. Internal helpers assume validated operands.
//
// Kernels allocate a fresh contiguous (C-order) result and never write to
// their inputs:
//
//	file        kernels                                   result dtype
//	unary.go    Map, Scale (binary.go)                    the input's
//	binary.go   Binary (numpy broadcasting), AddN         the wider: float64 > float32 > int64
//	reduce.go   Sum, Mean, ReduceMax/Min, (Log)Softmax    the input's; float sums accumulate in float64
//	einsum.go   Einsum (reference)                        the widest input's
//	einsum_pairwise.go  the same, many inputs contracted pairwise
//	index.go    Gather, Concat, PadInto                   the (first) input's
//	compare.go  Compare, AllClose                         -
//
// Elementwise kernels walk their operands with internal/rowloop (shared
// with the runtime; iter.go names it rowLoop here), which
// coalesces axes so contiguous operands run as one flat loop and strided
// ones run one tight loop per innermost row. Matrix products through BLAS
// are the runtime's (runtime/gemm.go); einsumspec.go holds the one einsum
// spec grammar that tensor, ir and circuit all read.
package tensor
