// Package runtime executes ir.Programs.
//
// Two executors implement the Executor interface, and Run calls the one
// installed with Use, in the way gonum's blas64.Use swaps BLAS
// implementations:
//
//   - Fast (fast.go, the default) is the optimized executor: binary
//     contractions as (batched) GEMM, calling the run's own backend (Fast.BLAS, else blas.ForRun) directly,
//     never gonum's global swap point, in row blocks between which a
//     canceled run stops (gemm.go), a loop of small GEMMs as one batched
//     call per chunk where the backend has one (blas.BatchedFloat32:
//     simd), bit for bit the per-GEMM loop's results;
//     independent values in flight concurrently and kernels of more than
//     a few thousand elements split across the caller and internal/gang's
//     helpers, which stay awake between kernels (iter.go, fastkernels.go); views that never
//     copy; concats along axis 0 of computed values written in place, each
//     piece's kernel writing its rows (arena.go); reference-counted storage released after its last reader and
//     reused, within a run and by later runs up to the largest set of buffers
//     one run took (memory.go; FreeBuffers); a memory schedule that predicts the peak, reorders
//     under a MaxMemory limit or refuses before running (schedule.go);
//     elementwise fusion: regions of elementwise values of one shape run as
//     one kernel that streams cache-sized blocks, their intermediates never
//     materialized (fuse.go, fusekernel.go; Fast.NoFusion turns it off);
//     float32 runs compute exp, sigmoid, tanh, log and gelu_new in float32
//     kernels within 1 ulp of float64 math rounded, and
//     softmax and log_softmax rows with the same exp, within 1 ulp of the
//     float64 kernel (softmax32.go; contiguous rows of up to
//     vec32.RowsMaxD go in blocks through vec32.SoftmaxRows, the same bits
//     without three kernel calls a row); those and contiguous float32 add, mul,
//     scale, relu and neg run internal/vec32's vector kernels, which give
//     the scalar functions' bits (mathf32.go).
//   - Reference (run.go) is the straightforward interpreter: one value at a
//     time in program order through ir/interp's reference kernels, each
//     freed after its last use. Tests check Fast against
//     it; Use(Reference{}) selects it.
//
// RunContext (and each executor's RunContext) stops a run when its context
// is done: Fast checks before starting each value and between GEMM row
// blocks, Reference between values; the error wraps ctx.Err(). A run over
// its MaxMemory is refused with an error wrapping ErrOverMemory.
//
// interp.EvalValue is the reference single-value kernel set, shared with
// constant folding so it computes exactly what the reference would; Fast falls back to the same
// kernels for anything it has no kernel of its own for (einsums with
// repeated labels or more than two operands, two-operand einsums with
// one-sided labels, one-operand einsums that both sum and broadcast or
// reorder: unaryeinsum.go takes the other one-operand ones).
//
// Semantics and invariants (both executors):
//   - Float values are computed in the dtype passed to Run whatever their
//     declared float dtype; int64 values (gather indices) stay int64.
//     Inputs and constants are converted on entry.
//   - Returned outputs are contiguous tensors; inputs are never modified.
//     An output may share memory with an input it equals.
//   - Reference checks every result against its declared shape and runs
//     dead values; Fast runs only what the outputs need.
//   - Reference's Stats.PeakBytes is the maximum over steps of the logical
//     sizes of the values live at that step (operands and result together,
//     views and fills at their logical size). Fast's is measured: the maximum of live storage (inputs and
//     constants at their size, results, kernel scratch), each allocation
//     counted once however many views share it; Schedule.PeakBytes and
//     Stats.PredictedPeakBytes are its prediction for a sequential run, and
//     the scheduler keeps concurrent runs within 1.1× of it (or MaxMemory).
//   - Fast is deterministic: kernels split work at boundaries that depend
//     only on sizes and the worker count, never on timing. A fused region
//     computes every element with the same operations in the same order as
//     the unfused kernels, so fused and unfused results are bitwise equal
//     (fuse_test.go).
//   - PlanSchedule, PredictPeak and Fast's Stats describe the fused program:
//     a region is one value (op "fused" at its root's id, FLOPs summed) and
//     its intermediates take no memory.
package runtime
