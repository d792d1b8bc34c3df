// Package lower translates between circuits and circopt's SSA IR.
//
// Lower turns one or many circuits into ONE ir.Program: each root becomes a
// program output, and a subtree shared between roots (or within one root) is
// lowered once, because lowering is memoized by circuit hash. Structural
// deduplication of equal subtrees that differ only by name is not done here;
// that is the CSE pass's job (hashes cover names).
//
// Lowering, node kind by node kind:
//
//	Array            const (cast to the program dtype, as Evaluate does)
//	Scalar           scalar
//	Symbol           input, named by the symbol's name (its uuid if unnamed)
//	Add              add (no children: scalar 0; one child: that child's value)
//	Einsum           einsum with Spec() (no operands: scalar 1)
//	Rearrange        reshape (split), permute, reshape+broadcast (repeats),
//	                 reshape (merge); identity steps are skipped and
//	                 adjacent reshapes merged
//	Index            one slice for every slice axis, one gather per tensor
//	                 axis (positions as an i64 const), one select per int
//	                 axis from the last axis backwards
//	Concat           concat
//	GeneralFunction  the op of the same name; max, min -> reduce_max, reduce_min
//	Scatter          scatter
//	Tag              its child's value (a Tag is the identity)
//	Module           the lowering of Substitute()
//
// Raise goes back: each program output becomes a circuit named by the
// output's name, so an optimized program can be printed in the circuit text
// format and evaluated by the naive evaluator. Inputs become Symbols named by
// the input's name with a deterministic uuid (see SymbolUUID); reshape becomes
// one Rearrange when the two shapes have a common factorization and two
// (merge all, then split) otherwise; scale and neg become an Einsum with a
// Scalar operand; mul becomes circuit.Mul and sum circuit.Sum; an einsum
// label that only the output has (a broadcast in the IR) gets an all-ones
// Scalar operand. Intermediate raised nodes keep the automatic names the
// circuit package gives them ("x rearrange") unless such a name grows past
// 120 bytes, when the node is left unnamed, so long chains stay linear in
// size.
//
// Invariants:
//   - Lower's program passes ir.Verify (no dead values) and, run by the
//     runtime, equals circuit.Evaluate of each root up to float rounding.
//   - Raise(p) evaluates (naively) to what runtime.Run(p) computes, so
//     Raise(Lower(c)) evaluates to c's value.
//   - Neither function panics on well-typed input: failures are errors that
//     name the circuit node or the IR value.
package lower
