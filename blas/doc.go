// Package blas chooses and installs the BLAS backend that every GEMM in
// circopt runs on.
//
// The runtime calls gonum's blas32.Gemm and blas64.Gemm; those
// dispatch to whatever implementation was last passed to blas32.Use and
// blas64.Use. Use installs a Backend there, so one call switches every
// caller at once. The backends:
//
//   - gonum: gonum's own pure-Go implementation, the reference.
//   - simd: package blas/simd, pure Go with AVX2+FMA and AVX-512
//     assembly GEMM micro-kernels; the default where the CPU has AVX2+FMA.
//   - openblas: OpenBLAS through cgo and gonum.org/v1/netlib, compiled in
//     only with the build tag `openblas` (so the default build has no cgo).
//
// Select reads CIRCOPT_BLAS (gonum|simd|openblas) and otherwise picks the
// default for the CPU; every Backend carries a Reason saying why it was
// chosen, for `circopt version` and `circopt stats`. Setup selects and
// installs; Ensure does so only if nothing is installed yet; Current
// reports what is installed. Only programs install (cmd/circopt,
// cmd/remix): the runtime never touches gonum's global, it calls the
// backend ForRun returns (the installed one, else Select's) directly.
//
// A backend may also run batches of same-shaped GEMMs in one call
// (BatchedFloat32, BatchedFloat64; simd does), each entry bit for bit its
// single call's result; the runtime uses that for loops of small GEMMs and
// loops over Sgemm/Dgemm elsewhere.
//
// Invariants: a Backend's F32 and F64 compute the same results as gonum's
// up to floating-point summation order, and panic on bad arguments with
// gonum's messages. Use is not synchronized with GEMM calls in flight
// (gonum's swap point is a plain variable): call it at start-up, or between
// runs.
package blas
